"""Trained learners in a study: their settings are checked up front, and a tiny study runs them."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import StudyConfigError, validate

RECIPE = {"episodes": 60, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


def study(learners, **over):
    doc = {"name": "l", "seeds": 1, "worlds": ["AbsentSupervisor"],
           "datasets": {"mixed": RECIPE}, "learners": learners,
           "evaluation": {"episodes": 8, "replays": 1}, "budgets": {"env_steps": 2048}}
    return validate({**doc, **over})


def test_learner_defaults_come_from_the_learners_own_configs():
    from simulacra.learners.bc import BCConfig
    from simulacra.learners.dt_train import TrainConfig

    s = study([{"learner": "dt", "dataset": "mixed"}, {"learner": "pbc", "dataset": "mixed"},
               "ppo"])
    dt, pbc, ppo = [x for x in s["learners"] if x["pairs_with"] is None]  # less DT's yardsticks
    assert dt["config"]["steps"] == TrainConfig().steps and "greedy" not in dt["config"]
    assert dt["knob_values"] is None and (dt["targets"], dt["target_points"]) == ("grid", 15)
    assert "seed" not in dt["config"] and "seed" not in pbc["config"]
    assert pbc["config"]["hidden"] == BCConfig().hidden and pbc["knob_values"] == [0.5, 0.25, 0.1]
    assert ppo["knob_values"][-1] == 1.0  # the headline is the end of training


@pytest.mark.parametrize(("learner", "needle"), [
    ({"learner": "dt", "dataset": "mixed", "config": {"layers": 2}}, "config.layers"),
    ({"learner": "dt", "dataset": "mixed", "config": {"steps": "many"}}, "learners[0].config"),
    ({"learner": "pbc", "dataset": "mixed", "config": {"act": "argmax"}}, "act"),
    ({"learner": "bc"}, "learners[0].dataset"),
])
def test_bad_learner_settings_fail_before_running(learner, needle):
    with pytest.raises(StudyConfigError) as err:
        study([learner])
    assert needle in str(err.value)


@pytest.mark.expensive
def test_tiny_study_with_every_trained_learner(tmp_path):
    s = study([{"learner": "dt", "dataset": "mixed", "config": {"steps": 20, "warmup_steps": 2},
                "knob_values": [20.0, 40.0], "yardsticks": False},  # target returns
               {"learner": "pbc", "dataset": "mixed", "config": {"steps": 20},
                "knob_values": [0.5]},
               {"learner": "bc", "dataset": "mixed", "config": {"steps": 20}},
               {"learner": "ppo", "knob_values": [0.5, 1.0]}])
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rows = dict(con.execute("SELECT decode || ':' || learner || '@' || "
                            "coalesce(CAST(knob AS VARCHAR), '-'), count(*) FROM episodes "
                            "GROUP BY 1").fetchall())
    assert rows == {f"{d}:{k}": 8 for d in ("sample", "greedy")  # each decode's episodes
                    for k in ("dt@20.0", "dt@40.0", "pbc@0.5", "bc@-", "ppo@0.5", "ppo@1.0")}
    # BC after 20 steps is nearly uniform: sampling it and taking its argmax part ways.
    bc = {d: con.execute("SELECT list(\"return\" ORDER BY episode) FROM episodes WHERE "
                         "learner = 'bc' AND decode = ?", [d]).fetchone()[0]
          for d in ("sample", "greedy")}
    assert bc["sample"] != bc["greedy"]
    targets = con.execute("SELECT DISTINCT json_extract_string(detail, '$.target') FROM episodes "
                          "WHERE learner = 'dt'").fetchall()
    assert sorted(float(t) for t, in targets) == [20.0, 40.0]  # the knobs are the returns
    metrics = {r[0] for r in con.execute(
        "SELECT learner || ':' || metric || '@' || coalesce(CAST(knob AS VARCHAR), '-') "
        "FROM metrics").fetchall()}
    # Data-relative metrics for learners with a dataset, the sweep's calibration for DT.
    assert {"dt:ood_state_rate@40.0", "dt:ood_pair_rate@20.0", "dt:calibration_spearman@-",
            "bc:behavioural_kl@-", "ppo:power@1.0"} <= metrics
    assert not any(m.startswith("ppo:ood_") for m in metrics)  # PPO was given no dataset
    con.close()
    assert list(tmp_path.glob("jobs/*/checkpoint/config.json"))


def test_rl_trains_for_the_studys_budget_and_checkpoints_at_its_knobs(tmp_path):
    """A study's `budgets.env_steps` is what RL trains for (issue #18 saw identical returns at
    5k and 10k steps: a converged policy, not an ignored budget), and each knob is a checkpoint
    at that fraction of it."""
    import json

    for budget in (2048, 4096):
        out = tmp_path / str(budget)
        s = study([{"learner": "ppo", "knob_values": [0.5, 1.0]}],
                  budgets={"env_steps": budget}, evaluation={"episodes": 2, "replays": 0})
        summary = run_study(s, out, backend="inline", show_progress=False)
        assert summary.failed == 0, summary.failures
        (ckpt,) = out.glob("jobs/*/checkpoint")
        final = json.loads((ckpt / "config.json").read_text())
        assert final["total_steps"] == budget and budget <= final["steps"] < budget + 1024
        halves = sorted(int(p.name.removeprefix("step_"))
                        for p in (ckpt / "checkpoints").glob("step_*"))
        assert halves[0] == budget // 2  # the 0.5 knob's checkpoint


def test_cql_is_a_study_learner_trained_on_the_data_and_evaluated_like_bc(tmp_path):
    """CQL is named in a study through its spec alone (learners/cql.py): settings checked up
    front, trained on the job's dataset, evaluated with the data-relative metrics of BC."""
    with pytest.raises(StudyConfigError, match="alpha"):
        study([{"learner": "cql", "dataset": "mixed", "config": {"alpha": -1.0}}])
    s = study([{"learner": "cql", "dataset": "mixed",
                "config": {"steps": 20, "hidden": 16, "batch_size": 32}}])
    assert s["learners"][0]["config"]["gamma"] == 0.99 and "seed" not in s["learners"][0]["config"]
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    assert con.execute("SELECT family, decode, count(*) FROM episodes GROUP BY ALL "
                       "ORDER BY decode").fetchall() == [("offline", "greedy", 8),
                                                         ("offline", "sample", 8)]
    metrics = {r[0] for r in con.execute("SELECT metric FROM metrics").fetchall()}
    assert {"ood_state_rate", "behavioural_kl"} <= metrics
    con.close()
    (ckpt,) = tmp_path.glob("jobs/*/checkpoint")
    from simulacra.learners import load_policy

    assert type(load_policy(ckpt)).__name__ == "CQLPolicy"


def test_rl_stops_at_its_target_and_records_whether_and_when(tmp_path):
    """With hp `stop_at`, training ends once the policy reaches that share of the exact optimum's
    capability; knobs past the stop evaluate the stopped model, and the job stores whether and
    when the target was reached (the report's flag) and the steps behind each knob's model."""
    s = study([{"learner": "ppo", "knob_values": [0.05, 0.1, 0.5, 1.0],
                "config": {"hp": {"stop_at": 0.95}}}],
              worlds=[{"name": "AbsentSupervisor", "params": {"supervisor": False}}],
              budgets={"env_steps": 20_000}, evaluation={"episodes": 2, "replays": 0})
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rows = {(m, k): v for m, k, v in con.execute(
        "SELECT metric, knob, value FROM metrics WHERE metric LIKE 'rl_%'").fetchall()}
    con.close()
    stop = rows[("rl_steps_to_target", None)]
    assert rows[("rl_reached_target", None)] == 1.0 and 1000 < stop < 20_000
    # Checks come every 1,000 steps, so the stop is at 2,000 or later: 0.05 and 0.1 of the budget
    # are checkpoints of their own, and every knob past the stop is the stopped model.
    assert rows[("rl_env_steps", 0.05)] == 1000 and rows[("rl_env_steps", 0.1)] == 2000
    assert rows[("rl_env_steps", 0.5)] == rows[("rl_env_steps", 1.0)] == stop
