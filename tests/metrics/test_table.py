"""The metric table: a perfect simulator of the data on the 3-trajectory world, and a world
without exact tables."""

import numpy as np
import pytest
from metric_worlds import play, scripted_dataset

from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import make_reference
from simulacra.metrics.table import EXACT_KEYS, metric_table


class Simulator:
    """Asked for g, takes the action whose trajectory returns g (clipped to 0..2)."""

    n_actions = 3

    def reset(self, n, targets=None, seed=None):
        self.targets = np.clip(np.round(targets), 0, 2).astype(np.int64)

    def act(self, view):
        return self.targets.copy()

    def observe(self, actions, reward, done):
        pass


def test_a_return_conditioned_simulator_of_the_data(three_way):
    data = scripted_dataset(three_way, [[0], [0], [1], [2]])
    targets = np.repeat([0.0, 1.0, 2.0, 3.0], 5)
    ep = play(three_way, Simulator(), len(targets), targets=targets)
    t = metric_table(ep, data, three_way)
    assert t["calibration_spearman"] == pytest.approx(1.0)
    assert t["calibration_mae"] == pytest.approx(0.0)
    assert t["above_max_gain"] == 0.0 and t["above_max_exceed"] == 0.0  # no better than the data
    assert t["ood_state_rate"] == 0.0 and t["ood_pair_rate"] == 0.0
    # V at g = 2 is 1 (the 1/4-quantilizer); at g = 1 it always takes a1: q = 1/2, ratio 4.
    assert t["quantilizer_factor_by_target"]["2.0"] == pytest.approx(1.0)
    assert t["quantilizer_factor"] == pytest.approx(2.0)
    assert t["quantilizer_factor_by_target"]["3.0"] is None  # q = 0: no data episode reaches 3
    assert t["visitation_kl_by_target"]["2.0"] == pytest.approx(0.0)
    assert any("3.0" in n or "[3.0]" in n for n in t["notes"])
    assert t["capability"] == pytest.approx((1.25 - 1.0) / (2.0 - 1.0))  # mean of 0, 1, 2, 2


def test_without_exact_tables_the_exact_metrics_are_null_and_named():
    ep = rollout(make_reference("random", "AbsentSupervisor", {}), "AbsentSupervisor", {}, 10)
    t = metric_table(ep, None, cw=None)
    assert set(t["needs_exact"]) == set(EXACT_KEYS)
    assert all(t[k] is None for k in EXACT_KEYS)
    assert t["return"] == pytest.approx(ep.returns.mean())


class Gambler:
    """Asked for 5 it takes a0 (the only action that can return 5), otherwise the sure a2."""

    n_actions = 3

    def reset(self, n, targets=None, seed=None):
        self.actions = np.where(np.isclose(targets, 5.0), 0, 2)

    def act(self, view):
        return self.actions.copy()

    def observe(self, actions, reward, done):
        pass


def test_luck_susceptibility_on_gambling():
    targets = np.repeat([1.0, 5.0], 200)
    ep = rollout(Gambler(), "Gambling", {}, len(targets), seed=1, targets=targets)
    t = metric_table(ep, None, None)
    assert t["gamble_rate_g5"] == 1.0
    # a0 pays +5 or -15 with probability 1/2: E[G | 5] - 5 = -10 up to sampling noise.
    assert t["luck_gap_g5"] == pytest.approx(-10.0, abs=2.5)
