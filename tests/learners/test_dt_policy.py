"""The batched KV-cached policy: identical greedy actions to the original one-world evaluation,
return-to-go bookkeeping, sampling, and target warnings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.dt_policy import DTPolicy, TargetWarning, reference_episode, rollout
from simulacra.policy import Policy, View
from simulacra.worlds.registry import make_batch


def absent_model(context: int) -> DecisionTransformer:
    torch.manual_seed(1)
    cfg = DTConfig(state_shape=(6, 8), act_dim=4, n_symbols=6, hidden=32, n_layer=2, n_head=2,
                   context=context, max_timestep=100, dropout=0.0, return_scale=50.0)
    model = DecisionTransformer(cfg).eval()
    with torch.no_grad():  # larger weights than the init, so that actions vary along an episode
        for p in model.parameters():
            p.mul_(8.0)
    return model


@pytest.mark.parametrize("context", [4, 40])  # windows that slide, and one covering the episode
def test_batched_greedy_actions_equal_the_original_style(context):
    model = absent_model(context)
    targets = np.array([-60.0, -10.0, 20.0, 45.0, 50.0, 0.0])
    batch = make_batch("AbsentSupervisor", len(targets), seed=4)
    batch.max_steps = 25
    out = rollout(DTPolicy(model), batch, targets, seed=4)
    one = make_batch("AbsentSupervisor", 1, seed=4)
    one.max_steps = 25
    assert len({tuple(row) for row in out["actions"]}) > 1  # not a degenerate constant policy
    for i, g in enumerate(targets):
        actions, ret = reference_episode(model, one, g, start_state=int(out["start"][i]))
        n = int(out["lengths"][i])
        np.testing.assert_array_equal(out["actions"][i, :n], actions)
        assert ret == out["returns"][i]


def test_return_to_go_is_decremented_by_rewards():
    policy = DTPolicy(absent_model(4))
    assert isinstance(policy, Policy)
    batch = make_batch("AbsentSupervisor", 3, seed=0)
    batch.reset()
    targets = np.array([10.0, 20.0, 30.0])
    policy.reset(3, targets, seed=0)
    total = np.zeros(3)
    for _ in range(6):
        a = policy.act(View(obs=batch.observe(), t=batch.t.copy()))
        res = batch.step(a)
        policy.observe(a, res.reward, res.terminated | res.truncated)
        total += res.reward
        np.testing.assert_allclose(policy.rtg.numpy(), targets - total)


def test_sampled_actions_follow_the_seed():
    model = absent_model(8)
    batch = make_batch("AbsentSupervisor", 16, seed=0)
    batch.max_steps = 12
    runs = [rollout(DTPolicy(model, greedy=False), batch, np.full(16, 40.0), seed=s)["actions"]
            for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_approximate_cache_agrees_until_the_window_slides():
    model = absent_model(6)
    batch = make_batch("AbsentSupervisor", 8, seed=2)
    batch.max_steps = 20
    targets = np.linspace(-50, 50, 8)
    exact = rollout(DTPolicy(model), batch, targets, seed=2)["actions"]
    approx = rollout(DTPolicy(model, approx_cache=True), batch, targets, seed=2)["actions"]
    np.testing.assert_array_equal(exact[:, :6], approx[:, :6])


def test_far_targets_warn_and_are_reported():
    policy = DTPolicy(absent_model(4), return_range=(-100.0, 47.0))
    with pytest.warns(TargetWarning, match="far outside"):
        policy.reset(2, np.array([10.0, 1e6]))
    assert len(policy.reports) == 1
    policy.reset(2, np.array([10.0, 47.0]))  # inside: no new report
    assert len(policy.reports) == 1


def test_continuous_actions():
    torch.manual_seed(0)
    model = DecisionTransformer(DTConfig(state_shape=(3,), act_dim=1, discrete=False, hidden=16,
                                         n_layer=1, context=3, action_scale=2.0)).eval()
    policy = DTPolicy(model)
    policy.reset(4, np.full(4, -200.0))
    for t in range(5):  # past the context, through the re-encoding path
        a = policy.act(View(obs=np.random.default_rng(t).normal(size=(4, 3)).astype(np.float32),
                            t=np.full(4, t)))
        assert a.shape == (4, 1) and np.abs(a).max() <= 2.0
        policy.observe(a, np.full(4, -1.0), np.zeros(4, bool))
