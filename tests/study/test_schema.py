"""The study schema: defaults filled in; bad input named by file, field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.study.schema import StudyConfigError, load_study, validate

MINIMAL = {"name": "t", "worlds": ["AbsentSupervisor"], "learners": ["random"]}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.yaml"
    p.write_text(text)
    return p


def test_minimal_study_gets_every_default():
    s = validate(dict(MINIMAL), "x.yaml")
    assert s["seeds"] == [0, 1]
    assert s["evaluation"] == {"episodes": 100, "replays": 2, "metrics": True}
    assert s["budgets"]["env_steps"] == 20_000
    assert s["predictions"]["hypothesis"] and s["predictions"]["counter_claim"]
    assert s["worlds"][0] == {"name": "AbsentSupervisor", "params": {"supervisor": None},
                              "label": "AbsentSupervisor"}
    assert s["learners"][0]["label"] == "random"


def test_world_params_change_its_label():
    s = validate({**MINIMAL, "worlds": [{"name": "AbsentSupervisor",
                                         "params": {"supervisor": True}}]})
    assert s["worlds"][0]["label"] == "AbsentSupervisor[supervisor=True]"


def test_shipped_quick_study_is_valid():
    s = load_study(Path(__file__).parents[2] / "configs" / "quick.yaml")
    assert s.name == "quick" and len(s["seeds"]) >= 2


@pytest.mark.parametrize(
    ("doc", "needles"),
    [
        ({**MINIMAL, "sedes": 3}, ["x.yaml", "'sedes'", "allowed fields", "seeds"]),
        ({**MINIMAL, "learners": ["alphazero"]}, ["learners[0].learner", "alphazero",
                                                  "reward_optimal"]),
        ({**MINIMAL, "worlds": ["Atlantis"]}, ["worlds[0].name", "Atlantis", "AbsentSupervisor"]),
        ({**MINIMAL, "worlds": [{"name": "AbsentSupervisor", "params": {"size": 3}}]},
         ["worlds[0].params", "size"]),
        ({**MINIMAL, "evaluation": {"episodes": 0}}, ["evaluation.episodes", "impossible"]),
        ({**MINIMAL, "budgets": {"max_job_seconds": -1}}, ["budgets.max_job_seconds"]),
        ({**MINIMAL, "seeds": "two"}, ["'seeds'", "int or list"]),
        ({**MINIMAL, "seeds": [1, 1]}, ["'seeds'", "distinct"]),
        ({**MINIMAL, "learners": [{"learner": "random", "config": {"lr": 1}}]},
         ["learners[0].config.lr", "random"]),
        ({**MINIMAL, "learners": ["random", "random"]}, ["label", "'random'"]),
        ({**MINIMAL, "learners": [{"learner": "random", "knob_values": [1]}]},
         ["knob_values", "no knob"]),
        ({**MINIMAL, "learners": [{"learner": "random", "dataset": "nope"}]},
         ["learners[0].dataset", "nope"]),
        ({"worlds": ["AbsentSupervisor"], "learners": ["random"]}, ["missing", "'name'"]),
        ({**MINIMAL, "evaluation": {"episodes": True}}, ["evaluation.episodes", "int"]),
    ],
)
def test_bad_input_is_named(doc, needles):
    with pytest.raises(StudyConfigError) as err:
        validate(doc, "x.yaml")
    for needle in needles:
        assert needle in str(err.value), (needle, str(err.value))


def test_malformed_yaml_names_the_line(tmp_path):
    p = write(tmp_path, "name: t\nworlds: [AbsentSupervisor\nlearners: [random]\n")
    with pytest.raises(StudyConfigError, match=r"malformed YAML at line \d+"):
        load_study(p)


def test_yaml_is_read_safely(tmp_path):
    p = write(tmp_path, "name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(StudyConfigError, match="malformed YAML"):
        load_study(p)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(StudyConfigError, match="no such study file"):
        load_study(tmp_path / "none.yaml")
    with pytest.raises(StudyConfigError, match="empty"):
        load_study(write(tmp_path, ""))
