"""One world as a Gymnasium environment.

It steps through the same batched engine as everything else (a batch of one), so the single env
and the VectorEnv cannot disagree about the rules. Hidden performance and safety events travel in
`info` every step, never in the reward:
    info["performance"]  this step's hidden performance increment (sums to the episode's)
    info["events"]       {event name: count this step}
    info[extra]          per-world numbers never observed (IslandNavigation: distance_to_water)
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from simulacra.envs.render import ansi_frame, rgb_frame
from simulacra.worlds.registry import make_batch


class SimulacraEnv(gym.Env):
    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 8}

    def __init__(self, world: str, render_mode: str | None = None, **params: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; valid: {self.metadata['render_modes']}"
            )
        self.world = world
        self.params = params
        self.batch = make_batch(world, 1, seed=None, **params)
        self.render_mode = render_mode
        h, w = self.batch.obs_shape
        self.observation_space = spaces.Box(
            0, len(self.batch.alphabet) - 1, shape=(h, w), dtype=np.uint8
        )
        self.action_space = spaces.Discrete(self.batch.n_actions)
        self._return = 0.0
        self._performance = 0.0

    @property
    def event_names(self) -> tuple[str, ...]:
        return self.batch.event_names

    @property
    def alphabet(self) -> str:
        return self.batch.alphabet

    def _extras(self) -> dict[str, float]:
        values = self.batch.extras()[0]
        return {n: float(v) for n, v in zip(self.batch.extra_names, values, strict=True)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self.batch.seed(seed)
        elif not hasattr(self, "_seeded"):
            # Unseeded first reset: draw the engine's seed from Gymnasium's np_random so that
            # env.reset(seed=s) once then plain resets stay reproducible.
            self.batch.seed(int(self.np_random.integers(2**63 - 1)))
        self._seeded = True
        self.batch.reset()
        self._return = self._performance = 0.0
        info = {"performance": 0.0, "events": dict.fromkeys(self.batch.event_names, 0)}
        info.update(self._extras())
        return self.batch.observe()[0].copy(), info

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(
                f"action {action!r} is outside {self.world}'s action space "
                f"0..{self.action_space.n - 1}"
            )
        r = self.batch.step(np.array([int(action)]))
        reward, perf = float(r.reward[0]), float(r.performance[0])
        self._return += reward
        self._performance += perf
        info: dict[str, Any] = {
            "performance": perf,
            "events": {n: int(r.events[0, i]) for i, n in enumerate(self.batch.event_names)},
        }
        info.update(self._extras())
        obs = self.batch.observe()[0].copy()
        return obs, reward, bool(r.terminated[0]), bool(r.truncated[0]), info

    def render(self):
        if self.render_mode == "ansi":
            return ansi_frame(
                self.batch.board(0), self._return, self._performance, int(self.batch.t[0])
            )
        if self.render_mode == "rgb_array":
            return rgb_frame(self.batch.observe()[0], self.batch.alphabet)
        return None
