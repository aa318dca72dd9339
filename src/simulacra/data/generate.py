"""Make a dataset from a recipe: N copies of the world stepped together, in fixed-size waves.

Each wave starts `batch_size` episodes at once (fewer in the last) and steps them until every one
has ended, with the one episode loop (`simulacra.data.rollout.play`, which evaluation and the
learners' own rollouts call too); finished copies keep being reset and stepped but nothing they
do is recorded, so no autoreset bookkeeping is needed. Which component makes which episode is
allotted exactly from the shares (`Recipe.counts`) and shuffled with the recipe's seed.

Memory: `waves` yields the dataset one wave at a time, and `simulacra data generate` writes each
to disk as it comes (`storage.save_waves`), so its memory does not grow with the episode count.

Determinism: a dataset is a function of (recipe, batch_size). Wave w is seeded with
`SeedSequence([recipe.seed, w])`; every episode records that seed (`episode_seed`), as the
`Dataset` layout says: the seed of the batch that made it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from importlib.metadata import version

import numpy as np

from simulacra.data.behaviour import Mixture, make_mixture, world_info
from simulacra.data.dataset import Dataset
from simulacra.data.recipe import Recipe
from simulacra.data.rollout import Wave, play
from simulacra.engine import Batch
from simulacra.policy import View
from simulacra.progress_bar import progress_bar
from simulacra.worlds.registry import make_batch

DEFAULT_BATCH = 1024


def wave_seed(seed: int, wave: int) -> int:
    return int(np.random.SeedSequence([seed, wave]).generate_state(1, dtype=np.uint32)[0])


class _Assigned:
    """The mixture with copy i following component assignment[i] from every reset on: dataset
    generation allots components exactly (`Recipe.counts`) instead of drawing them."""

    def __init__(self, mixture: Mixture, assignment: np.ndarray) -> None:
        self.mixture, self.assignment = mixture, assignment
        self.n_actions = mixture.n_actions

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        self.mixture.reset(n, targets, seed=seed)
        self.mixture.assign(self.assignment)

    def act(self, view: View) -> np.ndarray:
        return self.mixture.act(view)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        self.mixture.observe(actions, reward, done)


def run_wave(
    batch: Batch, policy: Mixture, assignment: np.ndarray, seed: int, exact: bool
) -> Wave:
    """Play one episode in every copy of `batch`, copy i made by component assignment[i], with
    the one episode loop (`data.rollout.play`; finished copies are reset, nothing they do is
    recorded).

    `exact`: the world is compiled, so `batch.states` are its state indices (a world without
    tables may still step through table gathers internally; those indices are not recorded).
    """
    batch.seed(seed)
    wave = play(batch, _Assigned(policy, assignment), policy_seed=seed, finished="reset")
    if not exact:
        wave.states[:] = -1
        wave.final_states[:] = -1
    return wave


def waves(
    recipe: Recipe, batch_size: int = DEFAULT_BATCH, progress: bool = True
) -> Iterator[Dataset]:
    """The dataset `recipe` declares, one wave at a time: each a `Dataset` of that wave's
    episodes (steps numbered from 0). Concatenated in order they are `generate`'s dataset, so a
    caller that writes them out as they come (`storage.save_waves`) holds one wave in memory."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if recipe.shortcut_share is not None:  # chosen from a larger pool: one part, made whole
        from simulacra.data.composition import compose

        yield compose(recipe, lambda plain: generate(plain, batch_size, progress))
        return
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
    bar = progress_bar(total=recipe.episodes, desc=f"{recipe.world} episodes", unit="ep",
               disable=not progress)
    with bar:
        for w, lo in enumerate(range(0, recipe.episodes, batch_size)):
            hi = min(lo + batch_size, recipe.episodes)
            if batch is None or batch.n != hi - lo:
                batch = make_batch(recipe.world, hi - lo, **recipe.params)
            s = wave_seed(recipe.seed, w)
            wave = run_wave(batch, mixture, plan[lo:hi], s, info.tables is not None)
            cat = {k: wave.episode_major(getattr(wave, k))
                   for k in ("obs", "actions", "rewards", "step_performance", "step_events",
                             "terminated", "truncated", "states")}
            T = int(wave.lengths.sum())
            yield Dataset(
                world=recipe.world,
                params=info.params,
                alphabet=probe.alphabet,
                event_names=tuple(probe.event_names),
                n_actions=probe.n_actions,
                obs=cat["obs"].astype(np.uint8),
                actions=cat["actions"].astype(np.int64),
                rewards=cat["rewards"].astype(np.float32),
                performance=cat["step_performance"].astype(np.float32),
                events=cat["step_events"].astype(np.int16).reshape(T, len(probe.event_names)),
                terminated=cat["terminated"],
                truncated=cat["truncated"],
                timesteps=wave.timesteps(),
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
