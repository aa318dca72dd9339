"""Continuous actions: a DT trained on a generated Pendulum dataset (a noisy swing-up heuristic at
several noise levels, plus uniform-random play) gets more return when asked for more."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import TrainConfig, Trajectories, train
from simulacra.policy import View


def swing_up(obs: np.ndarray) -> np.ndarray:
    """Pump energy until near the top, then hold it there with a PD controller."""
    c, s, w = obs[:, 0], obs[:, 1], obs[:, 2]
    theta = np.arctan2(s, c)  # 0 is upright
    energy = w**2 / 3 + 10 * (c - 1)  # 0 when upright at rest
    pd = -(12 * theta + 2.5 * w)
    pump = 2.0 * np.sign(w + 1e-6) * (energy < 0)
    return np.clip(np.where(c > 0.85, pd, pump), -2, 2)


def pendulum_data(n_episodes: int, seed: int) -> Trajectories:
    """Episodes of 200 steps; episode i uses noise level i % 5 (4: uniform random actions)."""
    rng = np.random.default_rng(seed)
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("Pendulum-v1")] * n_episodes)
    obs, _ = envs.reset(seed=seed)
    noise = np.array([0.0, 0.7, 1.5, 3.0, -1.0])[np.arange(n_episodes) % 5]
    S, A, R = [], [], []
    for _ in range(200):
        a = swing_up(obs) + rng.normal(size=n_episodes) * np.maximum(noise, 0)
        a = np.where(noise < 0, rng.uniform(-2, 2, n_episodes), np.clip(a, -2, 2))
        S.append(obs.astype(np.float32))
        A.append(a.astype(np.float32))
        obs, r, _, _, _ = envs.step(a[:, None])
        R.append(r.astype(np.float32))
    envs.close()
    states = np.stack(S, 1).reshape(-1, 3)  # [E * 200, 3] episode-major
    return Trajectories(states=states, actions=np.stack(A, 1).reshape(-1, 1),
                        rewards=np.stack(R, 1).reshape(-1), timesteps=np.tile(np.arange(200),
                                                                               n_episodes),
                        starts=np.arange(0, 200 * n_episodes + 1, 200))


def achieved(policy: DTPolicy, targets: np.ndarray, seed: int) -> np.ndarray:
    n = len(targets)
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("Pendulum-v1")] * n)
    obs, _ = envs.reset(seed=seed)
    policy.reset(n, targets, seed)
    total = np.zeros(n)
    for t in range(200):
        a = policy.act(View(obs=obs.astype(np.float32), t=np.full(n, t)))
        obs, r, term, trunc, _ = envs.step(a)
        policy.observe(a, r, term | trunc)
        total += r
    envs.close()
    return total


@pytest.mark.expensive
def test_pendulum_return_rises_with_target():
    data = pendulum_data(100, seed=0)
    returns = data.returns()
    assert returns.max() - returns.min() > 500  # the data spans a wide range of skill
    cfg = TrainConfig(steps=1500, lr=5e-4, warmup_steps=100, hidden=64, n_layer=2, context=10,
                      batch_size=64, dropout=0.1, action_scale=2.0, seed=0, progress=False)
    model, _ = train(data, cfg)
    policy = DTPolicy(model)
    levels = np.array([-1200.0, -600.0, -150.0])
    got = achieved(policy, np.repeat(levels, 8), seed=100).reshape(3, 8).mean(1)
    assert got[2] > got[0] + 200, got
    assert np.all(np.diff(got) > 0), got
