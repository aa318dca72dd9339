"""`simulacra plan` and `simulacra run --only` from the command line."""

from __future__ import annotations

import json


def test_run_only_then_plan_shows_the_rest(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    part = cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress",
               "--no-report", "--only", "seed=0")
    assert part.exit_code == 0, part.output
    assert "2 jobs run, 0 already done" in part.output
    shown = cli("plan", str(study), "--out", str(out), "--workers", "1", "--json")
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.output)
    assert (plan["jobs"], plan["done"], plan["unmeasured"]) == (4, 2, 0)
    assert plan["remaining_job_seconds"] > 0
    table = cli("plan", str(study), "--out", str(out))
    assert "2/4 jobs done" in table.output
    part = cli("plan", str(study), "--out", str(out), "--only", "seed=1", "--json")
    assert part.exit_code == 0, part.output
    assert (json.loads(part.output)["jobs"], json.loads(part.output)["done"]) == (2, 0)
    bad = cli("plan", str(study), "--out", str(out), "--only", "seed=7")
    assert bad.exit_code == 2 and bad.output.startswith("error: --only seed=7")


def test_bad_only_is_a_one_line_error(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    res = cli("run", str(study), "--out", str(tmp_path / "o"), "--only", "world=Mars")
    assert res.exit_code == 2
    assert res.output.count("\n") == 2 and "no such world" in res.output  # 'study ...' + error
    assert not (tmp_path / "o").exists()


def test_a_dataset_a_world_cannot_make_is_a_one_line_error_in_plan_and_run(tmp_path, cli):
    """Return targets are resolved from the first seed's data before the run: a composition no
    pool of that world can supply (Survival's safe top episodes return 0 and nothing returns
    less) stops `plan` and `run` with one line naming the learner, world and dataset."""
    study = tmp_path / "s.yaml"
    study.write_text(
        "name: t\nseeds: 1\nworlds: [Survival]\n"
        "datasets: {none: {episodes: 40, components: random, shortcut_share: 0.0}}\n"
        "learners:\n  - {learner: dt, dataset: none, config: {steps: 2}}\n")
    for args in (("plan", str(study)), ("run", str(study), "--out", str(tmp_path / "o"),
                                        "--backend", "inline", "--no-progress")):
        res = cli(*args)
        assert res.exit_code != 0, res.output
        last = res.output.strip().splitlines()[-1]
        assert last.startswith("error:") and "'dt' on Survival" in last
        assert "shortcut_share 0" in last and "Traceback" not in res.output
