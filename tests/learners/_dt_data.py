"""Small datasets for the DT tests, made by stepping a world's batch with random actions."""

from __future__ import annotations

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.worlds.registry import make_batch


def random_dataset(world: str, n_episodes: int, seed: int = 0, max_steps: int | None = None,
                   **params: object) -> Dataset:
    """`n_episodes` uniform-random episodes, in the shared in-memory layout."""
    batch = make_batch(world, n_episodes, seed=seed, **params)
    if max_steps is not None:
        batch.max_steps = max_steps
    rng = np.random.default_rng(seed)
    batch.reset()
    alive = np.ones(n_episodes, dtype=bool)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                         ("obs", "a", "r", "p", "ev", "term", "trunc", "t", "s")}
    finals_obs = np.zeros((n_episodes, *batch.obs_shape), dtype=np.uint8)
    finals_s = np.full(n_episodes, -1, dtype=np.int64)
    while alive.any():
        obs, t = batch.observe().copy(), batch.t.copy()
        states = getattr(batch, "states", np.full(n_episodes, -1)).copy()
        a = rng.integers(0, batch.n_actions, n_episodes)
        res = batch.step(a)
        for k, v in (("obs", obs), ("a", a), ("r", res.reward), ("p", res.performance),
                     ("ev", res.events), ("term", res.terminated), ("trunc", res.truncated),
                     ("t", t), ("s", states)):
            cols[k].append(np.where(alive.reshape(-1, *[1] * (v.ndim - 1)), v, 0)
                           if k != "s" else v)
        cols.setdefault("alive", []).append(alive.copy())
        done = (res.terminated | res.truncated) & alive
        finals_obs[done] = batch.observe()[done]
        finals_s[done] = getattr(batch, "states", finals_s)[done]
        alive &= ~done
    alive_m = np.stack(cols.pop("alive"), 1)  # [E, steps]
    def flat(k: str) -> np.ndarray:
        arr = np.stack(cols[k], 1)  # [E, steps, ...]
        return arr[alive_m]
    lengths = alive_m.sum(1)
    return Dataset(
        world=world, params=dict(params), alphabet=batch.alphabet,
        event_names=batch.event_names, n_actions=batch.n_actions,
        obs=flat("obs").astype(np.uint8), actions=flat("a").astype(np.int64),
        rewards=flat("r").astype(np.float32), performance=flat("p").astype(np.float32),
        events=flat("ev").astype(np.int16), terminated=flat("term").astype(bool),
        truncated=flat("trunc").astype(bool), timesteps=flat("t").astype(np.int32),
        states=flat("s").astype(np.int64),
        starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        final_obs=finals_obs, final_states=finals_s,
        episode_policy=np.zeros(n_episodes, dtype=np.int16), policy_names=("random",),
        episode_seed=np.full(n_episodes, seed, dtype=np.int64),
    )
