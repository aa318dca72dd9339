"""The Pendulum reproduction at a tiny budget: generated data span a wide range of returns, and the
protocol reports one achieved return per target and seed with its rank correlation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulacra.learners.dt_train import TrainConfig
from simulacra.reproduce.pendulum import PendulumConfig, pendulum_data, run, swing_up, table

TINY = TrainConfig(steps=2, context=4, hidden=16, n_layer=1, batch_size=4, warmup_steps=1,
                   action_scale=2.0)


def test_generated_data_mix_skilled_and_random_play():
    data = pendulum_data(10, seed=0)
    r = data.returns()
    assert data.states.shape == (2000, 3) and data.actions.shape == (2000, 1)
    assert np.all(np.abs(data.actions) <= 2.0)
    # Noise-free swing-up (episodes 0, 5) beats uniform random play (episodes 4, 9) by far.
    assert min(r[0], r[5]) > max(r[4], r[9]) + 300


def test_swing_up_holds_the_top_and_pumps_at_the_bottom():
    upright = np.array([[1.0, 0.0, 0.0]])
    assert swing_up(upright)[0] == 0.0
    hanging_moving = np.array([[-1.0, 0.0, 1.0]])
    assert swing_up(hanging_moving)[0] == 2.0  # pushes along the motion to add energy


def test_tiny_run_reports_a_return_per_target_and_seed():
    cfg = PendulumConfig(episodes=5, seeds=2, targets=(-1000.0, -200.0), eval_episodes=1,
                         dt=TINY)
    res = run(cfg)
    out = res.to_json()
    json.dumps(out)
    assert len(out["per_seed"]) == 2 and all(len(x) == 2 for x in out["per_seed"])
    assert np.allclose(out["achieved"], np.mean(out["per_seed"], axis=0))
    assert all(-2000 < g <= 0 for seed in out["per_seed"] for g in seed)  # Pendulum's range
    assert "E[G | g]" in table(res) and "5 episodes of data" in table(res)


def test_targets_given_out_of_order_are_reported_in_the_order_of_their_returns():
    # calibration() returns E[G | g] by ascending g; the targets reported must line up with it.
    cfg = PendulumConfig(episodes=5, seeds=1, targets=(-200.0, -1000.0, -200.0),
                         eval_episodes=1, dt=TINY)
    res = run(cfg)
    assert res.to_json()["targets"] == [-1000.0, -200.0] and len(res.achieved[0]) == 2
    assert table(res).splitlines()[1].split()[2:] == ["-1000", "-200"]


def test_one_target_is_refused():
    with pytest.raises(ValueError, match="two targets"):
        run(PendulumConfig(targets=(-200.0,), dt=TINY))
    with pytest.raises(ValueError, match="two targets"):
        run(PendulumConfig(targets=(-200.0, -200.0), dt=TINY))


def test_defaults_are_the_readme_recipe():
    # README: "context 10, hidden 64, 2 layers, 1,500 steps, lr 5e-4 ... 100 generated episodes
    # per seed ... 8 episodes per target", 3 seeds, targets -1,200 ... -150.
    from simulacra.reproduce.pendulum import DEFAULT_BUDGET, TARGETS, PendulumConfig

    b, c = DEFAULT_BUDGET, PendulumConfig()
    assert (b.context, b.hidden, b.n_layer, b.steps, b.lr) == (10, 64, 2, 1500, 5e-4)
    assert (c.episodes, c.seeds, c.eval_episodes) == (100, 3, 8)
    assert TARGETS == (-1200.0, -900.0, -600.0, -300.0, -150.0) and c.targets == TARGETS
