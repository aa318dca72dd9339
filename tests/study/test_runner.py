"""Running studies: resume, failures that do not stop the study, folder and limit checks."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.store import StoreError
from simulacra.study.testing import register_synthetic


@pytest.fixture(autouse=True)
def _synthetic():
    register_synthetic()


def study(learners, **over):
    doc = {"name": "r", "seeds": 2, "worlds": ["AbsentSupervisor"], "learners": learners,
           "evaluation": {"episodes": 5, "replays": 1}}
    return validate({**doc, **over})


def jobs_table(out):
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    try:
        return dict(con.execute("SELECT learner || '/' || seed, status FROM jobs").fetchall())
    finally:
        con.close()


def test_inline_run_then_rerun_skips(tmp_path):
    s = study(["random", "reward_optimal"])
    first = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert (first.done, first.failed, first.skipped) == (4, 0, 0)
    again = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert (again.done, again.skipped) == (0, 4)
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 2 * 4 * 5  # 2 decodes
    assert (tmp_path / "jobs").is_dir() and any((tmp_path / "jobs").glob("*/job.log"))
    con.close()


def test_failures_are_recorded_and_the_study_goes_on(tmp_path):
    s = study(["random", "raises", {"learner": "sleeps", "config": {"sleep": 30}}],
              budgets={"max_job_seconds": 8},  # far below the 30 s sleep, far above the rest
              evaluation={"episodes": 5, "replays": 1, "metrics": False})
    summary = run_study(s, tmp_path, backend="local", workers=2, show_progress=False)
    assert (summary.done, summary.failed) == (2, 4)
    status = jobs_table(tmp_path)
    assert status["random/0"] == status["random/1"] == "done"
    assert status["raises/0"] == status["sleeps/1"] == "failed"
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    errors = dict(con.execute("SELECT learner, any_value(error) FROM jobs GROUP BY 1").fetchall())
    assert "fails on purpose" in errors["raises"]
    assert "max_job_seconds" in errors["sleeps"]
    con.close()
    log = next(p for p in (tmp_path / "jobs").glob("*/job.log") if "on purpose" in p.read_text())
    assert "RuntimeError" in log.read_text()
    # What a job prints lands in its own log, not on the terminal.
    assert any("sleeping 30 s" in p.read_text() for p in (tmp_path / "jobs").glob("*/job.log"))


def test_a_dying_worker_fails_its_job_only(tmp_path):
    s = study(["random", "dies"], seeds=1)
    summary = run_study(s, tmp_path, backend="local", workers=1, show_progress=False)
    assert (summary.done, summary.failed) == (1, 1)
    assert "worker process died" in summary.failures[0][1]


def test_folder_of_another_study_is_refused(tmp_path):
    run_study(study(["random"], seeds=1), tmp_path, backend="inline", show_progress=False)
    with pytest.raises(StoreError, match="holds the results of study 'r'"):
        run_study(study(["random"], name="other"), tmp_path, backend="inline",
                  show_progress=False)
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a study folder"):
        run_study(study(["random"]), stray, backend="inline", show_progress=False)


def test_a_second_run_on_the_same_folder_is_refused(tmp_path):
    import fcntl
    import subprocess
    import sys

    s = study(["random"], seeds=1)
    run_study(s, tmp_path, backend="inline", show_progress=False)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         f"f = open({str(tmp_path / '.run.lock')!r}, 'a+')\n"
         "fcntl.flock(f, fcntl.LOCK_EX); f.seek(0); f.truncate(); f.write(str(os.getpid()))\n"
         "f.flush(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=f"in use by another run \\(process {holder.pid}\\)"):
            run_study(s, tmp_path, backend="inline", show_progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert fcntl  # the lock is advisory: released with its holder
    assert run_study(s, tmp_path, backend="inline", show_progress=False).skipped == 1


def test_report_reads_between_writes(tmp_path):
    """The runner keeps the store closed while it waits, so a reader gets in."""
    from simulacra.study.store import connect

    s = study([{"learner": "sleeps", "config": {"sleep": 3}}], seeds=1)
    import threading

    seen = {}

    def read_midway():
        import time

        time.sleep(1.5)
        con = connect(tmp_path / "results.duckdb", read_only=True, wait=5)
        seen["status"] = con.execute("SELECT status FROM jobs").fetchone()[0]
        con.close()

    t = threading.Thread(target=read_midway)
    t.start()
    run_study(s, tmp_path, backend="local", workers=1, show_progress=False)
    t.join()
    assert seen["status"] == "running"


def test_a_rerun_rewrites_stale_world_figures(tmp_path):
    """A folder made before a world's exact figures changed (SafeInterruptibility's optimum was
    an oracle's 40) gets the current ones on its next run."""
    s = study(["random"], worlds=["SafeInterruptibility"], seeds=1)
    run_study(s, tmp_path, backend="inline", show_progress=False)
    con = duckdb.connect(str(tmp_path / "results.duckdb"))
    con.execute("UPDATE worlds SET return_optimal = 40")
    con.close()
    run_study(s, tmp_path, backend="inline", show_progress=False)
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    assert con.execute("SELECT return_optimal FROM worlds").fetchone()[0] == pytest.approx(38)
    con.close()


def progress_work(monkeypatch) -> dict:
    """A dict that gets the `work` (total job weight) the runner gives its progress bar."""
    from simulacra.study import runner

    seen = {}

    class Spy(runner.Progress):
        def __init__(self, *args, work=None, **kw):
            seen["work"] = work
            super().__init__(*args, work=work, **kw)

    monkeypatch.setattr(runner, "Progress", Spy)
    return seen


def test_the_progress_bar_weighs_jobs_by_their_measured_peers(tmp_path, monkeypatch):
    """A resumed run charges each job its learner's measured time: seed 1 of `random` and
    `reward_optimal` weigh what their seed-0 jobs took, not one job each."""
    s = study(["random", "reward_optimal"])
    run_study(s, tmp_path, backend="inline", show_progress=False, only={"seed": {"0"}})
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    took = dict(con.execute("SELECT learner, seconds FROM jobs WHERE seed = 0").fetchall())
    con.close()
    seen = progress_work(monkeypatch)
    run_study(s, tmp_path, backend="inline", show_progress=False)
    assert seen["work"] == pytest.approx(took["random"] + took["reward_optimal"])


def test_jobs_the_study_no_longer_has_are_not_peers_of_the_progress_bar(tmp_path, monkeypatch):
    """Changing the evaluation changes every key: the old jobs stay in the store (in_study
    false) but their times do not weigh the new ones, which count 1 each with nothing measured."""
    run_study(study(["random", "reward_optimal"]), tmp_path, backend="inline",
              show_progress=False, only={"seed": {"0"}})
    seen = progress_work(monkeypatch)
    changed = study(["random", "reward_optimal"], evaluation={"episodes": 4, "replays": 1})
    run_study(changed, tmp_path, backend="inline", show_progress=False)
    assert seen["work"] == 4.0
