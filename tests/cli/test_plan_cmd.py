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


def test_bad_only_is_a_one_line_error(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    res = cli("run", str(study), "--out", str(tmp_path / "o"), "--only", "world=Mars")
    assert res.exit_code == 2
    assert res.output.count("\n") == 2 and "no such world" in res.output  # 'study ...' + error
    assert not (tmp_path / "o").exists()
