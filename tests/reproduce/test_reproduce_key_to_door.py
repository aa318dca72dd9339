"""Key-to-Door reproduction at a tiny budget: the protocol runs end to end and reports real
figures (rates in [0, 1], one per seed, the data's own random-walk success measured)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulacra.learners.bc import top_q_episodes
from simulacra.learners.dt_train import TrainConfig
from simulacra.reproduce.common import make_dataset
from simulacra.reproduce.key_to_door import PAPER, KeyToDoorConfig, run, table

TINY = TrainConfig(steps=3, context=100, hidden=16, n_layer=1, batch_size=4, warmup_steps=1)


def test_tiny_run_reports_per_seed_rates():
    cfg = KeyToDoorConfig(episodes=(40,), seeds=2, dt=TINY, eval_episodes=8)
    res = run(cfg)
    [size] = res.sizes
    assert size.episodes == 40 and len(size.dt_success) == 2 and len(size.dt_key_rate) == 2
    assert all(0.0 <= x <= 1.0 for x in size.dt_success + size.dt_key_rate + size.data_success)
    # A success needs the key: never more successes than key pick-ups.
    assert all(s <= k for s, k in zip(size.dt_success, size.dt_key_rate, strict=True))
    # Each seed has its own random-walk data; a success is a return of 1, rare under a walk.
    assert all(np.isfinite(size.final_loss))
    out = res.to_json()
    json.dumps(out)
    assert out["success_rate"] == np.mean(out["per_seed"])
    assert len(out["per_seed"]) == 2 and out["sizes"]["40"]["paper_dt"] is None


def test_two_sizes_are_keyed_by_size_and_the_table_shows_the_paper():
    cfg = KeyToDoorConfig(episodes=(1000, 30), seeds=1, dt=TINY, eval_episodes=4)
    res = run(cfg)
    out = res.to_json()
    assert set(out["success_rate"]) == {"1000", "30"}
    assert len(out["per_seed"]["1000"]) == 1
    assert out["sizes"]["1000"]["paper_dt"] == PAPER["DT"][1000]
    text = table(res)
    assert "71.8%" in text and "context 100" in text


def test_cql_column_alone():
    cfg = KeyToDoorConfig(episodes=(30,), seeds=1, eval_episodes=4, cql=True, cql_steps=3,
                          run_dt=False)
    res = run(cfg)
    [size] = res.sizes
    assert size.dt_success == [] and len(size.cql_success) == 1
    assert 0.0 <= size.cql_success[0] <= 1.0
    out = res.to_json()
    assert out["sizes"]["30"]["cql_per_seed"] == size.cql_success
    assert "CQL (ours)" in table(res) and "DT: not run" in table(res)


def test_a_seed_range_run_apart_gives_the_same_figures():
    # Seeds split across processes (--first-seed) must reproduce the joint run's per-seed figures.
    both = run(KeyToDoorConfig(episodes=(30,), seeds=2, dt=TINY, eval_episodes=6)).sizes[0]
    second = run(KeyToDoorConfig(episodes=(30,), seeds=1, first_seed=1, dt=TINY,
                                 eval_episodes=6)).sizes[0]
    assert second.data_success == both.data_success[1:]
    assert second.dt_success == both.dt_success[1:]
    assert second.final_loss == both.final_loss[1:]


def test_pbc_column_alone():
    cfg = KeyToDoorConfig(episodes=(30,), seeds=2, eval_episodes=4, pbc=True, pbc_steps=3,
                          run_dt=False)
    res = run(cfg)
    [size] = res.sizes
    assert size.dt_success == [] and size.cql_success == [] and len(size.pbc_success) == 2
    assert all(0.0 <= x <= 1.0 for x in size.pbc_success)
    out = res.to_json()
    assert out["sizes"]["30"]["pbc_per_seed"] == size.pbc_success
    assert "cql_per_seed" not in out["sizes"]["30"]
    assert "%BC on successes (ours)" in table(res) and "%BC: 3 steps" in table(res)


def test_pbc_keeps_exactly_the_successful_walks():
    # q = 1/N keeps every episode tied with the best return: here, the walks that returned 1.
    ds = make_dataset("KeyToDoor", "random", 400, 0)
    wins = np.flatnonzero(ds.returns() >= 1.0)
    assert 0 < len(wins) < 40  # random walks succeed in a few percent of episodes
    np.testing.assert_array_equal(top_q_episodes(ds, 1.0 / ds.n_episodes), wins)


def test_nothing_to_run_is_an_error():
    with pytest.raises(ValueError, match="nothing to run"):
        run(KeyToDoorConfig(episodes=(30,), seeds=1, run_dt=False))
