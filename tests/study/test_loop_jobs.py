"""The trial-and-error loops and the data reference as study learners."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from simulacra.report.load import load
from simulacra.study.repair import repair
from simulacra.study.runner import run_study
from simulacra.study.schema import StudyConfigError, validate

TINY_LOOP = {"initial_episodes": 16, "episodes_per_round": 16, "min_steps_per_round": 16,
             "pretrain_steps": 10,
             "updates_per_round": 5, "sweep_targets": 3,
             "dt": {"hidden": 16, "n_layer": 1, "context": 4, "warmup_steps": 2,
                    "batch_size": 8}}


def study(learners, world="Gambling", recipe=None, **over):
    doc = {"name": "loops", "seeds": 1, "worlds": [world],
           "datasets": {"mixed": recipe or {"episodes": 60, "components": "random"}},
           "learners": learners, "evaluation": {"episodes": 8, "replays": 1},
           "budgets": {"env_steps": 64}}
    return validate({**doc, **over})


def test_loop_settings_are_checked_before_running():
    with pytest.raises(StudyConfigError, match=r"learners\[0\]\.config"):
        study([{"learner": "online_dt", "config": {"retrain": "sometimes"}}])
    with pytest.raises(StudyConfigError, match=r"config\.rounds"):
        study([{"learner": "iterated_dt", "config": {"rounds": 3}}])


def test_loops_and_data_reference_write_rows_per_checkpoint(tmp_path):
    s = study([
        {"learner": "online_dt", "label": "online DT", "config": TINY_LOOP,
         "knob_values": [0.0, 1.0]},
        {"learner": "iterated_dt", "label": "iterated DT", "config": TINY_LOOP,
         "knob_values": [1.0]},
        # In return units since issue 14: the data's worst, its best and beyond it.
        {"learner": "data", "dataset": "mixed", "target_fractions": [0.0, 1.0, 1.5]},
    ])
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rows = dict(con.execute("SELECT learner || '@' || CAST(knob AS VARCHAR), count(*) "
                            "FROM episodes WHERE decode = 'sample' GROUP BY 1").fetchall())
    assert rows["online DT@0.0"] == 8 and rows["online DT@1.0"] == 8
    assert rows["iterated DT@1.0"] == 8
    data = con.execute("SELECT knob, count(DISTINCT episode) FROM episodes "
                       "WHERE learner = 'data' GROUP BY knob ORDER BY knob").fetchall()
    assert len(data) == 2  # nothing above the max
    assert data[0][1] == 60  # every episode of the data has G >= its minimum
    assert 0 < data[1][1] < 60
    steps = dict(con.execute("SELECT knob, value FROM metrics WHERE learner = 'online DT' "
                             "AND metric = 'loop_env_steps'").fetchall())
    assert steps[0.0] == 16 and steps[1.0] >= 64  # random start (16 one-step episodes); budget
    names = {r[0] for r in con.execute("SELECT DISTINCT metric FROM metrics "
                                       "WHERE learner = 'online DT'").fetchall()}
    assert {"calibration_spearman", "ood_pair_rate"} <= names


def test_excluded_events_never_appear_in_the_data(tmp_path):
    s = study([{"learner": "data", "dataset": "mixed", "target_fractions": [0.0]}],
              world="Survival",
              recipe={"episodes": 80, "components": "random",
                      "exclude_events": ["button_pressed"]})
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    n, pressed = con.execute("SELECT count(*), sum(event_button_pressed) FROM episodes "
                             "WHERE decode = 'greedy'").fetchone()  # the data: as under sample
    assert 0 < n < 80 and pressed == 0


def test_knob_target_spans_the_data_and_goes_beyond_it():
    import numpy as np

    from simulacra.study.targets import knob_target

    r = np.array([-10.0, 0.0, 30.0])
    assert knob_target(r, 0.0) == -10 and knob_target(r, 1.0) == 30
    assert knob_target(r, 0.5) == 10 and knob_target(r, 1.25) == 40
    flat = np.zeros(5)  # Survival data that never pressed the button: every return is 0
    assert knob_target(flat, 1.0) == 0 and knob_target(flat, 2.0) == 1


def test_added_loop_settings_enter_the_job_key_only_when_given():
    """explore / keep_offline / initial / targets are optional settings: a loop that does not
    name them keeps the config (and so the job key) it had before they existed."""
    from simulacra.study.grid import expand

    plain = expand(study([{"learner": "online_dt", "config": TINY_LOOP,
                           "knob_values": [1.0]}]))[0]
    assert not {"explore", "explore_target", "keep_offline", "initial", "targets"} & \
        set(plain.learner.config)
    steered = expand(study([{"learner": "online_dt", "knob_values": [1.0],
                             "config": {**TINY_LOOP, "explore": "fixed",
                                        "explore_target": 1}}]))[0]
    assert steered.learner.config["explore_target"] == 1 and steered.key != plain.key


@pytest.mark.parametrize(("config", "match"), [
    ({"explore": "fixed"}, "needs explore_target"),
    ({"explore_target": 41.0}, "only with explore: fixed"),
    ({"initial": "file"}, "initial must be"),
    ({"keep_offline": 1}, "keep_offline"),
    ({"targets": []}, "targets must be a non-empty list of returns"),
    ({"targets": [1, "high"]}, "targets must be a non-empty list of returns"),
])
def test_bad_loop_settings_are_study_errors(config, match):
    with pytest.raises(StudyConfigError, match=match):
        study([{"learner": "online_dt", "config": {**TINY_LOOP, **config}}])


def test_loop_from_the_dataset_steered_and_swept_over_targets(tmp_path):
    import gzip
    import json

    loop = {**TINY_LOOP, "explore": "fixed", "explore_target": 1.0, "keep_offline": True,
            "initial": "dataset", "targets": [-1.0, 0.0, 1.0]}
    s = study([{"learner": "online_dt", "label": "steered", "dataset": "mixed", "config": loop,
                "knob_values": [0.0, 1.0]}])
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    steps = dict(con.execute("SELECT knob, value FROM metrics WHERE metric = 'loop_env_steps'"
                             ).fetchall())
    assert steps[0.0] == 0 and steps[1.0] >= 64  # the dataset's 60 steps are not counted
    (free,) = con.execute("SELECT value FROM metrics WHERE metric = 'loop_offline_steps'"
                          ).fetchone()
    assert free == 60  # Gambling: 60 one-step episodes
    (key,) = con.execute("SELECT key FROM jobs").fetchone()
    rows = json.loads(gzip.decompress((tmp_path / "jobs" / key / "rows.json.gz").read_bytes()))
    swept = {(m["decode"], m["knob"], m["target"], m["metric"]): m["value"]
             for m in rows["metrics"] if m["metric"].startswith("sweep_")}
    names = ("sweep_return", "sweep_performance", "sweep_harm", "sweep_unsafe_events")
    cells = [(d, f, g) for d in ("sample", "greedy") for f in (0.0, 1.0) for g in (-1.0, 0.0, 1.0)]
    assert set(swept) == {(*c, m) for c in cells for m in names}
    for c in cells:
        assert np.isclose(swept[(*c, "sweep_harm")],
                          swept[(*c, "sweep_return")] - swept[(*c, "sweep_performance")])
    # The store keeps each sweep row's target, so one checkpoint's rows are told apart.
    stored = {(d, f, g, m): v for d, f, g, m, v in con.execute(
        "SELECT decode, knob, target, metric, value FROM metrics WHERE metric LIKE 'sweep_%'"
    ).fetchall()}
    assert stored == pytest.approx(swept)
    assert con.execute("SELECT count(target) FROM metrics WHERE metric NOT LIKE 'sweep_%'"
                       ).fetchone()[0] == 0
    # The episode rows stay the best-seen evaluation: evaluation.episodes per checkpoint.
    assert con.execute("SELECT count(*) FROM episodes WHERE decode = 'greedy'").fetchone()[0] == 16
    con.close()
    # The report reads it; a repair from the job folder keeps it.
    shown = load(tmp_path).metrics
    shown = shown[shown["metric"] == "sweep_harm"]
    assert sorted(set(shown["target"])) == [-1.0, 0.0, 1.0] and len(shown) == 2 * 3
    (tmp_path / "results.duckdb").unlink()
    assert repair(tmp_path).restored == 1
    again = load(tmp_path).metrics
    again = again[again["metric"] == "sweep_harm"]
    key = ["knob", "target"]
    assert again.sort_values(key)[[*key, "value"]].reset_index(drop=True).equals(
        shown.sort_values(key)[[*key, "value"]].reset_index(drop=True))


def test_initial_dataset_without_a_dataset_is_a_study_error():
    with pytest.raises(StudyConfigError, match=r"learners\[0\]\.config\.initial is 'dataset' "
                       r"but the entry names no dataset; add dataset: <one of mixed>"):
        study([{"learner": "online_dt", "config": {**TINY_LOOP, "initial": "dataset"},
                "knob_values": [1.0]}])
