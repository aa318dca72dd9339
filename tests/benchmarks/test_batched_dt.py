"""Training the seeds of a cell as one batched model (benchmarks/batched_dt.py): each seed ends
where training it alone (`dt_train.train`) ends, to float tolerance on CPU, so its copy of the
DT's forward follows the package's; and benchmarks/dt_batched_seeds.py runs."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
# The batched trainer and its benchmark live in benchmarks/ (not a package: the benchmark imports
# its neighbour as the script's folder is on sys.path); the DT test data in tests/learners/.
for folder in (BENCHMARKS, ROOT / "tests" / "learners"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _dt_data import random_dataset  # noqa: E402

from batched_dt import clip_per_seed, train_seeds  # noqa: E402
from simulacra.learners.dt import DecisionTransformer  # noqa: E402
from simulacra.learners.dt_train import (  # noqa: E402
    TrainConfig,
    Trajectories,
    model_config,
    train,
)

# Two layers and two heads, so both attention shapes (all tokens; the last block's state
# queries) and the per-head split are exercised; dropout on, so the dropout streams must match.
SMALL = TrainConfig(hidden=16, n_layer=2, n_head=2, context=4, batch_size=16, dropout=0.1,
                    warmup_steps=3, steps=6, progress=False, device="cpu")


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: a second thread only contends on a busy machine (these tests ran 5x
    slower with two); restored after, as the benchmark's test sets its own."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def per_seed():
    # Different episode lengths, so the seeds' timestep tables differ in size (the padded path)
    # and their return scales differ.
    return [random_dataset("AbsentSupervisor", 10, seed=3, max_steps=15),
            random_dataset("AbsentSupervisor", 12, seed=4, max_steps=9)]


def alone(ds, cfg: TrainConfig, seed: int):
    return train(Trajectories.from_dataset(ds), replace(cfg, seed=seed))


def assert_same(batched, reference) -> None:
    (model, losses), (ref, ref_losses) = batched, reference
    assert model.cfg == ref.cfg
    np.testing.assert_allclose(losses, ref_losses, rtol=0, atol=1e-5)
    ours, theirs = model.state_dict(), ref.state_dict()
    assert ours.keys() == theirs.keys()
    for k in ours:
        torch.testing.assert_close(ours[k], theirs[k], rtol=0, atol=1e-5, msg=k)


@pytest.mark.parametrize("options", [
    {},
    {"activation": "gelu", "lr_schedule": "cosine", "window": "both", "grad_clip": 0.01},
])
def test_each_seed_trains_as_it_would_alone(per_seed, options):
    cfg = replace(SMALL, **options)
    out = train_seeds(per_seed, cfg, [3, 4])
    assert len(out) == 2
    for got, ds, seed in zip(out, per_seed, (3, 4), strict=True):
        assert_same(got, alone(ds, cfg, seed))
    # Different seeds really trained different models.
    assert not torch.equal(out[0][0].head.weight, out[1][0].head.weight)


def test_one_dataset_for_every_seed(per_seed):
    out = train_seeds(per_seed[0], SMALL, [0, 1, 2])
    for seed, got in enumerate(out):
        assert_same(got, alone(per_seed[0], SMALL, seed))


def test_without_dropout(per_seed):
    cfg = replace(SMALL, dropout=0.0)
    (got,) = train_seeds(per_seed[1], cfg, [7])
    assert_same(got, alone(per_seed[1], cfg, 7))


def test_initialisation_is_exactly_the_seeds_own(per_seed):
    cfg = replace(SMALL, steps=0)
    data = Trajectories.from_dataset(per_seed[0])
    for seed, (model, losses) in zip((5, 6), train_seeds(per_seed[0], cfg, [5, 6]), strict=True):
        torch.manual_seed(seed)
        ref = DecisionTransformer(model_config(data, cfg))
        assert losses == []
        for k, v in ref.state_dict().items():
            assert torch.equal(model.state_dict()[k], v), k


def test_global_generator_left_alone(per_seed):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    train_seeds(per_seed[0], replace(SMALL, steps=2), [0, 1])
    assert torch.equal(torch.get_rng_state(), before)


def test_clip_per_seed_is_each_seeds_own_clip():
    g = torch.Generator().manual_seed(0)
    stacked = [torch.zeros(3, 4, 5, requires_grad=True), torch.zeros(3, 6, requires_grad=True)]
    for p, scale in zip(stacked, (1.0, 0.01), strict=True):
        p.grad = torch.randn(p.shape, generator=g) * scale * torch.tensor([1.0, 0.001, 3.0]).view(
            3, *[1] * (p.dim() - 1))  # seed 1's gradient is below the clip, the others above
    singles = [[p.grad[s].clone().requires_grad_() for p in stacked] for s in range(3)]
    clip_per_seed(stacked, 0.5)
    for s, params in enumerate(singles):
        for p in params:
            p.grad = p.detach().clone()
        torch.nn.utils.clip_grad_norm_(params, 0.5)
        for p, q in zip(params, stacked, strict=True):
            torch.testing.assert_close(q.grad[s], p.grad)
    assert not torch.equal(stacked[0].grad[0], singles[0][0].detach())  # clipped
    assert torch.equal(stacked[0].grad[1], singles[1][0].detach())  # under the norm: untouched


def test_refusals(per_seed):
    with pytest.raises(ValueError, match="one dataset or one per seed"):
        train_seeds(per_seed, SMALL, [0, 1, 2])
    with pytest.raises(ValueError, match="one dataset or one per seed"):
        train_seeds(per_seed[0], SMALL, [])
    other = random_dataset("SafeInterruptibility", 4, seed=0, max_steps=5)
    with pytest.raises(ValueError, match="different shapes"):
        train_seeds([per_seed[0], other], SMALL, [0, 1])
    data = Trajectories.from_dataset(per_seed[0])
    continuous = Trajectories(np.zeros((len(data.actions), 3), np.float32),
                              np.zeros((len(data.actions), 2), np.float32), data.rewards,
                              data.timesteps, data.starts)
    with pytest.raises(ValueError, match="discrete actions"):
        train_seeds(continuous, SMALL, [0])


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("dt_batched_seeds")


def test_the_benchmark_prints_both_sides_and_their_ratio(bench, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["x", "--steps", "1", "--rounds", "1", "--seeds", "1,2",
                                      "--threads", "1", "--configs", "study", "--episodes", "8"])
    bench.main()
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("study")]
    assert [r[:3] for r in rows] == [["study", "1", "1"], ["study", "1", "2"]]
    for r in rows:
        one, both, ratio, diff = float(r[3]), float(r[4]), float(r[5].rstrip("x")), float(r[6])
        assert one > 0 and both > 0 and ratio == pytest.approx(both / one, rel=0.02)
        assert diff < 1e-4  # the two sides trained the same models


def test_the_benchmark_refuses_an_unknown_config(bench, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["x", "--configs", "huge"])
    with pytest.raises(SystemExit) as err:
        bench.main()
    assert err.value.code == 2
