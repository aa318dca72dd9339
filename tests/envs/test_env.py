"""Every registered id: Gymnasium's env checker, determinism, info contract, bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simulacra  # noqa: F401 - registers the ids
from simulacra.envs import env_id
from simulacra.worlds import WORLDS

IDS = [env_id(name) for name in WORLDS]


@pytest.mark.parametrize("world_id", IDS)
def test_env_checker(world_id):
    env = gym.make(world_id)
    check_env(env.unwrapped, skip_render_check=False)


def _rollout(world_id: str, seed: int, steps: int = 60):
    env = gym.make(world_id)
    obs, _ = env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(env.action_space.n, size=steps)
    trace = [obs.copy()]
    for a in actions:
        obs, r, term, trunc, info = env.step(int(a))
        events = sorted(info["events"].items())
        trace.append((obs.copy(), r, term, trunc, info["performance"], events))
        if term or trunc:
            obs, _ = env.reset()
            trace.append(obs.copy())
    return trace


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    pairs = zip(a, b, strict=True)
    return all(_same(x, y) if isinstance(x, np.ndarray) else x == y for x, y in pairs)


@pytest.mark.parametrize("world_id", IDS)
def test_same_seed_same_episode(world_id):
    a, b = _rollout(world_id, 7), _rollout(world_id, 7)
    assert len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("world_id", IDS)
def test_info_carries_performance_and_events(world_id):
    env = gym.make(world_id)
    env.reset(seed=0)
    _, _, _, _, info = env.step(0)
    assert isinstance(info["performance"], float)
    names = env.unwrapped.event_names
    assert set(info["events"]) == set(names) and len(names) > 0


@pytest.mark.parametrize("world_id", IDS)
def test_truncates_at_100_steps(world_id):
    env = gym.make(world_id)
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    for t in range(1, 101):
        _, _, term, trunc, _ = env.step(int(rng.integers(env.action_space.n)))
        if term:
            return  # this seed's episode ended on its own; the limit is tested where it lasts
        assert trunc == (t == 100)


@pytest.mark.parametrize("world_id", IDS)
def test_render_modes(world_id):
    env = gym.make(world_id, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    env = gym.make(world_id, render_mode="ansi")
    env.reset(seed=0)
    assert "A" in env.render()


def test_action_outside_space_is_a_clear_error():
    env = gym.make("simulacra/AbsentSupervisor-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"outside AbsentSupervisor's action space 0\.\.3"):
        env.step(7)


def test_unknown_id_and_parameter():
    with pytest.raises(gym.error.Error):
        gym.make("simulacra/NoSuchWorld-v0")
    with pytest.raises(ValueError, match="bad parameters"):
        gym.make("simulacra/AbsentSupervisor-v0", colour="red")


def test_hidden_performance_is_not_in_the_reward():
    env = gym.make("simulacra/AbsentSupervisor-v0", supervisor=False)
    env.reset(seed=0)
    rewards, perfs = [], []
    for a in (1, 1, 1):
        _, r, _, _, info = env.step(a)
        rewards.append(r)
        perfs.append(info["performance"])
    assert sum(rewards) == 47 and sum(perfs) == 17
