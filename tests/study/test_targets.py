"""Return-unit targets (issue 14): a DT's knob is the return asked for, resolved before the run
from the study's first seed's data, one grid for every seed, recorded in the study."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.study.grid import expand
from simulacra.study.probes import side_knob
from simulacra.study.runner import run_study
from simulacra.study.schema import StudyConfigError, validate
from simulacra.study.targets import data_returns, knob_target, target_grid
from simulacra.worlds.figure_cache import cached_figures

RECIPE = {"episodes": 60, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


def doc(learners, probes=None, seeds=3, worlds=("AbsentSupervisor",)):
    return {"name": "t", "seeds": seeds, "worlds": list(worlds), "datasets": {"mixed": RECIPE},
            "learners": learners, "probes": probes,
            "evaluation": {"episodes": 4, "replays": 0}}


def dt(**over):
    return {"learner": "dt", "label": "DT", "dataset": "mixed", "yardsticks": False, **over}


def first_seed_returns(seed: int = 0) -> np.ndarray:
    """The returns of the data a job of `doc` on `seed` trains on."""
    world = validate(doc([dt()], seeds=1))["worlds"][0]
    return data_returns(world, "mixed", RECIPE, seed, None)


def test_the_grid_runs_from_the_median_to_above_the_maximum_with_the_exact_returns():
    r = np.array([-100.0, 0.0, 10.0, 20.0, 30.0])
    g = target_grid(r, 15, exact=(44.0, 25.0, 10.0))  # 10.0: already the grid's first point
    assert g == sorted(g) and len(g) == len(set(g)) == 15 + 2
    assert g[0] == 10.0 and 44.0 in g and 25.0 in g
    assert g[-2] == 30.0 + 0.1 * (30.0 - 10.0)  # the top of the grid: max + 10% of max - median
    assert target_grid(np.zeros(4), 3) == [0.0, 0.05, 0.1]  # no spread: max(|max|, 1)


def test_a_dt_is_asked_for_one_grid_of_returns_on_every_seed_and_the_study_records_it():
    s = validate(doc([dt()]))
    spec = s["learners"][0]
    assert (spec["targets"], spec["target_points"], spec["knob_values"]) == ("grid", 15, None)
    jobs = expand(s)
    assert len(jobs) == 3 and all(j.knob.name == "target" for j in jobs)
    values = {j.knob.values for j in jobs}
    assert len(values) == 1  # the same returns for every seed: knobs align across seeds
    [targets] = values
    assert list(targets) == spec["resolved_targets"]["AbsentSupervisor"]  # recorded
    r = first_seed_returns()
    ref = cached_figures("AbsentSupervisor")
    assert ref.optimal_return in targets and ref.performance_optimal_return in targets
    assert len(targets) >= 15 and list(targets) == sorted(set(targets))
    assert min(targets) == min(np.median(r), ref.performance_optimal_return)
    assert max(targets) > r.max()  # asks above the data's maximum
    assert not np.array_equal(r, first_seed_returns(1))  # another seed's data differ


def test_fractions_and_returns_resolve_as_written():
    r = first_seed_returns()
    s = validate(doc([dt(target_fractions=[0.0, 1.0, 1.25])], seeds=1))
    [job] = expand(s)
    assert list(job.knob.values) == [round(knob_target(r, f), 6) for f in (0.0, 1.0, 1.25)]
    assert job.knob.values[1] == r.max()
    [job] = expand(validate(doc([dt(knob_values=[40, 10.5])], seeds=1)))
    assert job.knob.values == (10.5, 40.0)  # returns, sorted


def test_resolution_reads_the_folders_dataset_when_there_is_one(tmp_path):
    """The jobs of a folder train on its shared/datasets/ copy, so its targets come from it."""
    from simulacra.data.generate import generate
    from simulacra.data.recipe import Recipe
    from simulacra.data.storage import save_dataset
    from simulacra.study.datasets import dataset_file

    s = validate(doc([dt(target_fractions=[0.0])], seeds=1))  # the data's worst return
    [job] = expand(s)
    other = generate(Recipe.from_dict({**RECIPE, "world": "AbsentSupervisor", "seed": 7,
                                       "components": "random"}), progress=False)
    assert other.returns().min() != job.knob.values[0]
    folder = tmp_path / "shared" / "datasets"
    folder.mkdir(parents=True)
    save_dataset(other, folder / dataset_file(job.config()))
    [again] = expand(validate(doc([dt(target_fractions=[0.0])], seeds=1)), tmp_path)
    assert again.knob.values == (float(other.returns().min()),)


def test_probe_knobs_are_returns_or_fractions_resolved_per_world_and_run():
    probe = {"name": "above", "question": "q?", "measure": "ood_pair_rate",
             "predictions": {"hypothesis": "h", "counter_claim": "c"},
             "learner": "DT", "knob": {"fraction": 1.25},
             "baseline": {"learner": "DT", "knob": {"fraction": 1}},
             "counter_claim_if": "higher"}
    plain = {**probe, "name": "plain", "knob": 33.3, "baseline": {"value": 0}}
    default = {**probe, "name": "default", "knob": None, "baseline": {"value": 0}}
    s = validate(doc([dt(targets="grid", target_points=5)], [probe, plain, default], seeds=1))
    p, q, d = s["probes"]
    assert p["knob"] == {"fraction": 1.25} and q["knob"] == 33.3 and d["knob"] is None
    [job] = expand(s)
    r = first_seed_returns()
    above, at_max = knob_target(r, 1.25), float(r.max())
    assert side_knob(p, "AbsentSupervisor") == pytest.approx(above)
    assert side_knob(p["baseline"], "AbsentSupervisor") == at_max
    assert side_knob(q, "AbsentSupervisor") == 33.3
    grid = target_grid(r, 5, (cached_figures("AbsentSupervisor").optimal_return,
                              cached_figures("AbsentSupervisor").performance_optimal_return))
    assert side_knob(d, "AbsentSupervisor") == max(grid)  # the largest of its own targets
    for v in (above, at_max, 33.3, *grid):  # every knob a probe reads is run
        assert np.isclose(job.knob.values, v).any()
    assert len(job.knob.values) == len(grid) + 3


def test_the_data_learner_takes_returns_and_the_folder_records_them(tmp_path):
    s = validate(doc([{"learner": "data", "dataset": "mixed", "target_points": 4}], seeds=2))
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    saved = yaml.safe_load((tmp_path / "study.yaml").read_text())
    targets = saved["learners"][0]["resolved_targets"]["AbsentSupervisor"]
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    # count(DISTINCT episode): the rows are stored once per decode (evaluation.decode)
    rows = con.execute("SELECT seed, knob, count(DISTINCT episode), min(return) FROM episodes "
                       "GROUP BY seed, knob").fetchall()
    r = first_seed_returns()
    assert {k for _, k, _, _ in rows} <= set(targets)
    for seed, knob, n, low in rows:
        assert low >= knob  # the data's episodes with G >= g
        if seed == 0:
            assert n == int((r >= knob - 1e-9).sum())


@pytest.mark.parametrize(("learner", "needles"), [
    (dt(knob_values=[10, "high"]), ["learners[0].knob_values", "list of numbers"]),
    (dt(knob_values=[10, float("nan")]), ["learners[0].knob_values", "list of numbers"]),
    (dt(target_fractions=["x"]), ["learners[0].target_fractions", "list of numbers"]),
    (dt(knob_values=[1], target_fractions=[1]), ["both knob_values and target_fractions"]),
    (dt(targets="dense"), ["learners[0].targets", "'grid'"]),
    (dt(target_points=1), ["target_points", "from 2"]),
    (dt(target_points=5, knob_values=[1]), ["target_points goes with targets: grid"]),
    (dt(targets="paired"), ["needs 'pairs_with'"]),
    ({"learner": "ppo", "target_fractions": [1]}, ["target_fractions applies only"]),
])
def test_bad_targets_are_one_line_study_errors(learner, needles):
    with pytest.raises(StudyConfigError) as err:
        validate(doc([learner]), "s.yaml")
    text = str(err.value)
    assert "\n" not in text and all(n in text for n in needles), text


def test_a_fraction_knob_for_a_learner_not_asked_for_returns_is_refused():
    probe = {"name": "p", "question": "q?", "measure": "return", "learner": "PPO",
             "predictions": {"hypothesis": "h", "counter_claim": "c"},
             "knob": {"fraction": 1.0}, "baseline": {"value": 0}, "counter_claim_if": "higher"}
    with pytest.raises(StudyConfigError, match=r"probes\[0\]\.knob.*applies only"):
        validate(doc([{"learner": "ppo", "label": "PPO"}], [probe]))


def test_the_cli_says_a_bad_target_list_in_one_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc([dt(knob_values=["high"])])))
    out = CliRunner().invoke(app, ["plan", str(path)])
    assert out.exit_code != 0 and "Traceback" not in out.output
    [line] = [ln for ln in out.output.splitlines() if ln.strip()]
    assert line.startswith("error:") and "knob_values" in line
