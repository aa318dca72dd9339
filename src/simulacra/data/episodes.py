"""Episodes produced by evaluation: per-episode records plus, optionally, every step.

Per-episode arrays have one entry per episode; step arrays are stored back to back as in
`simulacra.data.dataset.Dataset` (episode i is steps starts[i]:starts[i + 1]), so a rollout can
be turned into a Dataset (`to_dataset`) for the trial-and-error loop without copying logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from simulacra.data.dataset import Dataset


@dataclass
class Episodes:
    world: str
    params: dict[str, object]
    event_names: tuple[str, ...]
    n_actions: int
    alphabet: str
    compiled: bool  # True when `states` holds compiled state indices
    # Per episode.
    returns: np.ndarray  # float64 [N]
    performance: np.ndarray  # float64 [N]
    events: np.ndarray  # int64 [N, E] event counts
    lengths: np.ndarray  # int64 [N]
    targets: np.ndarray  # float64 [N] return asked for (NaN: not return-conditioned)
    seeds: np.ndarray  # int64 [N] the world seed of the wave that played the episode
    terminated_episode: np.ndarray  # bool [N] ended by termination (else truncated)
    # Per step, back to back (empty arrays when trajectories were not recorded).
    starts: np.ndarray  # int64 [N + 1]
    states: np.ndarray  # int64 [T] compiled state before each action (-1: not compiled)
    actions: np.ndarray  # int64 [T]
    rewards: np.ndarray  # float32 [T]
    step_performance: np.ndarray  # float32 [T]
    step_events: np.ndarray  # int16 [T, E]
    timesteps: np.ndarray  # int32 [T]
    obs: np.ndarray  # uint8 [T, H, W]
    final_obs: np.ndarray  # uint8 [N, H, W]
    final_states: np.ndarray  # int64 [N]
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.returns)

    @property
    def has_steps(self) -> bool:
        return len(self.starts) == self.n + 1 and len(self.actions) == int(self.lengths.sum())

    def episode_ids(self) -> np.ndarray:
        """The episode each recorded step belongs to, int64 [T]."""
        return np.repeat(np.arange(self.n), self.lengths)

    def first_actions(self) -> np.ndarray:
        """The first action of each episode, int64 [N] (needs recorded steps)."""
        self._need_steps()
        return self.actions[self.starts[:-1]]

    def select(self, mask: np.ndarray) -> Episodes:
        """The episodes where `mask` [N] is True (or at the given indices)."""
        idx = np.arange(self.n)[mask] if np.asarray(mask).dtype == bool else np.asarray(mask)
        per_ep = {
            f: getattr(self, f)[idx]
            for f in ("returns", "performance", "events", "lengths", "targets", "seeds",
                      "terminated_episode")
        }
        if not self.has_steps:
            return replace(self, **per_ep)
        steps = np.concatenate(
            [np.arange(self.starts[i], self.starts[i + 1]) for i in idx] or [np.zeros(0, int)]
        ).astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(self.lengths[idx])]).astype(np.int64)
        per_step = {
            f: getattr(self, f)[steps]
            for f in ("states", "actions", "rewards", "step_performance", "step_events",
                      "timesteps", "obs")
        }
        return replace(
            self, **per_ep, **per_step, starts=starts,
            final_obs=self.final_obs[idx], final_states=self.final_states[idx],
        )

    @staticmethod
    def concat(parts: list[Episodes]) -> Episodes:
        """Episodes of several rollouts of one world, in order."""
        if not parts:
            raise ValueError("nothing to concatenate")
        first = parts[0]
        out = {}
        for f in fields(Episodes):
            v = getattr(first, f.name)
            if not isinstance(v, np.ndarray):
                out[f.name] = v
            elif f.name == "starts":
                offsets = np.cumsum([0] + [int(p.lengths.sum()) for p in parts[:-1]])
                out[f.name] = np.concatenate(
                    [[0]] + [p.starts[1:] + o for p, o in zip(parts, offsets, strict=True)]
                ).astype(np.int64)
            else:
                out[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        return Episodes(**out)

    @classmethod
    def from_dataset(cls, ds: Dataset) -> Episodes:
        """A dataset's episodes as evaluated Episodes (so the data can be measured like a
        learner: the study's `data` reference)."""
        totals = ds.event_totals()
        return cls(
            world=ds.world, params=dict(ds.params), event_names=tuple(ds.event_names),
            n_actions=ds.n_actions, alphabet=ds.alphabet, compiled=bool((ds.states >= 0).all()),
            returns=ds.returns(), performance=ds.performances(), events=totals,
            lengths=ds.lengths.astype(np.int64), targets=np.full(ds.n_episodes, np.nan),
            seeds=ds.episode_seed.astype(np.int64),
            terminated_episode=ds.terminated[ds.starts[1:] - 1] if ds.n_episodes
            else np.zeros(0, dtype=bool),
            starts=ds.starts.astype(np.int64), states=ds.states.astype(np.int64),
            actions=ds.actions.astype(np.int64), rewards=ds.rewards,
            step_performance=ds.performance, step_events=ds.events, timesteps=ds.timesteps,
            obs=ds.obs, final_obs=ds.final_obs, final_states=ds.final_states,
            meta=dict(ds.meta),
        )

    def to_dataset(self, policy_name: str = "evaluated") -> Dataset:
        """The recorded steps as a Dataset (the trial-and-error loop trains on its own rollouts)."""
        self._need_steps()
        last = self.starts[1:] - 1
        terminated = np.zeros(len(self.actions), dtype=bool)
        truncated = np.zeros(len(self.actions), dtype=bool)
        terminated[last] = self.terminated_episode
        truncated[last] = ~self.terminated_episode
        return Dataset(
            world=self.world, params=dict(self.params), alphabet=self.alphabet,
            event_names=self.event_names, n_actions=self.n_actions,
            obs=self.obs, actions=self.actions, rewards=self.rewards,
            performance=self.step_performance, events=self.step_events,
            terminated=terminated, truncated=truncated, timesteps=self.timesteps,
            states=self.states, starts=self.starts, final_obs=self.final_obs,
            final_states=self.final_states,
            episode_policy=np.zeros(self.n, dtype=np.int16), policy_names=(policy_name,),
            episode_seed=self.seeds, meta=dict(self.meta),
        )

    def _need_steps(self) -> None:
        if not self.has_steps:
            raise ValueError("these episodes were rolled out without record_trajectories")
