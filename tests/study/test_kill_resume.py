"""kill -9 in the middle of a study, then rerun: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb

from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic

DOC = {"name": "k", "seeds": 3, "worlds": ["AbsentSupervisor"],
       "learners": [{"learner": "synthetic_dt", "config": {"sleep": 0.4}},
                    {"learner": "synthetic_pbc", "config": {"sleep": 0.4}}],
       "evaluation": {"episodes": 20, "replays": 0}}
SCRIPT = textwrap.dedent("""
    import sys
    from simulacra.study.runner import run_study
    from simulacra.study.schema import validate
    from simulacra.study.testing import register_synthetic
    register_synthetic()
    run_study(validate({doc!r}), sys.argv[1], backend="local", workers=2, show_progress=False)
""")


def finished_logs(out) -> int:
    return sum("done in" in p.read_text() for p in out.glob("jobs/*/job.log"))


def test_kill_9_then_resume(tmp_path):
    register_synthetic()
    study = validate(DOC)
    n_jobs = 3 * (1 + 3)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(doc=DOC), str(tmp_path)],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while finished_logs(tmp_path) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the study ended before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its workers, mid-study
        proc.wait()
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    done_before = con.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0]
    con.close()
    assert done_before < n_jobs

    summary = run_study(study, tmp_path, backend="local", workers=2, show_progress=False)
    assert summary.skipped == done_before
    assert summary.done + summary.skipped == n_jobs and summary.failed == 0

    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT key) FROM jobs").fetchone() == (
        n_jobs, n_jobs)
    assert con.execute("SELECT count(*) FROM jobs WHERE status = 'done'").fetchone()[0] == n_jobs
    # 20 episodes per knob value; 3 values per job of either learner.
    per_job = con.execute("SELECT job, count(*), count(DISTINCT episode) FROM episodes "
                          "GROUP BY job").fetchall()
    assert len(per_job) == n_jobs
    dt_jobs = {r[0] for r in con.execute(
        "SELECT key FROM jobs WHERE learner = 'synthetic_dt'").fetchall()}
    for job, rows, distinct in per_job:
        assert rows == distinct == (60 if job in dt_jobs else 20)
    con.close()
