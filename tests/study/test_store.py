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
from simulacra.study.store import Store, StoreError, connect


def one_job():
    s = validate({"name": "s", "seeds": 1, "worlds": ["AbsentSupervisor"],
                  "learners": ["random"]})
    return expand(s)[0].config()  # the store keeps the job config mapping


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
    # Rows without a decode (nothing decoded) stand for both of the job's decodes: 2 copies.
    assert con.execute("SELECT count(*) FROM episodes").fetchone()[0] == 2 * 4
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 2 * 1
    assert con.execute("SELECT count(*) FROM replays").fetchone()[0] == 2 * 1
    assert con.execute("SELECT sum(event_cut_corner), sum(event_pressed) FROM episodes"
                       ).fetchone() == (8, 8)
    assert con.execute("SELECT status, seconds, n_episodes FROM jobs").fetchone() == (
        "done", 2.0, 8)
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


def _written_store(path):
    store = Store(path)
    job = one_job()
    store.sync_jobs([job])
    store.commit_result(job, result(), 1.0)
    store.close()
    return job


def _use_everything(path) -> None:
    """What a run and a report do with a store: write through every index, read every row."""
    store = Store(path)
    job = one_job()
    store.set_study({"name": "s"})
    store.put_world({"world": "AbsentSupervisor", "name": "AbsentSupervisor"})
    store.sync_jobs([job])
    store.commit_result(job, result(), 2.0)
    store.close()
    con = duckdb.connect(str(path), read_only=True)
    for table in ("study", "worlds", "jobs", "episodes", "metrics", "replays"):
        con.execute(f"SELECT * FROM {table}").fetchall()
    con.close()


def test_a_truncated_store_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "r.duckdb"
    _written_store(path)
    size = path.stat().st_size
    for fraction in (0.9, 0.5, 0.25, 0.01):
        copy = tmp_path / f"cut{fraction}.duckdb"
        copy.write_bytes(path.read_bytes()[:int(size * fraction)])
        left = copy.read_bytes()
        with pytest.raises(StoreError, match=r"is damaged .*simulacra repair"):
            Store(copy)
        with pytest.raises(StoreError, match="is damaged"):
            connect(copy, read_only=True)
        assert copy.read_bytes() == left and not copy.with_name(copy.name + ".wal").exists()


def test_damage_in_any_block_in_use_is_caught_on_open(tmp_path):
    """One flipped byte in each 256 KiB block of the file in turn: either opening the store
    refuses it, or the block is unused and a whole run's and report's use of the store succeeds
    (DuckDB checks a block only when it reads it: without `verify` the damage surfaced midway,
    e.g. in the primary-key index on the first write)."""
    path = tmp_path / "r.duckdb"
    _written_store(path)
    data = path.read_bytes()
    caught = 0
    for at in range(100, len(data), 256 * 1024):
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        copy = tmp_path / "flip.duckdb"
        copy.write_bytes(bytes(damaged))
        try:
            Store(copy).close()
        except StoreError as err:
            assert "is damaged" in str(err)
            assert copy.read_bytes() == bytes(damaged)
            caught += 1
            continue
        _use_everything(copy)  # an unused block: nothing reads it
        copy.unlink()
    assert caught >= 5  # the header, the catalog, the tables' data and their indexes


def test_a_metric_keeps_the_target_it_was_asked_for(tmp_path):
    store = Store(tmp_path / "r.duckdb")
    job = one_job()
    store.sync_jobs([job])
    res = result()
    res.metrics += [{"metric": "sweep_harm", "value": v, "knob": 1.0, "target": g}
                    for g, v in ((0.0, 0.5), (2.0, 0.25))]
    store.commit_result(job, res, 1.0)
    rows = store.con.execute("SELECT metric, target, value FROM metrics WHERE decode = 'sample' "
                             "ORDER BY metric, target").fetchall()
    assert rows == [("m", None, 1.5), ("sweep_harm", 0.0, 0.5), ("sweep_harm", 2.0, 0.25)]
    store.close()


def test_a_store_from_before_metric_targets_gets_the_column_in_place(tmp_path):
    path = tmp_path / "r.duckdb"
    store = Store(path)
    job = one_job()
    store.sync_jobs([job])
    store.commit_result(job, result(), 1.0)
    store.con.execute("ALTER TABLE metrics DROP COLUMN target")  # as an older version wrote it
    store.close()
    store = Store(path)  # what a run or a repair does first
    assert store.con.execute("SELECT count(*), count(target) FROM metrics").fetchone() == (2, 0)
    store.close()
