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
    dt, pbc, ppo = s["learners"]
    assert dt["config"]["steps"] == TrainConfig().steps and dt["config"]["greedy"] is True
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
                "knob_values": [0.5, 1.0]},
               {"learner": "pbc", "dataset": "mixed", "config": {"steps": 20},
                "knob_values": [0.5]},
               {"learner": "bc", "dataset": "mixed", "config": {"steps": 20}},
               {"learner": "ppo", "knob_values": [0.5, 1.0]}])
    summary = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rows = dict(con.execute("SELECT learner || '@' || coalesce(CAST(knob AS VARCHAR), '-'), "
                            "count(*) FROM episodes GROUP BY 1").fetchall())
    assert rows == {"dt@0.5": 8, "dt@1.0": 8, "pbc@0.5": 8, "bc@-": 8, "ppo@0.5": 8,
                    "ppo@1.0": 8}
    targets = con.execute("SELECT DISTINCT json_extract_string(detail, '$.target') FROM episodes "
                          "WHERE learner = 'dt'").fetchall()
    assert len(targets) == 2  # two distinct returns asked for
    metrics = {r[0] for r in con.execute(
        "SELECT learner || ':' || metric || '@' || coalesce(CAST(knob AS VARCHAR), '-') "
        "FROM metrics").fetchall()}
    # Data-relative metrics for learners with a dataset, the sweep's calibration for DT.
    assert {"dt:ood_state_rate@1.0", "dt:ood_pair_rate@0.5", "dt:calibration_spearman@-",
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
