"""Batched evaluation of any Policy on any world.

`rollout` steps N copies of a world together (`simulacra.worlds.make_batch`). There is no
autoreset: a wave of copies starts together and runs until every copy's episode has ended; copies
that finished early keep being stepped (the batch cannot drop rows, and the policy keeps a fixed
N) but their actions are replaced by 0 and nothing they do is recorded, and the policy is told
`done=True` for them with reward 0 at every later step. Episodes beyond `batch_size` run in
further waves. The policy sees a `View` (observation, steps taken, and the compiled state for
compiled worlds: only exact references may use it) and is told each step's rewards through
`observe`, where return-conditioned learners decrement their return-to-go.

Seeds: the world and the policy are seeded from `simulacra.data.seeds.eval_seed(seed, wave,
stream)`, which never equals a training seed; each episode records its wave's world seed.
"""

from __future__ import annotations

import numpy as np

from simulacra.data.episodes import Episodes
from simulacra.data.seeds import POLICY_STREAM, WORLD_STREAM, eval_seed
from simulacra.engine import Batch, TableBatch
from simulacra.exact.compile import CompiledWorld
from simulacra.policy import Policy, View
from simulacra.worlds.registry import make_batch, make_world

DEFAULT_BATCH = 1024


def _batch(world: str | CompiledWorld, params: dict, n: int, seed: int) -> Batch:
    if isinstance(world, CompiledWorld):
        return TableBatch(world, n, seed)
    return make_batch(world, n, seed=seed, **params)


def _wave(
    policy: Policy, batch: Batch, targets: np.ndarray | None, policy_seed: int, record: bool
) -> dict[str, np.ndarray]:
    """One wave: every copy plays one episode. Returns per-episode and per-step arrays."""
    n, E = batch.n, len(batch.event_names)
    batch.reset()
    policy.reset(n, targets=targets, seed=policy_seed)
    compiled = isinstance(batch, TableBatch)
    done = np.zeros(n, dtype=bool)
    ret, perf = np.zeros(n), np.zeros(n)
    events = np.zeros((n, E), dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    term = np.zeros(n, dtype=bool)
    final_obs = np.zeros((n, *batch.obs_shape), dtype=np.uint8)
    final_states = np.full(n, -1, dtype=np.int64)
    steps: dict[str, list[np.ndarray]] = {k: [] for k in ("active", "s", "a", "r", "p", "e", "o")}
    while not done.all():
        obs = batch.observe()  # [N, H, W]
        states = batch.states.copy() if compiled else None  # type: ignore[attr-defined]
        view = View(obs=obs, t=batch.t.copy(), states=states)
        actions = np.asarray(policy.act(view), dtype=np.int64)  # [N]
        if actions.shape != (n,):
            raise ValueError(f"policy returned actions of shape {actions.shape}, expected ({n},)")
        actions = np.where(done, 0, actions)
        res = batch.step(actions)
        active = ~done
        ended = active & (res.terminated | res.truncated)
        ret += np.where(active, res.reward, 0.0)
        perf += np.where(active, res.performance, 0.0)
        events += np.where(active[:, None], res.events, 0)
        length += active
        term |= ended & res.terminated
        if ended.any():
            final_obs[ended] = batch.observe()[ended]
            if compiled:
                final_states[ended] = batch.states[ended]  # type: ignore[attr-defined]
        policy.observe(actions, np.where(active, res.reward, 0.0), done | ended)
        if record:
            steps["active"].append(active)
            steps["s"].append(states if states is not None else np.full(n, -1, dtype=np.int64))
            steps["a"].append(actions)
            steps["r"].append(res.reward)
            steps["p"].append(res.performance)
            steps["e"].append(res.events)
            steps["o"].append(obs)
        done |= ended
    out = dict(returns=ret, performance=perf, events=events, lengths=length,
               terminated_episode=term, final_obs=final_obs, final_states=final_states)
    if record:
        # [T, N, ...] -> episode-major [N, T, ...], then keep the steps each episode played.
        mask = np.stack(steps["active"], axis=1)  # [N, T]
        def flat(key: str, dtype: type) -> np.ndarray:
            return np.swapaxes(np.stack(steps[key]), 0, 1)[mask].astype(dtype)
        out.update(
            states=flat("s", np.int64), actions=flat("a", np.int64),
            rewards=flat("r", np.float32), step_performance=flat("p", np.float32),
            step_events=flat("e", np.int16), obs=flat("o", np.uint8),
            timesteps=np.concatenate([np.arange(k, dtype=np.int32) for k in length]),
        )
    return out


def rollout(
    policy: Policy,
    world: str | CompiledWorld,
    params: dict | None = None,
    episodes: int = 100,
    seed: int = 0,
    targets: np.ndarray | float | None = None,
    record_trajectories: bool = True,
    batch_size: int = DEFAULT_BATCH,
) -> Episodes:
    """Play `episodes` episodes of `policy` on `world` at `params` and record them.

    `targets` (a number or one per episode) are the returns asked of a return-conditioned policy;
    they are recorded (NaN when absent). `world` may also be a CompiledWorld (tests, tiny worlds).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    params = dict(params or {})
    if isinstance(world, CompiledWorld):
        name, wparams, E_names = world.name, dict(world.params), world.event_names
        n_actions, is_compiled, alphabet = world.n_actions, True, world.alphabet
    else:
        w = make_world(world, **params)
        name, wparams, E_names = world, w.params(), tuple(w.event_names)
        n_actions, is_compiled, alphabet = w.n_actions, w.compilable, w.alphabet
    tg = None
    if targets is not None:
        tg = np.broadcast_to(np.asarray(targets, dtype=np.float64), (episodes,)).copy()
    parts = []
    for wave, lo in enumerate(range(0, episodes, batch_size)):
        hi = min(episodes, lo + batch_size)
        wseed = eval_seed(seed, wave, WORLD_STREAM)
        batch = _batch(world, params, hi - lo, wseed)
        res = _wave(policy, batch, None if tg is None else tg[lo:hi],
                    eval_seed(seed, wave, POLICY_STREAM), record_trajectories)
        res["seeds"] = np.full(hi - lo, wseed, dtype=np.int64)
        parts.append(res)
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    lengths = cat["lengths"]
    empty_obs_shape = cat["final_obs"].shape[1:]
    if not record_trajectories:
        cat.update(
            states=np.zeros(0, np.int64), actions=np.zeros(0, np.int64),
            rewards=np.zeros(0, np.float32), step_performance=np.zeros(0, np.float32),
            step_events=np.zeros((0, len(E_names)), np.int16), timesteps=np.zeros(0, np.int32),
            obs=np.zeros((0, *empty_obs_shape), np.uint8),
        )
        starts = np.zeros(0, np.int64)
    else:
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return Episodes(
        world=name, params=wparams, event_names=tuple(E_names), n_actions=n_actions,
        alphabet=alphabet, compiled=is_compiled,
        targets=tg if tg is not None else np.full(episodes, np.nan), starts=starts,
        meta={"seed": seed, "episodes": episodes, "batch_size": batch_size}, **cat,
    )
