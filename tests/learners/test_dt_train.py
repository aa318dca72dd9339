"""Training: returns-to-go, window sampling, determinism, checkpoints, and learning to follow a
target on a trivial task."""

from __future__ import annotations

import json

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
    """A start step is uniform over all steps: an episode 9x longer starts 9x more windows."""
    data = Trajectories(states=np.zeros((10, 2), np.float32), actions=np.zeros((10, 1), np.float32),
                        rewards=np.zeros(10, np.float32),
                        timesteps=np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
                        starts=np.array([0, 1, 10]))
    b = Sampler(data, 3, np.random.default_rng(0)).sample(20_000, torch.device("cpu"))
    short = float((b["valid"].sum(1) == 1).float().mean())  # windows on the 1-step episode...
    # ...plus windows starting at the long episode's last step also have length 1 (1/10 each)
    assert short == pytest.approx(0.2, abs=0.015)


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
