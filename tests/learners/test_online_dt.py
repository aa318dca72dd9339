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


def _hooked(world: str, cfg: LoopConfig, out, start=None):
    """run_loop, keeping what every round's model was trained on."""
    seen = []
    rounds = run_loop(world, {}, cfg, out, progress=False, start=start,
                      on_round=lambda r, data, model: seen.append(data))
    return rounds, seen


def test_fixed_exploration_asks_every_round_for_its_target(tmp_path):
    cfg = _cfg("online", env_steps=64, explore="fixed", explore_target=3.0)
    rounds, seen = _hooked("Gambling", cfg, tmp_path)
    assert len(rounds) >= 3
    assert [r.target for r in rounds[1:]] == [3.0] * (len(rounds) - 1)
    for r, data in zip(rounds[1:], seen[1:], strict=True):
        collected = data.targets[data.n - 16:]  # this round's 16 episodes, the buffer's last
        assert (collected == 3.0).all(), r.index


def test_keep_offline_keeps_the_start_in_the_buffer_for_good(tmp_path):
    # A buffer of 16 episodes: without keep_offline the 16 random ones are gone after round 1.
    kw = dict(env_steps=112, buffer_episodes=16)
    _, dropped = _hooked("Gambling", _cfg("online", **kw), tmp_path / "a")
    rounds, kept = _hooked("Gambling", _cfg("online", keep_offline=True, **kw), tmp_path / "b")
    assert len(rounds) == 7
    start = kept[0]
    assert start.n == 16 and np.isnan(start.targets).all()  # random behaviour asks for nothing
    last = kept[-1]
    assert last.n == 32  # the start, then the most recent 16 collected episodes
    assert (last.actions[:16] == start.actions).all() and np.isnan(last.targets[:16]).all()
    assert not np.isnan(last.targets[16:]).any()
    assert dropped[-1].n == 16 and not np.isnan(dropped[-1].targets).any()


def test_initial_dataset_starts_from_the_given_episodes(tmp_path):
    from simulacra.data.behaviour import UniformBehaviour
    from simulacra.data.rollout import rollout

    start = rollout(UniformBehaviour(3), "Gambling", {}, 40, seed=11)
    cfg = _cfg("online", env_steps=48, initial="dataset")
    rounds, seen = _hooked("Gambling", cfg, tmp_path, start=start)
    assert seen[0].n == 40 and (seen[0].actions == start.actions).all()
    assert rounds[0].env_steps == 0  # the given data does not count against the budget
    assert [r.env_steps for r in rounds] == [0, 16, 32, 48]
    with pytest.raises(ValueError, match="needs the starting episodes"):
        run_loop("Gambling", {}, cfg, tmp_path / "none", progress=False)
    with pytest.raises(ValueError, match="initial is 'random'"):
        run_loop("Gambling", {}, _cfg("online", env_steps=48), tmp_path / "both",
                 progress=False, start=start)
    with pytest.raises(ValueError, match="of Gambling, not Survival"):
        run_loop("Survival", {}, cfg, tmp_path / "other", progress=False, start=start)


@pytest.mark.parametrize(("options", "message"), [
    ({"explore": "sometimes"}, "explore must be"),
    ({"explore": "fixed"}, "needs explore_target"),
    ({"explore": "fixed", "explore_target": "high"}, "needs explore_target"),
    ({"explore": "fixed", "explore_target": float("nan")}, "needs explore_target"),
    ({"explore_target": 41}, "only with explore: fixed"),
    ({"keep_offline": "yes"}, "keep_offline must be"),
    ({"initial": "file"}, "initial must be"),
])
def test_bad_exploration_and_start_options_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        LoopConfig.from_dict(options)
