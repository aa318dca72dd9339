"""The one batched episode loop (`play`), and `rollout`: any Policy on any world, recorded.

`play` steps N copies of a world together until every copy has played one episode, and records
what the live copies did. Data generation (`data.generate`), evaluation (`rollout`, re-exported
as `simulacra.evaluate.rollout`), the online and iterated loops (`learners.online_dt`, through
`rollout`) and the Decision Transformer's own rollouts (`learners.dt_policy.rollout`) all call it,
so every episode in the package is played by the same code with the same meaning:

- `t`: the policy's `View.t` is the number of steps the wave has taken, which for every live copy
  is the number of steps its episode has taken (`Batch.t`); all copies see the same number, so a
  time-indexed policy answers the whole batch with one lookup.
- Finished copies: once a copy's episode ends, nothing it does is recorded, its reward is told to
  the policy as 0 and its `done` stays True. The batch cannot drop rows, so it keeps being
  stepped: `finished="reset"` starts a new (unrecorded) episode in it as soon as it ends (data
  generation: no copy sits in a terminal state), `finished="hold"` keeps it where it ended and
  steps it with action 0 (evaluation: the world's random stream then never spends draws on
  unrecorded resets). The two differ only in the random numbers spent on unrecorded steps; both
  are kept so that datasets and evaluations are exactly what they were before the loops were one.

`rollout` plays waves of up to `batch_size` copies. Seeds: the world and the policy are seeded
from `simulacra.data.seeds.eval_seed(seed, wave, stream)`, which never equals a training seed;
each episode records its wave's world seed. The policy sees a `View` (observation, steps taken,
and the compiled state for compiled worlds: only exact references may use it) and is told each
step's rewards through `observe`, where return-conditioned learners decrement their return-to-go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from simulacra.data.episodes import Episodes
from simulacra.data.seeds import POLICY_STREAM, WORLD_STREAM, eval_seed
from simulacra.engine import Batch, TableBatch
from simulacra.exact.compile import CompiledWorld
from simulacra.policy import Policy, View
from simulacra.worlds.registry import make_batch, make_world

DEFAULT_BATCH = 1024

Finished = Literal["reset", "hold"]


@dataclass
class Wave:
    """What one wave played. Step arrays are step-major [L, n, ...] over the wave's L steps and
    cover every copy; `live[k, i]` says whether copy i was still in its episode at step k (the
    recorded steps of copy i are its first `lengths[i]`). Per-copy sums count live steps only."""

    start_states: np.ndarray  # int64 [n] compiled state after the reset (-1: no tables)
    returns: np.ndarray  # float64 [n]
    performance: np.ndarray  # float64 [n]
    events: np.ndarray  # int64 [n, E] event counts
    lengths: np.ndarray  # int64 [n]
    terminated_episode: np.ndarray  # bool [n] ended by termination (else truncated)
    final_obs: np.ndarray  # uint8 [n, H, W]
    final_states: np.ndarray  # int64 [n] (-1: no tables)
    # Per step, step-major; empty (L = 0) unless recorded.
    live: np.ndarray  # bool [L, n]
    obs: np.ndarray  # uint8 [L, n, H, W]
    states: np.ndarray  # int64 [L, n] (-1: no tables)
    actions: np.ndarray  # int64 [L, n]
    rewards: np.ndarray  # float64 [L, n]
    step_performance: np.ndarray  # float64 [L, n]
    step_events: np.ndarray  # [L, n, E] as the batch reports them
    terminated: np.ndarray  # bool [L, n]
    truncated: np.ndarray  # bool [L, n]

    def episode_major(self, x: np.ndarray) -> np.ndarray:
        """A step-major array [L, n, ...] as the recorded steps of copy 0, then copy 1, ...:
        [sum(lengths), ...] (the layout of `Dataset` and `Episodes`)."""
        return np.swapaxes(x, 0, 1)[self.live.T]

    def timesteps(self) -> np.ndarray:
        """Each recorded step's index in its episode, int32 [sum(lengths)]."""
        return np.concatenate([np.arange(k, dtype=np.int32) for k in self.lengths])


def _table_states(batch: Batch) -> np.ndarray | None:
    return batch.states.copy() if isinstance(batch, TableBatch) else None


def play(
    batch: Batch,
    policy: Policy,
    *,
    targets: np.ndarray | None = None,
    policy_seed: int | None = None,
    record: bool = True,
    finished: Finished = "hold",
) -> Wave:
    """Play one episode in every copy of `batch` (already seeded) with `policy`, reset here with
    `targets` and `policy_seed`; see the module docstring for `t` and `finished`."""
    if finished not in ("reset", "hold"):
        raise ValueError(f"finished must be 'reset' or 'hold', got {finished!r}")
    n, E = batch.n, len(batch.event_names)
    batch.reset()
    start = _table_states(batch)
    policy.reset(n, targets=targets, seed=policy_seed)
    done = np.zeros(n, dtype=bool)  # the copy's recorded episode has ended
    ret, perf = np.zeros(n), np.zeros(n)
    events = np.zeros((n, E), dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    term = np.zeros(n, dtype=bool)
    final_obs = np.zeros((n, *batch.obs_shape), dtype=np.uint8)
    final_states = np.full(n, -1, dtype=np.int64)
    keys = ("live", "obs", "states", "actions", "rewards", "step_performance", "step_events",
            "terminated", "truncated")
    cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    step = 0
    while not done.all():
        obs = batch.observe()  # [N, H, W]
        states = _table_states(batch)
        view = View(obs=obs, t=np.full(n, step, dtype=np.int64), states=states)
        actions = np.asarray(policy.act(view), dtype=np.int64)  # [N]
        if actions.shape != (n,):
            raise ValueError(f"policy returned actions of shape {actions.shape}, expected ({n},)")
        if finished == "hold":
            actions = np.where(done, 0, actions)
        res = batch.step(actions)
        live = ~done
        ends = res.terminated | res.truncated
        ended = live & ends
        ret += np.where(live, res.reward, 0.0)
        perf += np.where(live, res.performance, 0.0)
        events += np.where(live[:, None], res.events, 0)
        length += live
        term |= ended & res.terminated
        if ended.any():
            final_obs[ended] = batch.observe()[ended]  # fancy indexing copies
            after = _table_states(batch)
            if after is not None:
                final_states[ended] = after[ended]
        policy.observe(actions, np.where(live, res.reward, 0.0), done | ended)
        if record:
            cols["live"].append(live)
            cols["obs"].append(np.array(obs, dtype=np.uint8))  # a copy: batches reuse buffers
            cols["states"].append(states if states is not None else np.full(n, -1, np.int64))
            cols["actions"].append(actions)
            cols["rewards"].append(res.reward)
            cols["step_performance"].append(res.performance)
            cols["step_events"].append(res.events)
            cols["terminated"].append(res.terminated.copy())
            cols["truncated"].append(res.truncated.copy())
        done |= ended
        if finished == "reset" and ends.any():
            # Keep finished copies valid; nothing they do is recorded. (A world with memory
            # across episodes, FriendFoe's friend and foe, also remembers these choices.)
            batch.reset(ends)
        step += 1
    empty = {"live": np.zeros((0, n), bool), "obs": np.zeros((0, n, *batch.obs_shape), np.uint8),
             "step_events": np.zeros((0, n, E), np.int16)}
    stacked = {k: np.stack(v) if v else empty.get(k, np.zeros((0, n))) for k, v in cols.items()}
    return Wave(
        start_states=start if start is not None else np.full(n, -1, dtype=np.int64),
        returns=ret, performance=perf, events=events, lengths=length, terminated_episode=term,
        final_obs=final_obs, final_states=final_states, **stacked,
    )


def _batch(world: str | CompiledWorld, params: dict, n: int, seed: int) -> Batch:
    if isinstance(world, CompiledWorld):
        return TableBatch(world, n, seed)
    return make_batch(world, n, seed=seed, **params)


def _wave(
    policy: Policy, batch: Batch, targets: np.ndarray | None, policy_seed: int, record: bool
) -> dict[str, np.ndarray]:
    """One evaluation wave as `Episodes` fields: per-episode, and per-step when recorded."""
    w = play(batch, policy, targets=targets, policy_seed=policy_seed, record=record)
    out = dict(returns=w.returns, performance=w.performance, events=w.events, lengths=w.lengths,
               terminated_episode=w.terminated_episode, final_obs=w.final_obs,
               final_states=w.final_states)
    if record:
        flat = w.episode_major
        out.update(
            states=flat(w.states).astype(np.int64), actions=flat(w.actions).astype(np.int64),
            rewards=flat(w.rewards).astype(np.float32),
            step_performance=flat(w.step_performance).astype(np.float32),
            step_events=flat(w.step_events).astype(np.int16), obs=flat(w.obs).astype(np.uint8),
            timesteps=w.timesteps(),
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
