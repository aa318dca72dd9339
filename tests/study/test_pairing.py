"""Yardsticks (issue 14): every voting offline DT gets the simulator, quantilizer and best-of-n
of its very data, added to the study, named after it, and paired by a field the jobs ignore."""

from __future__ import annotations

import pytest

from simulacra.learners.registry import learners
from simulacra.study.grid import expand
from simulacra.study.pairing import BEST_OF, QUANTILES, yardsticks
from simulacra.study.schema import StudyConfigError, validate

RECIPE = {"episodes": 40, "components": "random"}
DT = {"learner": "dt", "label": "DT", "dataset": "mixed", "worlds": ["AbsentSupervisor"],
      "target_points": 3}


def doc(learners_, **over):
    return {"name": "p", "seeds": 2, "worlds": ["AbsentSupervisor", "Gambling"],
            "datasets": {"mixed": RECIPE, "other": RECIPE}, "learners": learners_,
            "evaluation": {"episodes": 4, "replays": 0}, **over}


def labels(s) -> list[str]:
    return [x["label"] for x in s["learners"]]


def test_a_voting_dt_gets_its_yardsticks_right_after_it():
    s = validate(doc(["random", DT, {"learner": "ppo", "label": "PPO"}]))
    sticks = [x for x in s["learners"] if x["pairs_with"] == "DT"]
    names = {x["learner"]: x for x in sticks}
    assert set(names) >= {"quantilizer", "best_of_n"}
    assert labels(s)[:2] == ["random", "DT"] and labels(s)[-1] == "PPO"
    assert labels(s)[2:-1] == [x["label"] for x in sticks]  # right after their DT
    assert names["quantilizer"]["label"] == "DT quantilizer"
    assert names["best_of_n"]["label"] == "DT best-of-n"
    assert names["quantilizer"]["knob_values"] == QUANTILES == [0.5, 0.3, 0.2, 0.1, 0.05, 0.02]
    assert names["best_of_n"]["knob_values"] == BEST_OF == [1, 2, 4, 8, 16, 32]
    for x in sticks:  # the very data, worlds and (the study's) seeds of the DT
        assert x["dataset"] == "mixed" and x["worlds"] == ["AbsentSupervisor"]
    jobs = expand(s)
    for j in jobs:
        assert "pairs_with" not in str(j.config())  # not part of any job (nor its key)
    q = [j for j in jobs if j.learner.label == "DT quantilizer"]
    assert {j.seed for j in q} == {0, 1} and {j.world.name for j in q} == {"AbsentSupervisor"}


@pytest.mark.skipif("simulator" not in learners(), reason="the simulator learner is not built")
def test_the_paired_simulator_asks_for_exactly_the_dts_targets():
    s = validate(doc([DT]))
    [sim] = [x for x in s["learners"] if x["learner"] == "simulator"]
    assert (sim["label"], sim["pairs_with"], sim["targets"]) == ("DT simulator", "DT", "paired")
    jobs = expand(s)
    knobs = {j.learner.label: j.knob.values for j in jobs if j.seed == 0}
    assert knobs["DT simulator"] == knobs["DT"] and len(knobs["DT"]) >= 3


def test_without_the_simulator_learner_the_other_yardsticks_are_still_added():
    s = validate(doc([DT]))
    spec = next(x for x in s["learners"] if x["label"] == "DT")
    known = {k: v for k, v in learners().items() if k != "simulator"}
    made = yardsticks([spec], known)
    assert [m["label"] for m in made] == ["DT quantilizer", "DT best-of-n"]


@pytest.mark.parametrize("opt_out", [{"yardsticks": False}, {"probe_only": True}])
def test_no_yardsticks_for_a_dt_that_opts_out_or_does_not_vote(opt_out):
    s = validate(doc([{**DT, **opt_out}]))
    assert labels(s) == ["DT"]


def test_a_yardstick_the_study_writes_is_not_added_twice():
    mine = {"learner": "quantilizer", "label": "my q", "dataset": "mixed",
            "knob_values": [0.1], "pairs_with": "DT"}
    s = validate(doc([DT, mine]))
    q = [x for x in s["learners"] if x["learner"] == "quantilizer"]
    assert [x["label"] for x in q] == ["my q"]


def test_other_learners_keep_their_jobs_and_keys():
    others = ["random", {"learner": "ppo", "label": "PPO", "dataset": "mixed"},
              {"learner": "pbc", "label": "%BC", "dataset": "mixed", "knob_values": [0.5]},
              {"learner": "quantilizer", "dataset": "mixed", "knob_values": [0.5]}]
    before = {j.key for j in expand(validate(doc(others)))}
    after = expand(validate(doc([*others, DT])))
    assert before == {j.key for j in after if not j.learner.label.startswith("DT")}


@pytest.mark.parametrize(("entry", "needle"), [
    ({"learner": "quantilizer", "dataset": "mixed", "pairs_with": "nobody"},
     "pairs_with is 'nobody', not an offline DT"),
    ({"learner": "quantilizer", "dataset": "other", "pairs_with": "DT"},
     "names another dataset"),
    ({"learner": "ppo", "yardsticks": False}, "yardsticks applies only"),
])
def test_bad_pairings_are_study_errors(entry, needle):
    with pytest.raises(StudyConfigError, match=needle):
        validate(doc([DT, entry]))


def test_a_yardstick_label_taken_by_another_learner_is_a_clear_error():
    clash = {"learner": "random", "label": "DT quantilizer"}
    with pytest.raises(StudyConfigError, match="share the label 'DT quantilizer'"):
        validate(doc([DT, clash]))
