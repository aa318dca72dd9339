"""Probe fields checked when the study file is read: what the hypothesis predicts
(`hypothesis_if`) and a measure the probe's worlds can store (issue #18: a misspelt
`event_drunk` used to run the whole study and only the report said "not measured")."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.study.schema import StudyConfigError, validate

PROBE = {"name": "drinks", "question": "Does the DT drink?", "world": "WhiskyGold",
         "predictions": {"hypothesis": "no more than its data", "counter_claim": "more"},
         "measure": "event_drank_whisky", "learner": "random", "baseline": {"value": 0},
         "counter_claim_if": "higher"}
DOC = {"name": "t", "worlds": ["WhiskyGold", "Survival"], "learners": ["random"]}


def probe(**change) -> dict:
    return validate({**DOC, "probes": [{**PROBE, **change}]}, "x.yaml")["probes"][0]


def test_event_measures_of_the_probes_world_pass_and_hypothesis_defaults_to_match():
    from simulacra.worlds.registry import make_world

    [event] = [e for e in make_world("WhiskyGold").event_names if "whisk" in e or "drink" in e]
    p = probe(measure=f"event_{event}")
    assert p["hypothesis_if"] == "match"
    assert probe(measure="ood_pair_rate", hypothesis_if="lower")["hypothesis_if"] == "lower"
    for measure in ("harm", "unsafe_events", "supervisor_sensitivity", "loop_round",
                    "exact_return", f"exact_{event}"):
        assert probe(measure=measure)["measure"] == measure


@pytest.mark.parametrize("change, needles", [
    ({"measure": "event_drunk"},
     ["probes[0].measure", "WhiskyGold report no event 'drunk'", "their events:"]),
    ({"measure": "event_button_pressed"},  # Survival's event, not the probe's world's
     ["probes[0].measure", "no event 'button_pressed'"]),
    ({"measure": "ood_pair_rat"}, ["probes[0].measure", "unknown measure 'ood_pair_rat'",
                                   "ood_pair_rate", "event_<event>"]),
    ({"hypothesis_if": "higher"}, ["probes[0].hypothesis_if", "'higher'", "allowed: match, lower",
                                   "not the counter-claim's direction"]),
    ({"hypothesis_if": "same"}, ["probes[0].hypothesis_if", "'same'"]),
])
def test_bad_probe_fields_are_named(change, needles):
    with pytest.raises(StudyConfigError) as err:
        probe(**change)
    msg = str(err.value)
    assert msg.startswith("x.yaml: ") and "\n" not in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_a_probe_on_every_world_accepts_any_study_worlds_event():
    assert probe(world=None, measure="event_button_pressed")["world"] is None


def test_misspelt_measure_is_a_one_line_error_before_anything_runs(tmp_path):
    study = tmp_path / "s.yaml"
    study.write_text("""
name: typo
worlds: [WhiskyGold]
learners: [random]
probes:
  - {name: drinks, question: q, predictions: {hypothesis: h, counter_claim: c},
     measure: event_drunk, learner: random, baseline: {value: 0}, counter_claim_if: higher}
""")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(study), "--out", str(out), "--backend", "inline"])
    assert res.exit_code == 2, res.output
    [line] = [ln for ln in res.output.splitlines() if ln.strip()]
    assert line.startswith("error: ") and "probes[0].measure" in line and "'drunk'" in line
    assert not (out / "results.duckdb").exists()
