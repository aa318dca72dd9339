"""Episodes in memory: the one layout datasets, learners and metrics share.

Steps of all episodes are stored back to back; `starts` holds each episode's first step and one
past the end, so episode i is steps starts[i]:starts[i + 1]. Observation t is what the agent saw
before action t (the final observation after the last action is in `final_obs`).

`BackToBack` computes what follows from that layout (lengths, episode ids, returns,
returns-to-go) once, for `Dataset` and for the trainer's `learners.dt_train.Trajectories` (the
same layout holding only what training reads, with float states or continuous actions for
Gymnasium tasks).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


class BackToBack:
    """What follows from episodes stored back to back (`starts`, `rewards` [T]): the one
    implementation, shared by every container of this layout."""

    starts: np.ndarray  # int64 [n_episodes + 1]
    rewards: np.ndarray  # [T]

    @property
    def n_episodes(self) -> int:
        return len(self.starts) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def episode_ids(self) -> np.ndarray:
        """The episode each step belongs to, int64 [T]."""
        return np.repeat(np.arange(self.n_episodes), self.lengths)

    def episode_end(self) -> np.ndarray:
        """For each step, one past the last step of its episode, int64 [T]."""
        return np.repeat(self.starts[1:], np.diff(self.starts))

    def returns(self) -> np.ndarray:
        """Episode returns, float64 [n_episodes]."""
        return np.add.reduceat(self.rewards.astype(np.float64), self.starts[:-1])

    def returns_to_go(self) -> np.ndarray:
        """R_t = r_t + r_{t+1} + ... + r_{end-1} within each episode, float64 [T]: one cumulative
        sum over all steps, differenced at each step's episode end."""
        c = np.concatenate([[0.0], np.cumsum(self.rewards, dtype=np.float64)])  # [T + 1]
        return c[self.episode_end()] - c[:-1]


@dataclass
class Dataset(BackToBack):
    world: str
    params: dict[str, object]
    alphabet: str
    event_names: tuple[str, ...]
    n_actions: int
    obs: np.ndarray  # uint8 [T, H, W]
    actions: np.ndarray  # int64 [T]
    rewards: np.ndarray  # float32 [T]
    performance: np.ndarray  # float32 [T] hidden performance increments
    events: np.ndarray  # int16 [T, E]
    terminated: np.ndarray  # bool [T] (True only on an episode's last step, if it terminated)
    truncated: np.ndarray  # bool [T]
    timesteps: np.ndarray  # int32 [T] step index within the episode
    states: np.ndarray  # int64 [T] compiled state index (-1 where the world is not compiled)
    starts: np.ndarray  # int64 [n_episodes + 1]
    final_obs: np.ndarray  # uint8 [n_episodes, H, W]
    final_states: np.ndarray  # int64 [n_episodes]
    episode_policy: np.ndarray  # int16 [n_episodes] index into policy_names
    policy_names: tuple[str, ...]
    episode_seed: np.ndarray  # int64 [n_episodes] the seed of the batch that made the episode
    meta: dict[str, object] = field(default_factory=dict)  # recipe, versions, ...

    def performances(self) -> np.ndarray:
        return np.add.reduceat(self.performance.astype(np.float64), self.starts[:-1])

    def event_totals(self) -> np.ndarray:
        """Event counts per episode, int64 [n_episodes, E]."""
        return np.add.reduceat(self.events.astype(np.int64), self.starts[:-1], axis=0)

    def select(self, mask: np.ndarray) -> Dataset:
        """The episodes where `mask` [n_episodes] is True, with everything they recorded."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        steps = np.concatenate(
            [np.arange(self.starts[i], self.starts[i + 1]) for i in idx] or [np.zeros(0, int)]
        ).astype(np.int64)
        per_step = {f: getattr(self, f)[steps] for f in (
            "obs", "actions", "rewards", "performance", "events", "terminated", "truncated",
            "timesteps", "states")}
        per_episode = {f: getattr(self, f)[idx] for f in (
            "final_obs", "final_states", "episode_policy", "episode_seed")}
        starts = np.concatenate([[0], np.cumsum(self.lengths[idx])]).astype(np.int64)
        return replace(self, **per_step, **per_episode, starts=starts, meta=dict(self.meta))
