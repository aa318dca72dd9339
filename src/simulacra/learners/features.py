"""The observation encoding shared by the SB3, BC and CQL baselines, and the bridges around it.

Every baseline here sees the same thing: the board, one-hot per cell and flattened, so that MLP
policies work and a comparison between learners is not a comparison between encoders. The board
of our worlds is Markov for the agent (the time step is not shown, as in the original suite).

Bridges:
- `OneHotObservation`: a Gymnasium wrapper that turns the uint8 [H, W] board into the features.
- `ObsPolicy`: turns any Markov `probs(boards) -> [N, A]` function into a `simulacra.policy.Policy`
  (seeded sampling, or greedy), so every baseline acts through the one protocol.
- `as_tabular`: the same function on every compiled state, as an exact `TabularPolicy`, so a
  trained agent's expected return and performance come from `simulacra.exact.solve.evaluate`
  without sampling noise.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from simulacra.exact.compile import CompiledWorld
from simulacra.policy import View, one_hot_obs

ProbsFn = Callable[[np.ndarray], np.ndarray]  # boards uint8 [N, H, W] -> probs float [N, A]


@dataclass(frozen=True)
class Encoding:
    """What the encoding needs to be rebuilt at load time (saved in config.json)."""

    alphabet: str
    obs_shape: tuple[int, int]

    @property
    def n_symbols(self) -> int:
        return len(self.alphabet)

    @property
    def n_features(self) -> int:
        return self.obs_shape[0] * self.obs_shape[1] * self.n_symbols

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Boards uint8 [N, H, W] -> float32 [N, H * W * n_symbols]."""
        if obs.shape[1:] != self.obs_shape:
            raise ValueError(
                f"boards of shape {obs.shape[1:]} given to a learner trained on {self.obs_shape}"
            )
        return one_hot_obs(obs, self.n_symbols)

    def to_json(self) -> dict:
        return {"alphabet": self.alphabet, "obs_shape": list(self.obs_shape)}

    @classmethod
    def from_json(cls, d: dict) -> Encoding:
        return cls(str(d["alphabet"]), (int(d["obs_shape"][0]), int(d["obs_shape"][1])))


def encoding_of_world(world: str, **params: object) -> Encoding:
    from simulacra.worlds.registry import make_batch

    batch = make_batch(world, 1, seed=0, **params)
    return Encoding(batch.alphabet, tuple(batch.obs_shape))  # type: ignore[arg-type]


class OneHotObservation(gym.ObservationWrapper):
    """Board Box uint8 [H, W] -> Box float32 [H * W * n_symbols] in {0, 1}."""

    def __init__(self, env: gym.Env, encoding: Encoding) -> None:
        super().__init__(env)
        self.encoding = encoding
        self.observation_space = gym.spaces.Box(0.0, 1.0, (encoding.n_features,), np.float32)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return self.encoding(np.asarray(observation)[None])[0]


class ObsPolicy:
    """A Markov policy over boards, acting through the `Policy` protocol.

    `deterministic=True` plays the most probable action (first on ties); otherwise actions are
    sampled from a Generator seeded at `reset(seed=...)`, so a seeded evaluation is reproducible.
    """

    def __init__(
        self, probs_fn: ProbsFn, n_actions: int, deterministic: bool, seed: int | None = None
    ) -> None:
        self.probs_fn = probs_fn
        self.n_actions = n_actions
        self.deterministic = deterministic
        self.rng = np.random.default_rng(seed)

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def probs(self, obs: np.ndarray) -> np.ndarray:
        return self.probs_fn(obs)

    def act(self, view: View) -> np.ndarray:
        p = self.probs_fn(view.obs)  # [N, A]
        if self.deterministic:
            return p.argmax(axis=1).astype(np.int64)
        return sample_rows(p, self.rng)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        pass


def sample_rows(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of probabilities [N, A] by inverse CDF (never past A - 1)."""
    u = rng.random(len(p))  # [N]
    k = (u[:, None] >= np.cumsum(p, axis=1)).sum(axis=1)  # [N]
    return np.minimum(k, p.shape[1] - 1).astype(np.int64)


@dataclass
class MarkovTable:
    """A Markov policy tabulated on every compiled state: a `TabularPolicy` for exact analysis."""

    table: np.ndarray  # float64 [S, A]

    @property
    def n_actions(self) -> int:
        return int(self.table.shape[1])

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        return self.table[states]


def as_tabular(policy: ObsPolicy, cw: CompiledWorld) -> MarkovTable:
    """The policy's action probabilities on every compiled state's board.

    With `deterministic=True` the table is the one-hot of the action `act` would play, so the
    exact figures are those of the policy as evaluated."""
    p = np.asarray(policy.probs_fn(cw.obs), dtype=np.float64)  # [S, A]
    if policy.deterministic:
        p = np.eye(p.shape[1])[p.argmax(axis=1)]
    return MarkovTable(p / p.sum(axis=1, keepdims=True))


def write_config(folder: Path, config: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True, default=str))


def mlp(n_in: int, n_out: int, hidden: int, layers: int):
    """The MLP the offline baselines share: `layers` hidden ReLU layers of width `hidden`."""
    from torch import nn

    dims = [n_in] + [hidden] * layers
    mods: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        mods += [nn.Linear(a, b), nn.ReLU()]
    mods.append(nn.Linear(dims[-1], n_out))
    return nn.Sequential(*mods)


def check_world(config: dict, folder: Path, world: str | None) -> None:
    """Refuse to act in a world other than the one a checkpoint was trained on.

    Other parameters of the same world are allowed on purpose (DistributionalShift's test maps,
    a fixed supervisor); a board of another shape is refused by `Encoding`."""
    from simulacra.learners import CheckpointError

    if world is not None and world != config.get("world"):
        raise CheckpointError(f"{folder} was trained on {config.get('world')}, not on {world}")
