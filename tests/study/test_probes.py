"""Counter-claim probes on hand-made results whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulacra.report.load import Results
from simulacra.study.probes import (
    COUNTER,
    HYPOTHESIS,
    INCONCLUSIVE,
    NOT_MEASURED,
    evaluate_probes,
)
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic

SEEDS = [0, 1, 2, 3, 4]


def study(*probes: dict, seeds=SEEDS) -> dict:
    """A validated study with DT (knob: target return -25, 0, 25) and PPO (checkpoints)."""
    register_synthetic()
    doc = {"name": "p", "seeds": list(seeds), "worlds": ["AbsentSupervisor", "Gambling"],
           "learners": [{"learner": "synthetic_dt", "label": "DT"},
                        {"learner": "synthetic_rl", "label": "PPO"}, "random"],
           "probes": [{"question": "q?", "predictions": {"hypothesis": "h", "counter_claim": "c"},
                       "counter_claim_if": "higher", **p} for p in probes]}
    return validate(doc).raw


def episodes(rows: list[tuple[str, str, int, float | None, float]], per: int = 4,
             measure: str = "return") -> pd.DataFrame:
    """`per` episodes per (world, learner, seed, knob), each with the given measure value."""
    out = []
    for world, learner, seed, knob, value in rows:
        for e in range(per):
            out.append({"world": world, "learner": learner, "family": "x", "seed": seed,
                        "knob": np.nan if knob is None else knob, "return": 0.0,
                        "performance": 0.0, "length": 10, measure: value, "episode": e})
    cols = ["world", "learner", "family", "seed", "knob", "return", "performance", "length",
            "episode"]
    return pd.DataFrame(out, columns=list(dict.fromkeys([*cols, measure])))


def results(doc: dict, ep: pd.DataFrame | None = None, met: pd.DataFrame | None = None
            ) -> Results:
    ep = ep if ep is not None else episodes([])
    if "harm" not in ep:
        ep["harm"] = ep["return"] - ep["performance"]
    met = met if met is not None else pd.DataFrame(
        columns=["world", "learner", "seed", "knob", "metric", "value"])
    return Results(study=doc, versions={}, worlds=pd.DataFrame(), jobs=pd.DataFrame(),
                   episodes=ep, metrics=met, replays=pd.DataFrame())


def metric_rows(metric: str, rows: list[tuple[str, str, int, float | None, float]]
                ) -> pd.DataFrame:
    return pd.DataFrame([{"world": w, "learner": lab, "seed": s,
                          "knob": np.nan if k is None else k, "metric": metric, "value": v}
                         for w, lab, s, k, v in rows])


OOD = {"name": "above_max", "measure": "ood_pair_rate", "learner": "DT", "knob": 25,
       "baseline": {"learner": "DT", "knob": 0}}


def ood_rows(high: list[float], low: list[float], world: str = "AbsentSupervisor"):
    """DT's ood_pair_rate per seed (0, 1, ... as many as given) at knob 25 and at knob 0."""
    seeds = SEEDS[:len(high)]
    return metric_rows("ood_pair_rate",
                       [(world, "DT", s, 25.0, h) for s, h in zip(seeds, high, strict=True)]
                       + [(world, "DT", s, 0.0, v) for s, v in zip(seeds, low, strict=True)])


def test_counter_claim_supported_when_the_effect_clears_the_margin():
    high = [0.30, 0.32, 0.28, 0.31, 0.29]
    doc = study(OOD)
    [r] = evaluate_probes(results(doc, met=ood_rows(high, [0.0] * 5)), doc)
    assert r.verdict == COUNTER and r.world == "AbsentSupervisor"
    assert r.diff == pytest.approx(np.mean(high)) and r.low > 0.05
    assert r.learner_value == pytest.approx(0.30) and r.baseline_value == 0.0
    assert r.seeds == 5 and r.p_beyond == 1.0
    assert r.baseline == "DT at knob 0" and r.hypothesis == "h" and r.counter_claim == "c"


def test_hypothesis_supported_when_the_effect_is_excluded():
    high = [0.010, 0.012, 0.008, 0.011, 0.009]  # an effect, but well inside the margin
    doc = study(OOD)
    [r] = evaluate_probes(results(doc, met=ood_rows(high, [0.0] * 5)), doc)
    assert r.verdict == HYPOTHESIS and r.high < 0.05


def test_direction_lower_reverses_the_verdict():
    doc = study({**OOD, "counter_claim_if": "lower"})
    [r] = evaluate_probes(results(doc, met=ood_rows([0.3] * 5, [0.0] * 5)), doc)
    assert r.verdict == HYPOTHESIS and r.p_beyond == 0.0  # higher, not lower
    [r] = evaluate_probes(results(doc, met=ood_rows([0.0] * 5, [0.3] * 5)), doc)
    assert r.verdict == COUNTER and r.diff == pytest.approx(-0.3)


def test_inconclusive_when_the_interval_straddles_the_margin():
    doc = study(OOD)
    [r] = evaluate_probes(results(doc, met=ood_rows([0.5, -0.4, 0.6, -0.5, 0.1], [0.0] * 5)), doc)
    assert r.verdict == INCONCLUSIVE and r.low < 0.05 < r.high


def test_paired_by_seed_a_shared_seed_effect_cancels():
    """Seed effects common to both sides (the same model, two knobs) do not widen the CI."""
    base = [0.0, 1.0, 2.0, 3.0, 4.0]
    doc = study(OOD)
    [r] = evaluate_probes(results(doc, met=ood_rows([b + 0.2 for b in base], base)), doc)
    assert r.verdict == COUNTER and r.low == pytest.approx(0.2) and r.high == pytest.approx(0.2)


def test_not_measured_names_the_missing_side():
    doc = study(OOD)
    only_learner = metric_rows("ood_pair_rate", [("AbsentSupervisor", "DT", s, 25.0, 0.3)
                                                 for s in SEEDS])
    [r] = evaluate_probes(results(doc, met=only_learner), doc)
    assert r.verdict == NOT_MEASURED and r.world is None
    assert "baseline DT at knob 0" in r.reason and "no rows" in r.reason
    [r] = evaluate_probes(results(doc, met=metric_rows("ood_state_rate", [
        ("AbsentSupervisor", "DT", 0, 25.0, 0.3)])), doc)
    assert r.verdict == NOT_MEASURED and "no metric 'ood_pair_rate'" in r.reason
    assert "ood_state_rate" in r.reason  # what the store does hold


def test_a_probe_bound_to_a_world_reports_it_even_without_rows():
    doc = study({**OOD, "world": "Gambling"})
    [r] = evaluate_probes(results(doc, met=ood_rows([0.3] * 5, [0.0] * 5)), doc)
    assert r.world == "Gambling" and r.verdict == NOT_MEASURED
    assert "no rows of ood_pair_rate on Gambling" in r.reason


def test_unbound_probe_runs_on_every_world_with_both_sides():
    doc = study(OOD)
    met = pd.concat([ood_rows([0.3] * 5, [0.0] * 5),
                     ood_rows([0.0] * 5, [0.0] * 5, world="Gambling")])
    rs = {r.world: r for r in evaluate_probes(results(doc, met=met), doc)}
    assert rs["AbsentSupervisor"].verdict == COUNTER
    assert rs["Gambling"].verdict == HYPOTHESIS and rs["Gambling"].diff == 0.0


def test_episode_measure_against_a_constant_averages_episodes_within_seeds():
    doc = study({"name": "button", "measure": "event_button", "learner": "PPO", "knob": 0.5,
                 "baseline": {"value": 0.0}, "margin": 0.1})
    rows = [("AbsentSupervisor", "PPO", s, 0.5, 1.0) for s in SEEDS]
    rows += [("AbsentSupervisor", "PPO", s, 0.8, 0.0) for s in SEEDS]  # other knob: ignored
    ep = episodes(rows, measure="event_button")
    ep.loc[ep["episode"] >= 2, "event_button"] = 0.0  # half of each seed's episodes press it
    [r] = evaluate_probes(results(doc, ep), doc)
    assert r.learner_value == pytest.approx(0.5) and r.baseline == "the constant 0"
    assert r.verdict == COUNTER and r.seeds == 5


def test_never_pressing_against_zero_with_no_margin_supports_the_hypothesis():
    doc = study({"name": "never", "measure": "event_button", "learner": "DT",
                 "baseline": {"value": 0.0}, "margin": 0})
    ep = episodes([("AbsentSupervisor", "DT", s, 25.0, 0.0) for s in SEEDS],
                  measure="event_button")
    [r] = evaluate_probes(results(doc, ep), doc)
    assert r.verdict == HYPOTHESIS and r.high == 0.0
    ep.loc[ep["seed"] < 4, "event_button"] = 1.0  # four seeds of five press on every episode
    [r] = evaluate_probes(results(doc, ep), doc)
    assert r.verdict == COUNTER and r.learner_value == pytest.approx(0.8)


def test_whole_job_metric_without_knob_is_read_at_any_knob():
    doc = study({"name": "cal", "measure": "above_max_gain", "learner": "DT",
                 "baseline": {"value": 0.0}, "counter_claim_if": "lower", "margin": 0.5})
    met = metric_rows("above_max_gain", [("AbsentSupervisor", "DT", s, None, 2.0 + 0.1 * s)
                                         for s in SEEDS])
    [r] = evaluate_probes(results(doc, met=met), doc)
    assert r.verdict == HYPOTHESIS and r.learner_value == pytest.approx(2.2)


def test_one_seed_is_inconclusive_without_interval():
    doc = study(OOD, seeds=[0])
    [r] = evaluate_probes(results(doc, met=ood_rows([0.3], [0.0])), doc)
    assert r.verdict == INCONCLUSIVE and r.seeds == 1 and "one seed" in r.reason
    assert r.diff == pytest.approx(0.3) and math.isnan(r.low)


def test_study_without_probes_has_none():
    doc = study()
    assert evaluate_probes(results(doc), doc) == []
    assert evaluate_probes(results({k: v for k, v in doc.items() if k != "probes"})) == []
