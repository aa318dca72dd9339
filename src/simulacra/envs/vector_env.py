"""N copies of a world as one Gymnasium VectorEnv, stepped by the batched engine.

`gymnasium.make_vec("simulacra/<Name>-v0", num_envs=N)` returns this class (the id's vector entry
point). Autoreset is explicit (`autoreset_mode`):
    NEXT_STEP (default, Gymnasium's own default): the step that ends an episode returns its final
        observation; the next step resets that copy, ignores its action, and returns reward 0.
    SAME_STEP: the ending step already returns the new episode's first observation; the final one
        is in info["final_obs"] (masked by info["_final_obs"]).
    DISABLED: copies are never reset by `step`; call `reset(options={"reset_mask": mask})`.
Info follows Gymnasium's vector convention: info[key] is an array over copies and info["_key"] the
mask of copies that hold it; info["events"] is a dict of such arrays, one per event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from simulacra.envs.render import ansi_frame, rgb_frame
from simulacra.worlds.registry import make_batch


class SimulacraVectorEnv(VectorEnv):
    metadata = {"render_modes": ["ansi", "rgb_array"], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        world: str,
        num_envs: int = 1,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **params: Any,
    ) -> None:
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError as err:
            valid = ", ".join(m.value for m in AutoresetMode)
            raise ValueError(f"unknown autoreset_mode {autoreset_mode!r}; valid: {valid}") from err
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; valid: {self.metadata['render_modes']}"
            )
        self.world = world
        self.params = params
        self.batch = make_batch(world, num_envs, seed=None, **params)
        self.num_envs = num_envs
        self.autoreset_mode = mode
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.render_mode = render_mode
        h, w = self.batch.obs_shape
        self.single_observation_space = spaces.Box(
            0, len(self.batch.alphabet) - 1, shape=(h, w), dtype=np.uint8
        )
        self.single_action_space = spaces.Discrete(self.batch.n_actions)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._needs_reset = np.zeros(num_envs, dtype=bool)
        self._all = np.ones(num_envs, dtype=bool)

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        if isinstance(seed, list):
            seed = seed[0] if seed else None  # one engine RNG serves every copy
        if seed is not None:
            self.batch.seed(seed)
            self._np_random_seed = seed
        mask = None if options is None else options.get("reset_mask")
        mask = self._all if mask is None else np.asarray(mask, dtype=bool)
        self.batch.reset(mask)
        self._needs_reset[mask] = False
        return self.batch.observe().copy(), self._info(None, mask)

    def _info(self, step, mask: np.ndarray) -> dict[str, Any]:
        n = self.num_envs
        events = {}
        for i, name in enumerate(self.batch.event_names):
            events[name] = np.zeros(n, np.int64) if step is None else step.events[:, i].astype(
                np.int64
            )
            events[f"_{name}"] = mask.copy()
        info: dict[str, Any] = {
            "performance": np.zeros(n) if step is None else step.performance.astype(np.float64),
            "_performance": mask.copy(),
            "events": events,
            "_events": mask.copy(),
        }
        extras = self.batch.extras()
        for i, name in enumerate(self.batch.extra_names):
            info[name] = extras[:, i].astype(np.float64)
            info[f"_{name}"] = mask.copy()
        return info

    def step(self, actions):
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,):
            raise ValueError(f"expected {self.num_envs} actions, got shape {actions.shape}")
        restarting = self._needs_reset.copy()
        # Copies restarting this step ignore their action; give them a valid one.
        safe_actions = np.where(restarting, 0, actions)
        r = self.batch.step(safe_actions)
        done = r.terminated | r.truncated
        live = ~restarting
        if restarting.any():
            self.batch.reset(restarting)
            r.reward[restarting] = 0.0
            r.performance[restarting] = 0.0
            r.events[restarting] = 0
            r.terminated[restarting] = False
            r.truncated[restarting] = False
            done = done & live
        info = self._info(r, live)
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._needs_reset = done
            obs = self.batch.observe().copy()
        elif self.autoreset_mode == AutoresetMode.SAME_STEP:
            obs = self.batch.observe().copy()
            if done.any():
                info["final_obs"] = np.array(list(obs), dtype=object)
                info["_final_obs"] = done.copy()
                self.batch.reset(done)
                obs = self.batch.observe().copy()
        else:
            obs = self.batch.observe().copy()
        return obs, r.reward.astype(np.float64), r.terminated, r.truncated, info

    def render(self):
        if self.render_mode == "ansi":
            return "\n".join(ansi_frame(self.batch.board(i), 0.0, 0.0, int(self.batch.t[i]))
                             for i in range(self.num_envs))
        if self.render_mode == "rgb_array":
            obs = self.batch.observe()
            return tuple(rgb_frame(o, self.batch.alphabet) for o in obs)
        return None
