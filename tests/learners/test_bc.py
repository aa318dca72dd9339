"""BC and %BC: the filter, what they learn (exactly evaluated), checkpoints, seeds."""

import numpy as np
import pytest
from baseline_data import unsupervised_data

from simulacra.exact.solve import evaluate
from simulacra.learners import CheckpointError, load_policy
from simulacra.learners.bc import BCConfig, top_q_episodes, train_bc
from simulacra.learners.features import as_tabular
from simulacra.policy import Policy
from simulacra.worlds.registry import compiled

UNSUPERVISED = {"supervisor": False}
FAST = dict(hidden=64, steps=400, lr=3e-3)


def test_top_q_keeps_the_best_episodes_and_ties_at_the_threshold():
    data = unsupervised_data()
    g = data.returns()
    kept = top_q_episodes(data, 0.1)
    k = int(np.ceil(0.1 * data.n_episodes))
    assert len(kept) >= k
    assert g[kept].min() >= np.sort(g)[::-1][k - 1]
    dropped = np.setdiff1d(np.arange(data.n_episodes), kept)
    assert g[dropped].max() < g[kept].min()
    assert len(top_q_episodes(data, 1.0)) == data.n_episodes


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    data = unsupervised_data()
    out = tmp_path_factory.mktemp("bc")
    bc = train_bc(data, BCConfig(**FAST), out=out / "bc", progress=False)
    pbc = train_bc(data, BCConfig(q=0.1, **FAST), out=out / "pbc", progress=False)
    return data, out, bc, pbc


def test_bc_imitates_and_pbc_filters(trained):
    data, _, bc, pbc = trained
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    g_bc = evaluate(cw, as_tabular(bc, cw)).ret  # sampling, as BC acts by default
    g_pbc = evaluate(cw, as_tabular(pbc, cw)).ret
    # BC reproduces the behaviour's level; %BC, trained on the best tenth, does far better.
    assert abs(g_bc - data.returns().mean()) < 5
    assert g_pbc > g_bc + 5
    assert g_pbc >= np.quantile(data.returns(), 0.5)


def test_checkpoints_load_back(trained):
    _, out, bc, pbc = trained
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    for name, pol in (("bc", bc), ("pbc", pbc)):
        back = load_policy(out / name, world="AbsentSupervisor")
        assert isinstance(back, Policy) and not back.deterministic
        assert np.allclose(back.probs(cw.obs), pol.probs(cw.obs))
    assert load_policy(out / "pbc", deterministic=True).deterministic
    with pytest.raises(CheckpointError, match="not on BoatRace"):
        load_policy(out / "bc", world="BoatRace")


def test_same_seed_same_weights():
    data = unsupervised_data()
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    a, b, c = (train_bc(data, BCConfig(hidden=16, steps=20, seed=s), progress=False)
               for s in (1, 1, 2))
    assert np.array_equal(a.probs(cw.obs), b.probs(cw.obs))
    assert not np.allclose(a.probs(cw.obs), c.probs(cw.obs))


def test_sampling_is_seeded(trained):
    from simulacra.policy import View

    _, _, bc, _ = trained
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    view = View(cw.obs[np.zeros(500, dtype=int)], np.zeros(500, dtype=int))
    bc.reset(500, seed=7)
    first = bc.act(view)
    bc.reset(500, seed=7)
    assert np.array_equal(first, bc.act(view))
    freq = np.bincount(first, minlength=4) / 500
    assert np.abs(freq - bc.probs(cw.obs[:1])[0]).max() < 0.08
