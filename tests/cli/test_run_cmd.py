"""`simulacra run` and `simulacra report` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from simulacra.cli.run_cmd import DEFAULT_STUDY, find_study


def test_run_writes_store_and_report_then_resumes(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    first = cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress")
    assert first.exit_code == 0, first.output
    assert (out / "report.html").is_file() and (out / "results.duckdb").is_file()
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 2 * 2 * 5 * 2  # decodes
    con.close()
    again = cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress",
                "--no-report")
    assert again.exit_code == 0 and "0 jobs run, 4 already done" in again.output
    (out / "report.html").unlink()
    rebuilt = cli("report", str(out))
    assert rebuilt.exit_code == 0 and (out / "report.html").is_file()


def test_bad_input_exits_2_with_a_message(tmp_path, tiny_study, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny_study.replace("random", "randum"))
    res = cli("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "unknown learner 'randum'" in res.output
    assert cli("run", str(tmp_path / "none.yaml")).exit_code == 2
    assert cli("run", str(bad), "--backend", "slurm").exit_code == 2
    assert cli("run", str(bad), "--address", "x:1").exit_code == 2
    res = cli("report", str(tmp_path))
    assert res.exit_code == 2 and "no results store" in res.output


def test_other_studys_folder_is_refused(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    other = tmp_path / "t.yaml"
    other.write_text(tiny_study.replace("name: cli", "name: other"))
    out = str(tmp_path / "out")
    assert cli("run", str(study), "--out", out, "--backend", "inline", "--no-report",
               "--no-progress").exit_code == 0
    res = cli("run", str(other), "--out", out, "--backend", "inline")
    assert res.exit_code == 2 and "holds the results of study 'cli'" in res.output


def test_failed_jobs_exit_1_and_still_report(tmp_path, tiny_study, cli):
    from simulacra.study.testing import register_synthetic

    register_synthetic()
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study.replace("[reward_optimal, random]", "[random, raises]"))
    res = cli("run", str(study), "--out", str(tmp_path / "o"), "--backend", "inline",
              "--no-progress")
    assert res.exit_code == 1 and "fails on purpose" in res.output
    assert (tmp_path / "o" / "report.html").is_file()


def test_default_study_is_the_quick_one():
    path = find_study(DEFAULT_STUDY)
    assert path.is_file() and path.resolve() == (
        Path(__file__).resolve().parents[2] / "configs" / "quick.yaml")


def test_ctrl_c_stops_at_once_and_resumes(tmp_path, tiny_study):
    import signal
    import subprocess
    import sys
    import time

    study = tmp_path / "s.yaml"
    study.write_text(tiny_study.replace("[reward_optimal, random]",
                                   "[random, {learner: sleeps, config: {sleep: 60}}]"))
    out = tmp_path / "out"
    code = ("import sys; from simulacra.study.testing import register_synthetic; "
            "register_synthetic(); from simulacra.cli import app; "
            "app(sys.argv[1:], prog_name='simulacra')")
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", str(study), "--out", str(out), "--workers", "2",
         "--no-progress", "--no-report"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
            "sleeps" in p.read_text() for p in out.glob("jobs/*/job.log")):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)  # far less than the 60 s the job would sleep
    finally:
        proc.kill()
    assert proc.returncode == 130 and "run the same command to resume" in err
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    status = dict(con.execute("SELECT learner, max(status) FROM jobs GROUP BY 1").fetchall())
    con.close()
    assert status["sleeps"] in ("running", "pending")  # not done: redone on the next run


def test_report_prints_its_verdicts_as_text_or_json(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    assert cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-report",
               "--no-progress").exit_code == 0
    res = cli("report", str(out), "--json")
    assert res.exit_code == 0, res.output
    found = json.loads(res.output)
    # references only: no DT and RL pair to compare, no probes declared
    assert found["jobs"] == {"done": 4} and found["overall"] == "not measured"
    assert found["worlds"] == {} and found["probes"] == []
    text = cli("report", str(out), "--summary")
    assert text.exit_code == 0 and "study cli (4 done)" in text.output
    assert "overall: not measured" in text.output
    assert not (out / "report.html").exists()  # printing does not write the HTML


def test_a_huge_study_file_is_refused_before_it_is_read(tmp_path, tiny_study, cli):
    from simulacra.study.schema import MAX_STUDY_BYTES

    study = tmp_path / "s.yaml"
    # Valid YAML, a valid study but for its size (the 50 MB file became a 98 MB report).
    study.write_text(tiny_study + "description: '" + "x" * MAX_STUDY_BYTES + "'\n")
    res = cli("run", str(study), "--out", str(tmp_path / "o"), "--backend", "inline")
    assert res.exit_code == 2 and "more than a study file may be (1 MB)" in res.output
    assert len(res.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    res = cli("plan", str(study))
    assert res.exit_code == 2 and "more than a study file may be" in res.output


def test_a_finished_job_whose_folder_was_lost_runs_again(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    args = ("--out", str(out), "--backend", "inline", "--no-progress", "--no-report")
    assert cli("run", str(study), *args).exit_code == 0
    import shutil

    shutil.rmtree(sorted((out / "jobs").iterdir())[0])  # the checkpoint with it
    shown = cli("plan", str(study), "--out", str(out), "--json")
    plan = json.loads(shown.output)
    assert (plan["done"], plan["lost"]) == (3, 1)
    res = cli("run", str(study), *args)
    assert res.exit_code == 0, res.output
    assert "finished before, but its folder is gone: running it again" in res.output
    assert "1 jobs run (1 finished before, run again: their folders were lost), 3 already done" \
        in res.output
    assert json.loads(cli("plan", str(study), "--out", str(out), "--json").output)["done"] == 4


def test_redo_runs_finished_jobs_again(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    args = ("--out", str(out), "--backend", "inline", "--no-progress", "--no-report")
    assert cli("run", str(study), *args).exit_code == 0
    res = cli("run", str(study), *args, "--redo", "learner=random")
    assert res.exit_code == 0, res.output
    assert "2 jobs run (2 finished before, run again by --redo), 2 already done" in res.output
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    attempts = dict(con.execute("SELECT learner, max(attempts) FROM jobs GROUP BY 1").fetchall())
    episodes = con.execute("SELECT count(*) FROM episodes").fetchone()[0]
    con.close()
    assert attempts == {"random": 2, "reward_optimal": 1} and episodes == 2 * 20  # 2 decodes
    # With --only, --redo chooses among the jobs --only chose.
    res = cli("run", str(study), *args, "--only", "seed=0", "--redo", "learner=random")
    assert res.exit_code == 0 and "1 jobs run (1 finished before" in res.output
    res = cli("run", str(study), *args, "--redo", "seed=9")
    assert res.exit_code == 2 and "--redo seed=9: the study has no such seed" in res.output
    res = cli("run", str(study), *args, "--redo", "colour=red")
    assert res.exit_code == 2 and "--redo 'colour=red': unknown field" in res.output


def test_out_pointing_at_a_file_is_a_one_line_error(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    for res in (cli("run", str(study), "--out", str(afile), "--backend", "inline"),
                cli("plan", str(study), "--out", str(afile)),
                cli("report", str(afile))):
        assert res.exit_code == 2 and "Traceback" not in res.output, res.output
        assert [ln for ln in res.output.splitlines() if ln.startswith("error:")], res.output
    assert afile.read_text() == "not a folder"
    out = tmp_path / "out"
    assert cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress",
               "--no-report").exit_code == 0
    for target in (out, tmp_path / "no" / "such" / "r.html"):  # report --out: a folder, or in none
        res = cli("report", str(out), "--out", str(target))
        assert res.exit_code == 2 and res.output.startswith("error: cannot write"), res.output


def test_a_finished_studys_rerun_keeps_its_current_report(tmp_path, tiny_study, cli):
    import os

    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    args = ("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress")
    first = cli(*args)
    assert first.exit_code == 0 and "up to date" not in first.output
    page = out / "report.html"
    built = page.stat().st_mtime_ns
    again = cli(*args)
    assert again.exit_code == 0 and "up to date: no job ran" in again.output
    assert page.stat().st_mtime_ns == built  # not rebuilt
    # A job result newer than the report (e.g. restored by repair) makes the next run rebuild it.
    result = next(out.glob("jobs/*/result.json"))
    later = page.stat().st_mtime + 5
    os.utime(result, (later, later))
    third = cli(*args)
    assert third.exit_code == 0 and "up to date" not in third.output
    assert page.stat().st_mtime_ns != built
