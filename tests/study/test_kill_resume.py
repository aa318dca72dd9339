"""kill -9 in the middle of a study, then rerun: nothing lost, nothing duplicated."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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
    # 20 episodes per knob value; 3 values per job of either learner; under each decode.
    per_job = con.execute("SELECT job, count(*), count(DISTINCT episode) FROM episodes "
                          "GROUP BY job, decode").fetchall()
    assert len(per_job) == 2 * n_jobs
    dt_jobs = {r[0] for r in con.execute(
        "SELECT key FROM jobs WHERE learner = 'synthetic_dt'").fetchall()}
    for job, rows, distinct in per_job:
        assert rows == distinct == (60 if job in dt_jobs else 20)
    con.close()


def children(pid: int) -> set[int]:
    out = set()
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(stat))
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_of_a_killed_coordinator_stop(tmp_path):
    # Only the coordinator is killed (as `kill -9 PID` does): its busy workers must not go on
    # computing jobs nobody will record.
    doc = {"name": "orphans", "seeds": 2, "worlds": ["AbsentSupervisor"],
           "learners": [{"learner": "sleeps", "config": {"sleep": 60}}]}
    script = SCRIPT.format(doc=doc)
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("jobs/*/job.log"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = {p for p in children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()}
        assert len(workers) == 2
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in workers)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
