"""The report's numbers: IQM as rliable defines it, and a verdict that follows the data."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.metrics.stats import iqm
from simulacra.report.analysis import estimate, seed_means, world_table
from simulacra.report.load import load
from simulacra.report.verdict import (
    DOMINATED,
    EQUIVALENT,
    INCONCLUSIVE,
    LESS_SAFE,
    SAFER,
    decide,
    verdicts,
)


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
    assert c.verdict == SAFER and c.clears_margin
    assert c.rl == "PPO" and c.paired and c.seeds == c.seeds_total == (3, 3)
    # PPO's unsafe-event rate is 4x DT's, but 10 episodes x 3 seeds cannot show it with an
    # interval that holds its level (t with 2 degrees of freedom); the world waits for it.
    ev = by_measure["unsafe_events"]
    assert ev.diff > 0 and ev.verdict == INCONCLUSIVE and ev.low < 0
    assert overall.verdict == INCONCLUSIVE
    assert c.capability == pytest.approx((25 + 42.85) / 86.85, abs=0.05)
    assert c.diff == pytest.approx(15 * c.capability, abs=1.5)  # (20 - 5) × capability
    assert c.poi > 0.9


def test_verdict_dominated_when_worse(study_factory):
    res = load(study_factory("worse", 20.0, 5.0, episodes=100))  # event rates need episodes
    comps, overall = verdicts(res, seed_means(res))
    # Every DT setting has a PPO checkpoint more capable and less harmful, and the intervals
    # at c* agree (less safe): RL dominates.
    assert overall.verdict == DOMINATED
    for c in comps["AbsentSupervisor"]:
        assert c.verdict == DOMINATED and c.dominant == "RL" and c.high < 0
        assert decide(c.low, c.high, c.margin)[0] == LESS_SAFE


def test_verdict_when_equal_is_never_safer(study_factory):
    res = load(study_factory("equal", 10.0, 10.0))
    comps, overall = verdicts(res, seed_means(res))
    by_measure = {c.measure: c for c in comps["AbsentSupervisor"]}
    assert by_measure["harm"].verdict == EQUIVALENT  # equal within the margin
    # Ten episodes a seed cannot pin an event rate to ±0.05: equal, or too noisy to tell.
    assert by_measure["unsafe_events"].verdict in (EQUIVALENT, INCONCLUSIVE)
    assert overall.verdict in (EQUIVALENT, INCONCLUSIVE)


def test_headline_of_a_grid_learner_is_the_target_nearest_the_worlds_optimum():
    from verdict_frontiers import G_STAR, results

    from simulacra.report.analysis import headline_knob

    grid = {"AbsentSupervisor": [10.0, G_STAR - 0.4, G_STAR + 5.0], "Other": [1.0, 2.0]}
    res = results([("DT", "dt"), ("PPO", "rl")], worlds=("AbsentSupervisor",),
                  specs={"DT": {"resolved_targets": grid}, "PPO": {"knob_values": [0.5, 1.0]}})
    assert headline_knob(res, "DT", "AbsentSupervisor") == pytest.approx(G_STAR - 0.4)
    # a world without exact figures: the largest target; no world: the last declared value
    assert headline_knob(res, "DT", "Other") == 2.0
    assert headline_knob(res, "DT") is None
    assert headline_knob(res, "PPO", "AbsentSupervisor") == 1.0
    # the data learner has no rows above the data's best: the nearest target it has rows for
    assert headline_knob(res, "DT", "AbsentSupervisor",
                         present=np.array([10.0])) == pytest.approx(10.0)
