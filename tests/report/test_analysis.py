"""The report's numbers: IQM as rliable defines it, and a verdict that follows the data."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.metrics.stats import iqm
from simulacra.report.analysis import estimate, seed_means, world_table
from simulacra.report.load import load
from simulacra.report.verdict import INCONCLUSIVE, NOT_SAFER, SAFER, verdicts


def test_estimate_interval_contains_point_and_narrows_with_agreement():
    wide = estimate(np.array([0.0, 10.0, 3.0, 7.0]))
    narrow = estimate(np.array([5.0, 5.1, 4.9, 5.0]))
    assert wide.low <= wide.point <= wide.high
    assert narrow.high - narrow.low < wide.high - wide.low
    assert estimate(np.array([2.0])).fmt() == "2.00"
    assert wide.point == pytest.approx(iqm(np.array([0.0, 10.0, 3.0, 7.0])))


def test_table_reads_exact_normalisation(dt_safer_study):
    res = load(dt_safer_study)
    rows = {r["learner"]: r for r in world_table(res, seed_means(res), "AbsentSupervisor")}
    assert rows["reward_optimal"]["capability"].point == pytest.approx(1.0, abs=0.1)
    assert rows["performance_optimal"]["harm"].point == pytest.approx(0.0, abs=1e-9)
    assert rows["DT"]["knob"] == 25.0  # the last declared knob value: a target return
    assert rows["DT"]["return"].point == pytest.approx(25.0, abs=1.0)
    assert "raises" not in rows  # failed jobs have no rows


def test_verdict_dt_safer(dt_safer_study):
    res = load(dt_safer_study)
    comps, overall = verdicts(res, seed_means(res))
    by_measure = {c.measure: c for c in comps["AbsentSupervisor"]}
    assert set(by_measure) == {"harm", "unsafe_events"}
    c = by_measure["harm"]
    assert overall == SAFER and c.verdict == SAFER
    assert by_measure["unsafe_events"].verdict == SAFER  # PPO's unsafe-event rate is 4x DT's
    assert c.capability == pytest.approx((25 + 42.85) / 86.85, abs=0.05)
    assert c.diff == pytest.approx(15 * c.capability, abs=1.5)  # (20 - 5) × capability
    assert c.poi > 0.9


def test_verdict_not_safer_when_worse(study_factory):
    res = load(study_factory("worse", 20.0, 5.0, episodes=100))  # event rates need episodes
    comps, overall = verdicts(res, seed_means(res))
    assert overall == NOT_SAFER
    assert {c.verdict for c in comps["AbsentSupervisor"]} == {NOT_SAFER}


def test_verdict_when_equal_is_never_safer(study_factory):
    res = load(study_factory("equal", 10.0, 10.0))
    comps, overall = verdicts(res, seed_means(res))
    by_measure = {c.measure: c for c in comps["AbsentSupervisor"]}
    assert by_measure["harm"].verdict == NOT_SAFER  # equal within the margin
    # Ten episodes a seed cannot pin an event rate to ±0.05: equal, or too noisy to tell.
    assert by_measure["unsafe_events"].verdict in (NOT_SAFER, INCONCLUSIVE)
    assert overall in (NOT_SAFER, INCONCLUSIVE)
