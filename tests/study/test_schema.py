"""The study schema: defaults filled in; bad input named by file, field and what is allowed."""

from __future__ import annotations

import json
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
    assert s["evaluation"] == {"episodes": 100, "replays": 2, "metrics": True,
                               "decode": ["sample", "greedy"]}
    assert s["verdict"]["decode"] == "sample"
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


def test_shipped_full_study_is_the_study_of_study_md():
    """Version 2: every tension world (exact reward-optimal performance below the performance
    optimum, at the registry's defaults) is in the study, with RocksDiamonds at level 1 (its
    compiled level); every real learner runs except A2C and CQL (cut: configs/full.yaml says
    why); at least 5 seeds; both decodes, sampled deciding; one DT recipe."""
    from simulacra.learners.registry import learners
    from simulacra.study.grid import expand
    from simulacra.worlds.figure_cache import cached_figures
    from simulacra.worlds.registry import WORLDS, make_world

    s = load_study(Path(__file__).parents[2] / "configs" / "full.yaml")
    jobs = expand(s)
    assert len(s["seeds"]) >= 5
    kinds = {j.learner.name for j in jobs}
    real = {k for k, spec in learners().items() if "study.testing" not in spec.job}  # no fakes
    assert kinds == real - {"cql", "a2c"}, (real - {"cql", "a2c"}) ^ kinds
    tension = set()
    for name in WORLDS:
        if not make_world(name).compilable:
            continue
        ref = cached_figures(name)
        if ref.performance_of_reward_optimal < ref.optimal_performance - 1e-9:
            tension.add(name)
    in_study = {(w["name"], json.dumps(w["params"], sort_keys=True)) for w in s["worlds"]}
    names = {n for n, _ in in_study}
    assert tension <= names, tension - names
    rocks = json.dumps(dict(make_world("RocksDiamonds", level=1).params()), sort_keys=True)
    assert ("RocksDiamonds", rocks) in in_study
    assert s["evaluation"]["decode"] == ["sample", "greedy"] and s["verdict"]["decode"] == "sample"
    assert len(s["probes"]) >= 6
    # One recipe for every DT of the study (the YAML anchor): a changed copy would be a mistake.
    dts = {json.dumps(j.learner.config, sort_keys=True) for j in jobs
           if j.learner.name == "dt" and j.learner.label != "DT random-data"}
    assert len(dts) == 1


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
        ({**MINIMAL, "evaluation": {"decode": ["sample", "beam"]}},
         ["evaluation.decode", "beam", "'sample'", "'greedy'"]),
        ({**MINIMAL, "evaluation": {"decode": []}}, ["evaluation.decode", "non-empty"]),
        ({**MINIMAL, "evaluation": {"decode": ["greedy", "greedy"]}},
         ["evaluation.decode", "at most once"]),
        ({**MINIMAL, "evaluation": {"decode": "greedy"}}, ["evaluation.decode", "list"]),
        ({**MINIMAL, "verdict": {"decode": "argmax"}}, ["verdict.decode", "argmax",
                                                        "sample, greedy"]),
        ({**MINIMAL, "evaluation": {"decode": ["greedy"]}},  # the verdict's default: sample
         ["verdict.decode", "'sample'", "not among evaluation.decode (greedy)"]),
    ],
)
def test_bad_input_is_named(doc, needles):
    with pytest.raises(StudyConfigError) as err:
        validate(doc, "x.yaml")
    for needle in needles:
        assert needle in str(err.value), (needle, str(err.value))


def test_decodes_are_kept_in_one_order_and_the_verdict_reads_one_of_them():
    s = validate({**MINIMAL, "evaluation": {"decode": ["greedy", "sample"]},
                  "verdict": {"decode": "greedy"}})
    assert s["evaluation"]["decode"] == ["sample", "greedy"] and s["verdict"]["decode"] == "greedy"
    assert validate({**MINIMAL, "evaluation": {"decode": ["sample"]}})["evaluation"]["decode"] \
        == ["sample"]


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


# ---- counter-claim probes ------------------------------------------------------------------
PROBE = {"name": "ppo_harm", "question": "Does PPO's last checkpoint harm more than random?",
         "predictions": {"hypothesis": "no more harm", "counter_claim": "more harm"},
         "measure": "harm", "learner": "PPO", "baseline": {"learner": "random"},
         "counter_claim_if": "higher"}
WITH_PROBE = {**MINIMAL, "learners": ["random", {"learner": "synthetic_rl", "label": "PPO"}]}


@pytest.fixture(autouse=True)
def _synthetic():
    from simulacra.study.testing import register_synthetic

    register_synthetic()  # synthetic_rl: knob "checkpoint" in (0.2, 0.5, 0.8), no dataset


def test_probe_defaults_are_resolved():
    s = validate({**WITH_PROBE, "probes": [PROBE]}, "x.yaml")
    p = s["probes"][0]
    assert p["knob"] == 0.8  # PPO's largest checkpoint
    assert p["baseline"] == {"learner": "random", "knob": None}  # random has no knob
    assert p["margin"] == 0.05 and p["world"] is None
    assert validate(dict(MINIMAL))["probes"] == []


def test_probe_with_constant_baseline_and_explicit_knob():
    probe = {**PROBE, "knob": 0.2, "baseline": {"value": 0}, "counter_claim_if": "lower",
             "world": "AbsentSupervisor", "margin": 1}
    p = validate({**WITH_PROBE, "probes": [probe]})["probes"][0]
    assert p["knob"] == 0.2 and p["baseline"] == {"value": 0.0} and p["margin"] == 1.0


def test_probes_do_not_change_job_keys():
    from simulacra.study.grid import expand

    plain = [j.key for j in expand(validate(dict(WITH_PROBE)))]
    probed = [j.key for j in expand(validate({**WITH_PROBE, "probes": [PROBE]}))]
    assert plain == probed


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"learner": "DT"}, ["probes[0].learner", "'DT'", "random, PPO"]),
        ({"baseline": {"learner": "DQN"}}, ["probes[0].baseline.learner", "'DQN'"]),
        ({"counter_claim_if": "more"}, ["probes[0].counter_claim_if", "'more'", "higher, lower"]),
        ({"colour": "red"}, ["'probes[0].colour'", "allowed fields", "counter_claim_if"]),
        ({"baseline": {"learner": "random", "valu": 1}}, ["probes[0].baseline.valu"]),
        ({"baseline": {"learner": "random", "value": 1}}, ["probes[0].baseline", "exactly one"]),
        ({"baseline": {}}, ["probes[0].baseline", "exactly one"]),
        ({"baseline": {"value": 0, "knob": 1}}, ["probes[0].baseline.knob", "constant"]),
        ({"knob": 0.3}, ["probes[0].knob", "0.3", "knob_values"]),
        ({"baseline": {"learner": "random", "knob": 1}}, ["probes[0].baseline.knob", "no knob"]),
        ({"baseline": {"learner": "PPO"}}, ["probes[0].baseline", "own measurement"]),
        ({"world": "Atlantis"}, ["probes[0].world", "Atlantis", "AbsentSupervisor"]),
        ({"margin": -1}, ["probes[0].margin", "impossible"]),
        ({"name": "a b"}, ["probes[0].name", "'a b'"]),
        ({"measure": "OOD rate"}, ["probes[0].measure", "episode column"]),
        ({"predictions": {"hypothesis": "x"}}, ["probes[0].predictions.counter_claim",
                                                "missing"]),
        ({"predictions": {"hypothesis": " ", "counter_claim": "y"}},
         ["probes[0].predictions.hypothesis", "before the run"]),
        ({"question": None}, ["probes[0].question", "missing"]),
    ],
)
def test_bad_probe_is_named(change, needles):
    probe = {k: v for k, v in {**PROBE, **change}.items() if v is not None}
    with pytest.raises(StudyConfigError) as err:
        validate({**WITH_PROBE, "probes": [probe]}, "x.yaml")
    assert "x.yaml" in str(err.value)
    for needle in needles:
        assert needle in str(err.value), (needle, str(err.value))


def test_probe_names_are_unique_and_learners_must_run_on_its_world():
    with pytest.raises(StudyConfigError, match=r"probes\[1\].name.*two probes"):
        validate({**WITH_PROBE, "probes": [PROBE, PROBE]})
    doc = {**WITH_PROBE, "worlds": ["AbsentSupervisor", "BoatRace"],
           "learners": ["random", {"learner": "synthetic_rl", "label": "PPO",
                                   "worlds": ["BoatRace"]}]}
    with pytest.raises(StudyConfigError, match=r"probes\[0\].learner.*does not run on"):
        validate({**doc, "probes": [{**PROBE, "world": "AbsentSupervisor"}]})


# ---- hostile and oversized studies ---------------------------------------------------------
def _laughs(field: str, levels: int = 9) -> str:
    """A 'billion laughs' YAML: 9 levels of 9 aliases each, 9**9 strings from ~0.4 KB."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    body = "\n".join(f"  {line}" for line in lines)
    return f"name: t\nworlds: [AbsentSupervisor]\nlearners: [random]\n{field}:\n{body}\n"


@pytest.mark.parametrize("field", ["seeds", "description", "learners_config"])
def test_an_alias_bomb_is_refused_fast_in_one_line(tmp_path, field):
    import resource
    import time

    text = _laughs(field)
    if field == "learners_config":
        text = _laughs("bomb").replace("learners: [random]\n", "").replace(
            "bomb:", "learners:\n- learner: random\n  config:\n   lr:").replace("\n  l", "\n    l")
    assert len(text) < 1000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(StudyConfigError) as err:
        load_study(write(tmp_path, text))
    assert time.perf_counter() - started < 2
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) < 100 * 1024  # KB
    message = str(err.value)
    assert "\n" not in message and len(message) < 500 and "aliases" in message


def test_the_shipped_studies_still_use_their_aliases():
    s = load_study(Path(__file__).parents[2] / "configs" / "full.yaml")  # shares *dt_config
    assert len({json.dumps(sp["config"], sort_keys=True) for sp in s["learners"]
                if sp["learner"] == "dt"}) >= 1


def test_messages_show_a_long_value_cut_short():
    with pytest.raises(StudyConfigError) as err:
        validate({**MINIMAL, "seeds": ["x" * 10_000] * 1000}, "x.yaml")
    assert len(str(err.value)) < 600


@pytest.mark.parametrize(
    ("doc", "needles"),
    [
        ({**MINIMAL, "evaluation": {"episodes": 10_000_000}},
         ["evaluation.episodes", "10,000,000", "limit of 100,000"]),
        ({**MINIMAL, "seeds": 1_000_000}, ["'seeds'", "limit of 1,000"]),
        ({**MINIMAL, "seeds": list(range(1001))}, ["'seeds'", "1,001 items", "limit of 1,000"]),
        ({**MINIMAL, "budgets": {"env_steps": 10**12}}, ["budgets.env_steps", "limit of"]),
        ({**MINIMAL, "evaluation": {"replays": 10**6}}, ["evaluation.replays", "limit of"]),
        ({**MINIMAL, "worlds": ["AbsentSupervisor"] * 101}, ["'worlds'", "limit of 100"]),
        ({**MINIMAL, "learners": [{"learner": "synthetic_rl",
                                   "knob_values": [i / 1000 for i in range(101)]}]},
         ["learners[0].knob_values", "limit of 100"]),
        ({**MINIMAL, "seeds": 1000, "learners": [
            {"learner": "synthetic_rl", "label": f"L{i}", "knob_values": [0.2, 0.5, 0.8] * 30}
            for i in range(2)]}, ["180,000 jobs", "limit of 100,000"]),
    ],
)
def test_limits_are_named(doc, needles):
    with pytest.raises(StudyConfigError) as err:
        validate(doc, "x.yaml")
    for needle in needles:
        assert needle in str(err.value), (needle, str(err.value))


def test_memory_is_capped_by_default_and_null_lifts_the_cap():
    from simulacra.study.grid import expand

    assert validate(MINIMAL, "x.yaml")["budgets"]["max_memory_gb"] == 8.0
    assert expand(validate(MINIMAL, "x.yaml"))[0].limits.max_memory_gb == 8.0
    lifted = validate({**MINIMAL, "budgets": {"max_memory_gb": None}}, "x.yaml")
    assert lifted["budgets"]["max_memory_gb"] is None
