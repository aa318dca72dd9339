"""The store: a job's rows and its 'done' land together, once; a locked store says so."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import numpy as np
import pytest

from simulacra.study.grid import expand
from simulacra.study.jobs import JobResult, Replay, episodes_from_arrays
from simulacra.study.schema import validate
from simulacra.study.store import Store, StoreError


def one_job():
    s = validate({"name": "s", "seeds": 1, "worlds": ["AbsentSupervisor"],
                  "learners": ["random"]})
    return expand(s)[0]


def result(n=4):
    rows = episodes_from_arrays(np.arange(n, dtype=float), np.zeros(n), np.full(n, 3),
                                np.ones((n, 2), int), ("cut_corner", "pressed"))
    return JobResult(episodes=rows, metrics=[{"metric": "m", "value": 1.5, "knob": None}],
                     replays=[Replay(0, None, [["#A#"], ["##A"]], [3], [-1.0])])


def test_commit_twice_keeps_one_copy(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    job = one_job()
    store.sync_jobs([job])
    store.commit_result(job, result(), 1.0)
    store.commit_result(job, result(), 2.0)  # a rerun of a job whose first commit survived
    con = store.con
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM replays").fetchone()[0] == 1
    assert con.execute("SELECT sum(event_cut_corner), sum(event_pressed) FROM episodes"
                       ).fetchone() == (4, 4)
    assert con.execute("SELECT status, seconds, n_episodes FROM jobs").fetchone() == (
        "done", 2.0, 4)
    store.close()


def test_a_failed_commit_leaves_nothing(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    job = one_job()
    store.sync_jobs([job])
    bad = result()
    bad.episodes[2]["events"] = {"Bad Name": 1}
    with pytest.raises(ValueError, match="not a valid column name"):
        store.commit_result(job, bad, 1.0)
    assert store.con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 0
    assert store.con.execute("SELECT status FROM jobs").fetchone()[0] == "pending"
    store.close()


def test_store_locked_by_another_process(tmp_path):
    path = tmp_path / "r.duckdb"
    Store(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="locked by another run"):
            Store(path, wait=0.5)
    finally:
        holder.kill()
        holder.wait()


def test_store_is_plain_sql(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    job = one_job()
    store.sync_jobs([job])
    store.commit_result(job, result(), 1.0)
    store.close()
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    row = con.execute('SELECT world, learner, seed, avg("return") FROM episodes GROUP BY ALL'
                      ).fetchone()
    assert row == ("AbsentSupervisor", "random", 0, 1.5)
