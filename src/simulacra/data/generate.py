"""Make a dataset from a recipe: N copies of the world stepped together, in fixed-size waves.

Each wave starts `batch_size` episodes at once (fewer in the last) and steps them until every one
has ended; finished copies keep being reset and stepped but nothing they do is recorded, so no
autoreset bookkeeping is needed. Which component makes which episode is allotted exactly from the
shares (`Recipe.counts`) and shuffled with the recipe's seed.

Memory: `waves` yields the dataset one wave at a time, and `simulacra data generate` writes each
to disk as it comes (`storage.save_waves`), so its memory does not grow with the episode count.

Determinism: a dataset is a function of (recipe, batch_size). Wave w is seeded with
`SeedSequence([recipe.seed, w])`; every episode records that seed (`episode_seed`), as the
`Dataset` layout says: the seed of the batch that made it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib.metadata import version

import numpy as np
from tqdm.auto import tqdm

from simulacra.data.behaviour import Mixture, make_mixture, world_info
from simulacra.data.dataset import Dataset
from simulacra.data.recipe import Recipe
from simulacra.engine import Batch, TableBatch
from simulacra.policy import View
from simulacra.worlds.registry import make_batch

DEFAULT_BATCH = 1024


@dataclass
class _Wave:
    """What one wave recorded, step-major: arrays [L, n, ...] and each copy's episode length."""

    obs: np.ndarray  # uint8 [L, n, H, W]
    actions: np.ndarray  # int64 [L, n]
    rewards: np.ndarray  # float32 [L, n]
    performance: np.ndarray  # float32 [L, n]
    events: np.ndarray  # int16 [L, n, E]
    terminated: np.ndarray  # bool [L, n]
    truncated: np.ndarray  # bool [L, n]
    states: np.ndarray  # int64 [L, n]
    lengths: np.ndarray  # int64 [n]
    final_obs: np.ndarray  # uint8 [n, H, W]
    final_states: np.ndarray  # int64 [n]


def wave_seed(seed: int, wave: int) -> int:
    return int(np.random.SeedSequence([seed, wave]).generate_state(1, dtype=np.uint32)[0])


def run_wave(
    batch: Batch, policy: Mixture, assignment: np.ndarray, seed: int, exact: bool
) -> _Wave:
    """Play one episode in every copy of `batch`, copy i made by component assignment[i].

    `exact`: the world is compiled, so `batch.states` are its state indices (a world without
    tables may still step through table gathers internally; those indices are not recorded).
    """
    n = batch.n

    def _states(batch: Batch) -> np.ndarray | None:
        return batch.states.copy() if exact and isinstance(batch, TableBatch) else None

    batch.seed(seed)
    batch.reset()
    policy.reset(n, seed=seed)
    policy.assign(assignment)
    alive = np.ones(n, dtype=bool)
    lengths = np.zeros(n, dtype=np.int64)
    final_obs = np.zeros((n, *batch.obs_shape), dtype=np.uint8)
    final_states = np.full(n, -1, dtype=np.int64)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "obs", "actions", "rewards", "performance", "events", "terminated", "truncated", "states")}
    obs = batch.observe()
    step = 0
    while alive.any():
        states = _states(batch)
        # Every live copy has taken `step` steps; finished copies (reset, ignored) are told the
        # same, so a time-dependent policy answers the whole batch with one lookup.
        view = View(obs=obs, t=np.full(n, step, dtype=np.int64), states=states)
        actions = policy.act(view)
        res = batch.step(actions)
        done = res.terminated | res.truncated
        policy.observe(actions, res.reward, done)
        cols["obs"].append(np.array(obs, dtype=np.uint8))  # a copy: a batch may reuse buffers
        cols["actions"].append(actions)
        cols["rewards"].append(res.reward.astype(np.float32))
        cols["performance"].append(res.performance.astype(np.float32))
        cols["events"].append(res.events.astype(np.int16))
        cols["terminated"].append(res.terminated.copy())
        cols["truncated"].append(res.truncated.copy())
        cols["states"].append(states if states is not None else np.full(n, -1, np.int64))
        lengths += alive
        ended = alive & done
        if ended.any():
            final_obs[ended] = batch.observe()[ended]  # fancy indexing copies
            after = _states(batch)
            if after is not None:
                final_states[ended] = after[ended]
        alive &= ~done
        if done.any():
            # Keep finished copies valid; nothing they do is recorded. (A world with memory
            # across episodes, FriendFoe's friend and foe, also remembers these choices.)
            batch.reset(done)
        obs = batch.observe()
        step += 1
    stacked = {k: np.stack(v) for k, v in cols.items()}
    return _Wave(**stacked, lengths=lengths, final_obs=final_obs, final_states=final_states)


def _episode_major(x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Step-major [L, n, ...] -> the steps of episode 0, then episode 1, ... [sum(lengths), ...]."""
    keep = np.arange(x.shape[0])[None, :] < lengths[:, None]  # [n, L]
    return np.swapaxes(x, 0, 1)[keep]


def waves(
    recipe: Recipe, batch_size: int = DEFAULT_BATCH, progress: bool = True
) -> Iterator[Dataset]:
    """The dataset `recipe` declares, one wave at a time: each a `Dataset` of that wave's
    episodes (steps numbered from 0). Concatenated in order they are `generate`'s dataset, so a
    caller that writes them out as they come (`storage.save_waves`) holds one wave in memory."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    info = world_info(recipe.world, recipe.params)
    mixture = make_mixture(recipe.components, info)
    plan = np.repeat(np.arange(len(recipe.components)), recipe.counts())
    np.random.default_rng(recipe.seed).shuffle(plan)  # episode -> component

    probe = make_batch(recipe.world, 1, **recipe.params)
    meta = {
        "recipe": recipe.to_dict(),
        "batch_size": batch_size,
        "compiled": info.tables is not None,
        "max_steps": probe.max_steps,
        "versions": {"simulacra": version("simulacra"), "numpy": np.__version__},
    }
    batch: Batch | None = None
    bar = tqdm(total=recipe.episodes, desc=f"{recipe.world} episodes", unit="ep",
               disable=not progress)
    with bar:
        for w, lo in enumerate(range(0, recipe.episodes, batch_size)):
            hi = min(lo + batch_size, recipe.episodes)
            if batch is None or batch.n != hi - lo:
                batch = make_batch(recipe.world, hi - lo, **recipe.params)
            s = wave_seed(recipe.seed, w)
            wave = run_wave(batch, mixture, plan[lo:hi], s, info.tables is not None)
            cat = {k: _episode_major(getattr(wave, k), wave.lengths)
                   for k in ("obs", "actions", "rewards", "performance", "events", "terminated",
                             "truncated", "states")}
            T = int(wave.lengths.sum())
            yield Dataset(
                world=recipe.world,
                params=info.params,
                alphabet=probe.alphabet,
                event_names=tuple(probe.event_names),
                n_actions=probe.n_actions,
                obs=cat["obs"].astype(np.uint8),
                actions=cat["actions"].astype(np.int64),
                rewards=cat["rewards"],
                performance=cat["performance"],
                events=cat["events"].reshape(T, len(probe.event_names)),
                terminated=cat["terminated"],
                truncated=cat["truncated"],
                timesteps=np.concatenate([np.arange(n, dtype=np.int32) for n in wave.lengths]),
                states=cat["states"].astype(np.int64),
                starts=np.concatenate([[0], np.cumsum(wave.lengths)]).astype(np.int64),
                final_obs=wave.final_obs,
                final_states=wave.final_states,
                episode_policy=plan[lo:hi].astype(np.int16),
                policy_names=tuple(c.label for c in recipe.components),
                episode_seed=np.full(hi - lo, s, dtype=np.int64),
                meta=meta,
            )
            bar.update(hi - lo)


def generate(
    recipe: Recipe, batch_size: int = DEFAULT_BATCH, progress: bool = True
) -> Dataset:
    """Generate the dataset `recipe` declares (deterministic for recipe and batch_size)."""
    return _concatenate(list(waves(recipe, batch_size, progress)))


PER_STEP = ("obs", "actions", "rewards", "performance", "events", "terminated", "truncated",
            "timesteps", "states")
PER_EPISODE = ("final_obs", "final_states", "episode_policy", "episode_seed")


def _concatenate(parts: list[Dataset]) -> Dataset:
    """Waves of one recipe, one after the other, as one dataset."""
    lengths = np.concatenate([p.lengths for p in parts])
    return replace(
        parts[0],
        **{f: np.concatenate([getattr(p, f) for p in parts]) for f in PER_STEP + PER_EPISODE},
        starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    )
