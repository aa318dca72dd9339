"""Discrete CQL: transitions checked by hand, checkpoints, Q-values against the exact optimum."""

import json

import numpy as np
import pytest
from baseline_data import rollout_dataset

from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.learners import CheckpointError, load_policy
from simulacra.learners.cql import CQLConfig, train_cql, transitions
from simulacra.learners.features import Encoding, as_tabular
from simulacra.policy import Policy
from simulacra.worlds.registry import compiled

SUPERVISED = {"supervisor": True}


def _data(n=120, seed=2):
    # A poor, well-covering behaviour: Boltzmann T=5 over exact Q mixed with 50% uniform actions.
    return rollout_dataset("AbsentSupervisor", n, seed=seed, temperature=5.0, eps=0.5,
                           **SUPERVISED)


def test_transitions_pair_each_step_with_what_followed():
    d = _data(20)
    enc = Encoding(d.alphabet, d.obs.shape[1:])
    tr = transitions(d, enc)
    cw = compiled("AbsentSupervisor", **SUPERVISED)
    for e in range(d.n_episodes):
        a, b = d.starts[e], d.starts[e + 1]
        for t in range(a, b):
            nxt_state = d.states[t + 1] if t + 1 < b else d.final_states[e]
            assert np.array_equal(tr.next_obs[t].numpy(), enc(cw.obs[[nxt_state]])[0])
        assert tr.terminated[a:b - 1].sum() == 0
        assert tr.terminated[b - 1] == float(d.terminated[b - 1])


def test_checkpoint_round_trip_and_refusals(tmp_path):
    d = _data(40)
    pol = train_cql(d, CQLConfig(steps=30, hidden=16), out=tmp_path / "cql", progress=False)
    back = load_policy(tmp_path / "cql", world="AbsentSupervisor")
    assert isinstance(back, Policy)
    cw = compiled("AbsentSupervisor", **SUPERVISED)
    assert np.allclose(back.q_values(cw.obs), pol.q_values(cw.obs))
    with pytest.raises(CheckpointError, match="not on BoatRace"):
        load_policy(tmp_path / "cql", world="BoatRace")
    (tmp_path / "cql" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_policy(tmp_path / "cql")
    config = json.loads((tmp_path / "cql" / "config.json").read_text())
    (tmp_path / "cql" / "config.json").write_text(json.dumps(dict(config, learner="bc")))
    with pytest.raises(CheckpointError):
        load_policy(tmp_path / "cql")  # the bc loader refuses a cql state dict


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="alpha"):
        CQLConfig(alpha=-1).validate()
    with pytest.raises(ValueError, match="gamma"):
        CQLConfig(gamma=0).validate()


@pytest.mark.expensive
def test_q_values_match_the_exact_optimum_and_cql_acts_optimally():
    """alpha = 0, gamma = 1: fitted Q-iteration must reach the exact Q* on every visited state
    and action (episodes end long before the 100-step limit, so Q* at t = 0 is stationary).
    alpha = 1: the conservative Q-values lie below Q*, yet the greedy policy is still optimal."""
    d = _data(300)
    cw = compiled("AbsentSupervisor", **SUPERVISED)
    opt = optimal_policy(cw, "reward")
    seen = np.unique(d.states)
    q_star = opt.q(seen, 0)  # [S', A]
    best = evaluate(cw, opt).ret
    assert d.returns().mean() < best - 30  # the data are far from optimal
    fqi = train_cql(d, CQLConfig(alpha=0.0, gamma=1.0, steps=10_000, hidden=64, lr=1e-3,
                                 target_update_interval=200), progress=False)
    assert np.abs(fqi.q_values(cw.obs[seen]) - q_star).max() < 0.5
    cql = train_cql(d, CQLConfig(alpha=1.0, gamma=1.0, steps=3000, hidden=64, lr=1e-3,
                                 target_update_interval=200), progress=False)
    assert evaluate(cw, as_tabular(cql, cw)).ret == pytest.approx(best)
    assert (cql.q_values(cw.obs[seen]) - q_star).mean() < 0
