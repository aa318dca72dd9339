"""The trial-and-error loops: budget accounting, checkpoints per round, determinism."""

import itertools
import json

import numpy as np
import pytest

from simulacra.learners import load_policy
from simulacra.learners.dt_train import TrainConfig
from simulacra.learners.online_dt import EntropyTuner, LoopConfig, run_loop

TINY = dict(initial_episodes=16, episodes_per_round=16, min_steps_per_round=0, pretrain_steps=10,
            updates_per_round=5)


def _cfg(mode: str, env_steps: int = 300, **kw) -> LoopConfig:
    dt = TrainConfig(steps=0, hidden=16, n_layer=1, context=4, warmup_steps=2, seed=3,
                     batch_size=8)
    return LoopConfig(mode=mode, env_steps=env_steps, dt=dt, **{**TINY, **kw})


@pytest.mark.parametrize(("mode", "retrain"), [("online", "finetune"), ("iterated", "scratch")])
def test_loop_spends_its_budget_and_checkpoints_every_round(tmp_path, mode, retrain):
    cfg = _cfg(mode, env_steps=1200, retrain=retrain)
    rounds = run_loop("Survival", {}, cfg, tmp_path, progress=False)
    assert len(rounds) >= 3, "the random start alone cannot spend the budget here"
    steps = [r.env_steps for r in rounds]
    assert steps == sorted(steps) and steps[-1] >= 1200 > steps[-2]
    for before, r in itertools.pairwise(rounds):
        assert r.target > before.best_return_seen  # explores above the best return seen
        info = json.loads((tmp_path / f"round_{r.index:03d}" / "config.json").read_text())
        assert info["learner"] == "online_dt" and info["round"] == r.index
    policy = load_policy(rounds[-1].checkpoint, device="cpu")
    assert policy.n_actions == 4


def test_same_seed_same_rounds(tmp_path):
    cfg = _cfg("online", env_steps=64)  # Gambling's episodes last one step
    a = run_loop("Gambling", {}, cfg, tmp_path / "a", progress=False)
    b = run_loop("Gambling", {}, cfg, tmp_path / "b", progress=False)
    assert [(r.env_steps, r.mean_return, r.loss) for r in a] == \
        [(r.env_steps, r.mean_return, r.loss) for r in b]


def test_entropy_weight_rises_while_entropy_is_below_target():
    import torch

    tuner = EntropyTuner(target=1.0, lr=0.1, device=torch.device("cpu"))
    before = float(tuner.alpha)
    for _ in range(5):
        tuner.update(torch.tensor(0.2))
    assert float(tuner.alpha) > before
    for _ in range(50):
        tuner.update(torch.tensor(1.3))
    assert float(tuner.alpha) < before


def test_bad_options_are_clear_errors():
    with pytest.raises(ValueError, match="mode must be"):
        LoopConfig(mode="offline")
    with pytest.raises(ValueError, match="unknown loop options"):
        LoopConfig.from_dict({"rounds": 3})
    assert np.isclose(LoopConfig.from_dict({"dt": {"hidden": 8}}).dt.hidden, 8)


def test_short_episodes_make_bigger_rounds(tmp_path):
    # Gambling's episodes last one step: 16 episodes a round would be 16 steps; asking for at
    # least 48 steps a round makes each round collect 48 episodes.
    rounds = run_loop("Gambling", {}, _cfg("online", env_steps=112, min_steps_per_round=48),
                      tmp_path, progress=False)
    steps = [r.env_steps for r in rounds]
    assert steps == [16, 64, 112]


def test_the_loops_training_step_takes_any_action_space():
    """The loops share offline training's step and loss (`dt_train.action_loss`, `train_step`):
    continuous actions train too; online mode's entropy bonus needs discrete ones."""
    from dataclasses import replace

    from simulacra.learners.dt import DecisionTransformer
    from simulacra.learners.dt_train import Trajectories, model_config
    from simulacra.learners.online_dt import Updater

    rng = np.random.default_rng(0)
    data = Trajectories(states=rng.normal(size=(40, 3)).astype(np.float32),
                        actions=rng.normal(size=(40, 2)).astype(np.float32),
                        rewards=np.ones(40, np.float32),
                        timesteps=np.tile(np.arange(10), 4).astype(np.int64),
                        starts=np.arange(0, 41, 10).astype(np.int64))
    cfg = LoopConfig(mode="iterated", dt=TrainConfig(context=4, batch_size=8, n_layer=1,
                                                      hidden=16, device="cpu", progress=False))
    model = DecisionTransformer(model_config(data, cfg.dt))
    before = [p.detach().clone() for p in model.parameters()]
    loss, entropy = Updater(model, cfg, rng, n_actions=2).run(data, 3)
    assert np.isfinite(loss) and np.isnan(entropy)
    assert any(not (p == q).all() for p, q in zip(model.parameters(), before, strict=True))
    with pytest.raises(ValueError, match="discrete"):
        Updater(model, replace(cfg, mode="online"), rng, n_actions=2)
