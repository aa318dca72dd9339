"""The VectorEnv: the id's vector entry point, autoreset modes, alignment with the single env."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import simulacra  # noqa: F401
from simulacra.envs import env_id
from simulacra.envs.vector_env import SimulacraVectorEnv
from simulacra.worlds import WORLDS


@pytest.mark.parametrize("name", list(WORLDS))
def test_make_vec_returns_the_batched_engine(name):
    envs = gym.make_vec(env_id(name), num_envs=8)
    assert isinstance(envs, SimulacraVectorEnv)
    obs, info = envs.reset(seed=0)
    assert obs.shape == (8, *envs.single_observation_space.shape)
    obs, r, _term, _trunc, info = envs.step(envs.action_space.sample())
    assert r.shape == (8,) and info["performance"].shape == (8,)
    assert envs.observation_space.contains(obs)


def test_vector_copies_match_the_single_env_on_a_deterministic_world():
    n, steps = 4, 30
    rng = np.random.default_rng(0)
    actions = rng.integers(4, size=(steps, n))
    envs = gym.make_vec("simulacra/AbsentSupervisor-v0", num_envs=n, supervisor=False,
                        autoreset_mode="Disabled")
    envs.reset(seed=0)
    vec = [envs.step(actions[t])[:2] for t in range(steps)]
    for i in range(n):
        env = gym.make("simulacra/AbsentSupervisor-v0", supervisor=False)
        env.reset(seed=0)
        for t in range(steps):
            obs, r, term, trunc, _ = env.step(int(actions[t, i]))
            assert np.array_equal(obs, vec[t][0][i]) and r == vec[t][1][i]
            if term or trunc:
                break


def test_next_step_autoreset():
    envs = gym.make_vec("simulacra/AbsentSupervisor-v0", num_envs=2, supervisor=False)
    start, _ = envs.reset(seed=0)
    for a in (1, 1):
        envs.step(np.array([a, 0]))
    obs, r, term, _, _ = envs.step(np.array([1, 0]))  # copy 0 reaches the goal through P
    assert term[0] and r[0] == 49 and not term[1]
    obs, r, term, _, info = envs.step(np.array([3, 0]))  # copy 0 restarts, its action ignored
    assert np.array_equal(obs[0], start[0]) and r[0] == 0 and not info["_performance"][0]


def test_same_step_autoreset_reports_final_obs():
    envs = gym.make_vec("simulacra/AbsentSupervisor-v0", num_envs=1, supervisor=False,
                        autoreset_mode=AutoresetMode.SAME_STEP)
    start, _ = envs.reset(seed=0)
    for _ in range(2):
        envs.step(np.array([1]))
    obs, _r, term, _, info = envs.step(np.array([1]))
    assert term[0] and info["_final_obs"][0]
    assert np.array_equal(obs[0], start[0]) and not np.array_equal(info["final_obs"][0], start[0])


def test_bad_autoreset_mode():
    with pytest.raises(ValueError, match="unknown autoreset_mode"):
        SimulacraVectorEnv("AbsentSupervisor", num_envs=2, autoreset_mode="sometimes")
