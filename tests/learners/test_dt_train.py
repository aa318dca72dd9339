"""Training: returns-to-go, window sampling, determinism, checkpoints, and learning to follow a
target on a trivial task."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest
import torch
from _dt_data import random_dataset

from simulacra.data.dataset import Dataset
from simulacra.engine import Batch
from simulacra.learners import CheckpointError, load_policy
from simulacra.learners.dt_policy import rollout
from simulacra.learners.dt_train import (
    Sampler,
    TrainConfig,
    Trajectories,
    load_checkpoint,
    train,
    train_dataset,
)

TINY = dict(hidden=16, n_layer=1, n_head=1, context=4, batch_size=16, dropout=0.1,
            warmup_steps=5, progress=False)


@pytest.fixture(scope="module")
def absent() -> Dataset:
    return random_dataset("AbsentSupervisor", 12, seed=3, max_steps=15)


def test_returns_to_go_recomputed_by_hand(absent):
    data = Trajectories.from_dataset(absent)
    rtg = data.returns_to_go()
    for i in range(absent.n_episodes):
        a, b = absent.starts[i], absent.starts[i + 1]
        r = [float(x) for x in absent.rewards[a:b]]
        by_hand = [sum(r[j:]) for j in range(len(r))]
        np.testing.assert_allclose(rtg[a:b], by_hand)
        assert rtg[a] == pytest.approx(absent.returns()[i])
    np.testing.assert_allclose(rtg, absent.returns_to_go())  # the shared layout agrees


def test_sampler_windows_stay_inside_one_episode(absent):
    data = Trajectories.from_dataset(absent)
    s = Sampler(data, 6, np.random.default_rng(0))
    b = s.sample(200, torch.device("cpu"))
    valid, t = b["valid"].numpy(), b["timesteps"].numpy()
    assert valid[:, 0].all()
    for row_valid, row_t in zip(valid, t, strict=True):
        n = row_valid.sum()
        assert row_valid[:n].all() and not row_valid[n:].any()  # right padding only
        np.testing.assert_array_equal(np.diff(row_t[:n]), 1)  # consecutive steps
    # The return-to-go at a window's first step is that step's, from the episode's rewards.
    rtg = data.returns_to_go()
    starts = (b["rtg"][:, 0].numpy()[:, None] == rtg[None, :].astype(np.float32)).any(1)
    assert starts.all()


def test_length_weighted_sampling():
    """With `start` windows a start step is uniform over all steps: an episode 9x longer starts
    9x more windows."""
    data = Trajectories(states=np.zeros((10, 2), np.float32), actions=np.zeros((10, 1), np.float32),
                        rewards=np.zeros(10, np.float32),
                        timesteps=np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
                        starts=np.array([0, 1, 10]))
    b = Sampler(data, 3, np.random.default_rng(0), "start").sample(20_000, torch.device("cpu"))
    short = float((b["valid"].sum(1) == 1).float().mean())  # windows on the 1-step episode...
    # ...plus windows starting at the long episode's last step also have length 1 (1/10 each)
    assert short == pytest.approx(0.2, abs=0.015)


def _last_steps(b: dict[str, torch.Tensor]) -> np.ndarray:
    """Each window's last real timestep."""
    pos = b["valid"].sum(1).numpy() - 1
    return b["timesteps"].numpy()[np.arange(len(pos)), pos]


def test_end_windows_make_every_step_a_last_position_equally_often():
    """`end` windows: each step of a 30-step episode is a window's last position 1/30
    of the time, the first steps included; under `start` with K = 10, step 0 is never last."""
    T, K = 30, 10
    data = Trajectories(states=np.zeros((T, 2), np.float32), actions=np.zeros((T, 1), np.float32),
                        rewards=np.zeros(T, np.float32), timesteps=np.arange(T),
                        starts=np.array([0, T]))
    n = 60_000
    counts = np.bincount(_last_steps(Sampler(data, K, np.random.default_rng(0), "end").sample(
        n, torch.device("cpu"))), minlength=T)
    np.testing.assert_allclose(counts / n, 1 / T, atol=4 * np.sqrt((1 / T) / n))
    old = np.bincount(_last_steps(Sampler(data, K, np.random.default_rng(0), "start").sample(
        n, torch.device("cpu"))), minlength=T)
    assert old[:K - 1].sum() == 0  # the old sampling never ends a window on steps 0..K-2


def test_both_windows_put_every_step_in_k_windows():
    """`both` windows: every step of every episode, first and last included, lies in the same
    expected number of windows (K per placement), whatever its episode's length."""
    lengths, K = (30, 5, 12), 8
    T = sum(lengths)
    data = Trajectories(states=np.arange(T, dtype=np.float32)[:, None],
                        actions=np.zeros((T, 1), np.float32), rewards=np.zeros(T, np.float32),
                        timesteps=np.concatenate([np.arange(n) for n in lengths]),
                        starts=np.concatenate([[0], np.cumsum(lengths)]))
    n = 60_000
    b = Sampler(data, K, np.random.default_rng(0), "both").sample(n, torch.device("cpu"))
    seen = b["states"][..., 0][b["valid"]].numpy().astype(int)
    share = np.bincount(seen, minlength=T) / n  # windows holding each step
    placements = T + len(lengths) * (K - 1)
    np.testing.assert_allclose(share, K / placements, rtol=0.06)


def test_end_windows_hold_the_steps_before_their_last(absent):
    data = Trajectories.from_dataset(absent)
    b = Sampler(data, 6, np.random.default_rng(1), "end").sample(300, torch.device("cpu"))
    valid, t = b["valid"].numpy(), b["timesteps"].numpy()
    for row_valid, row_t in zip(valid, t, strict=True):
        n = row_valid.sum()
        assert row_valid[:n].all() and not row_valid[n:].any()
        np.testing.assert_array_equal(np.diff(row_t[:n]), 1)
        assert n == 6 or row_t[0] == 0  # a short window starts at its episode's first step


def test_padded_positions_carry_no_loss_and_are_not_attended(absent):
    """Whatever the padded slots hold, the loss and the real positions' predictions are the
    same: pads are out of the loss, and causal attention never lets a real token see them."""
    from simulacra.learners.dt import DecisionTransformer
    from simulacra.learners.dt_train import loss_fn, model_config

    data = Trajectories.from_dataset(absent)
    cfg = TrainConfig(**{**TINY, "context": 8, "dropout": 0.0})
    model = DecisionTransformer(model_config(data, cfg)).eval()
    b = Sampler(data, 8, np.random.default_rng(2), "end").sample(64, torch.device("cpu"))
    pad = ~b["valid"]
    assert pad.any()
    junk = dict(b)
    junk["states"] = torch.where(pad[..., None, None], (b["states"] + 1) % 3, b["states"])
    junk["actions"] = torch.where(pad, (b["actions"] + 1) % model.cfg.act_dim, b["actions"])
    junk["rtg"] = torch.where(pad, b["rtg"] + 7.0, b["rtg"])
    junk["timesteps"] = torch.where(pad, b["timesteps"] + 3, b["timesteps"])
    with torch.no_grad():
        assert float(loss_fn(model, junk)) == pytest.approx(float(loss_fn(model, b)), rel=1e-5)
        p1 = model(b["rtg"], b["states"], b["actions"], b["timesteps"])
        p2 = model(junk["rtg"], junk["states"], junk["actions"], junk["timesteps"])
    torch.testing.assert_close(p1[b["valid"]], p2[b["valid"]])
    assert not torch.allclose(p1[pad], p2[pad])  # the junk did reach the padded slots


def test_step_nll_reads_each_step_at_its_windows_last_position(absent):
    """step_nll equals the cross-entropy at the last position of a window ending at that step,
    computed by hand from one full forward pass over the episode (K covers it)."""
    from simulacra.learners.dt_train import step_nll

    data = Trajectories.from_dataset(absent)
    model, _ = train(data, TrainConfig(steps=3, seed=0, **{**TINY, "context": 16}))
    a, b = int(data.starts[1]), int(data.starts[2])
    got = step_nll(model, data, np.arange(a, b))
    rtg = torch.tensor(data.returns_to_go()[a:b], dtype=torch.float32)[None]
    with torch.no_grad():
        logits = model(rtg, torch.from_numpy(data.states[a:b])[None],
                       torch.from_numpy(data.actions[a:b])[None],
                       torch.from_numpy(data.timesteps[a:b])[None])[0]
    want = torch.nn.functional.cross_entropy(logits, torch.from_numpy(data.actions[a:b]),
                                             reduction="none").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_monitor_is_called_and_does_not_change_training(absent):
    data = Trajectories.from_dataset(absent)
    seen: list[int] = []

    def monitor(step: int, model) -> None:
        assert not model.training
        seen.append(step)

    m1, l1 = train(data, TrainConfig(steps=7, seed=4, **TINY), monitor, every=3)
    m2, l2 = train(data, TrainConfig(steps=7, seed=4, **TINY))
    assert seen == [3, 6, 7]
    assert l1 == l2
    for v1, v2 in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        torch.testing.assert_close(v1, v2, rtol=0, atol=0)


def test_unknown_window_is_refused(absent):
    with pytest.raises(ValueError, match="window"):
        train(Trajectories.from_dataset(absent),
              TrainConfig(steps=1, window="middle", **TINY))


def test_same_seed_same_weights(absent):
    data = Trajectories.from_dataset(absent)
    m1, l1 = train(data, TrainConfig(steps=6, seed=7, **TINY))
    m2, l2 = train(data, TrainConfig(steps=6, seed=7, **TINY))
    m3, _ = train(data, TrainConfig(steps=6, seed=8, **TINY))
    assert l1 == l2
    for (k, v), v2 in zip(m1.state_dict().items(), m2.state_dict().values(), strict=True):
        assert torch.equal(v, v2), k
    assert not torch.equal(m1.head.weight, m3.head.weight)


def test_checkpoint_round_trip(tmp_path, absent):
    model, _ = train_dataset(absent, TrainConfig(steps=3, seed=1, **TINY), tmp_path / "ck")
    info = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert info["learner"] == "dt" and info["world"] == "AbsentSupervisor"
    assert info["seed"] == 1 and info["train"]["steps"] == 3 and "torch" in info["versions"]
    assert info["data"]["return_max"] == pytest.approx(absent.returns().max())
    loaded, _ = load_checkpoint(tmp_path / "ck", device="cpu")
    for (k, v), v2 in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(v, v2), k
    policy = load_policy(tmp_path / "ck", device="cpu")  # through the learner registry
    assert policy.n_actions == 4


def test_corrupt_and_truncated_checkpoints_raise_checkpoint_error(tmp_path, absent):
    train_dataset(absent, TrainConfig(steps=2, **TINY), tmp_path / "ck")
    weights = tmp_path / "ck" / "model.safetensors"
    blob = weights.read_bytes()
    weights.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "ck")
    weights.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ck")
    weights.unlink()
    with pytest.raises(CheckpointError, match=r"no model\.safetensors"):
        load_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "ck")


def test_weights_that_do_not_fit_the_config(tmp_path, absent):
    train_dataset(absent, TrainConfig(steps=2, **TINY), tmp_path / "ck")
    cfg_path = tmp_path / "ck" / "config.json"
    info = json.loads(cfg_path.read_text())
    info["model"]["hidden"] = 32
    cfg_path.write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(tmp_path / "ck")


class TwoPulls(Batch):
    """A two-step task: action a pays a at each step (returns 0..6); the board shows the step."""

    name, n_actions, alphabet, event_names = "TwoPulls", 4, "01", ()
    obs_shape, max_steps = (1, 2), 2

    def _reset(self, mask):
        pass

    def _step(self, actions):
        n = self.n
        return (actions.astype(float), actions.astype(float), np.zeros((n, 0), np.int16),
                self.t + 1 >= 2)

    def observe(self):
        obs = np.zeros((self.n, 1, 2), np.uint8)
        obs[:, 0, 0] = np.minimum(self.t, 1)
        return obs


def two_pulls_data(n: int, seed: int) -> Trajectories:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, (n, 2))
    states = np.zeros((n, 2, 1, 2), np.uint8)
    states[:, 1, 0, 0] = 1
    return Trajectories(states=states.reshape(-1, 1, 2), actions=a.reshape(-1),
                        rewards=a.reshape(-1).astype(np.float32),
                        timesteps=np.tile([0, 1], n), starts=np.arange(0, 2 * n + 1, 2),
                        n_symbols=2, act_dim=4)


def test_learns_to_follow_the_target():
    """Trained on uniform-random play, the model asked for more gets more (the DT's premise)."""
    from simulacra.learners.dt_policy import DTPolicy

    cfg = TrainConfig(steps=250, lr=3e-3, warmup_steps=10, hidden=32, n_layer=1, context=2,
                      batch_size=64, dropout=0.0, seed=0, progress=False)
    model, losses = train(two_pulls_data(400, seed=0), cfg)
    assert np.mean(losses[-20:]) < np.mean(losses[:20])
    targets = np.array([0.0, 2.0, 4.0, 6.0])
    got = rollout(DTPolicy(model), TwoPulls(4), targets, seed=0)["returns"]
    assert np.all(np.diff(got) > 0), got
    assert np.abs(got - targets).max() <= 1.0, got


def test_cosine_schedule_warms_up_then_decays_to_a_tenth():
    from simulacra.learners.dt import DecisionTransformer, DTConfig
    from simulacra.learners.dt_train import make_optimizer

    model = DecisionTransformer(DTConfig(state_shape=(2,), act_dim=2, hidden=8, n_layer=1))
    cfg = TrainConfig(steps=100, lr=1e-3, warmup_steps=10, lr_schedule="cosine")
    opt, sched = make_optimizer(model, cfg, torch.device("cpu"))
    lrs = []
    for _ in range(cfg.steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(b <= a + 1e-15 for a, b in pairwise(lrs[9:]))
    assert lrs[-1] == pytest.approx(1e-4, rel=0.05)  # a tenth of lr at the last step
    const = TrainConfig(steps=100, lr=1e-3, warmup_steps=10)
    opt, sched = make_optimizer(model, const, torch.device("cpu"))
    for _ in range(99):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="lr_schedule"):
        make_optimizer(model, TrainConfig(lr_schedule="step"), torch.device("cpu"))
