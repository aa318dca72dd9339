"""A study's progress: a moving time-left estimate, and plain lines when not on a terminal."""

from __future__ import annotations

import io

from simulacra.study import progress as progress_mod
from simulacra.study.progress import Progress


def test_plain_lines_without_carriage_returns_when_not_a_terminal():
    out = io.StringIO()
    p = Progress(total=4, skipped=1, show=True, stream=out, tty=False)
    p.running(0.5, "a/b/seed0 50%")  # no output between jobs in a log
    p.job_ended("w/DT/seed0", "done", 12.0)
    p.write("job w/PPO/seed0 failed: boom")
    p.job_ended("w/PPO/seed0", "failed", 3.0)
    p.close()
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("study: done w/DT/seed0 in 12 s; 2/4 jobs, about ")
    assert lines[1] == "job w/PPO/seed0 failed: boom"
    assert lines[2].startswith("study: failed w/PPO/seed0 in 3 s; 3/4 jobs")


def test_time_left_moves_with_the_running_jobs_progress(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    p = Progress(total=10, skipped=0, show=False)
    now[0] = 110.0
    assert p.left() is None  # nothing done yet: no estimate rather than a guess
    p.running(0.5, "")  # half a job in 10 s: 19 s of work per 1 s... 9.5 jobs at 0.05 job/s
    assert p.left() == 190.0
    now[0] = 120.0
    p.running(1.0, "")  # the same job further along: the estimate moves though none ended
    assert p.left() == 180.0
    p.job_ended("x", "done", 20.0)
    assert p.left() == 180.0  # one job in 20 s, 9 left


def test_time_left_weighs_jobs_by_what_they_are_expected_to_take(monkeypatch):
    """Nine 1 s jobs and one 91 s job: after the quick nine in 9 s, 91 s are left, not 1 s."""
    now = [0.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    p = Progress(total=10, skipped=0, show=False, work=100.0)
    for _ in range(9):
        now[0] += 1.0
        p.job_ended("quick", "done", 1.0, weight=1.0)
    assert p.left() == 91.0
    now[0] += 45.5
    p.running(45.5, "slow 50%")  # half of the slow job's weight done
    assert p.left() == 45.5


def test_silent_when_progress_is_off():
    out = io.StringIO()
    p = Progress(total=2, skipped=0, show=False, stream=out, tty=False)
    p.job_ended("x", "done", 1.0)
    p.close()
    assert out.getvalue() == ""
