"""A finished job's folder keeps its rows and says what it should hold (job_files)."""

from __future__ import annotations

import datetime as dt
import gzip

import numpy as np
import pytest

from simulacra.study import job_files
from simulacra.study.job_files import JobFileError, lost, read_result, write_result
from simulacra.study.jobs import JobResult, Replay, episodes_from_arrays

WHEN = dt.datetime(2026, 12, 1, 9, 30)
CONFIG = {"key": "abc123", "seed": 0}


def _result(folder) -> JobResult:
    ckpt = folder / "checkpoint"
    ckpt.mkdir(parents=True)
    (ckpt / "weights.safetensors").write_bytes(b"w")
    rows = episodes_from_arrays(np.array([1.0, float("nan")]), np.zeros(2), np.full(2, 3),
                                np.ones((2, 1), int), ("cut",), knob=0.5)
    return JobResult(episodes=rows, metrics=[{"metric": "m", "value": np.float32(0.25),
                                              "knob": None}],
                     replays=[Replay(0, 0.5, [["#A#"]], [1], [-1.0])],
                     artifacts={"checkpoint": str(ckpt), "elsewhere": "/no/such/file"})


def test_a_result_reads_back_as_written(tmp_path):
    res = _result(tmp_path)
    write_result(tmp_path, CONFIG, res, 3.5, WHEN)
    config, back, seconds, finished = read_result(tmp_path)
    assert (config, seconds, finished) == (CONFIG, 3.5, WHEN)
    assert back.episodes[0] == res.episodes[0] and np.isnan(back.episodes[1]["return"])
    assert back.metrics == [{"metric": "m", "value": 0.25, "knob": None}]
    assert back.replays == res.replays
    # only artifacts inside the folder that were there (a Ray node's stay unchecked)
    assert back.artifacts == {"checkpoint": str(tmp_path / "checkpoint")}
    assert lost(tmp_path) is None


def test_what_makes_a_finished_job_lost(tmp_path):
    assert lost(tmp_path / "gone") == "its folder is gone"
    old = tmp_path / "old"
    old.mkdir()
    (old / "job.log").write_text("")
    assert lost(old) is None  # a folder from before result files: taken as it is
    job = tmp_path / "job"
    write_result(job, CONFIG, _result(job), 1.0, WHEN)
    (job / "checkpoint" / "weights.safetensors").unlink()
    (job / "checkpoint").rmdir()
    assert lost(job) == "its checkpoint (checkpoint) is gone"
    (job / "rows.json.gz").unlink()
    assert lost(job) == "its rows.json.gz is gone"
    (job / "result.json").write_text("{not json")
    assert lost(job) == "its result.json is unreadable"


def test_damaged_or_hostile_rows_are_an_error_not_a_crash(tmp_path, monkeypatch):
    write_result(tmp_path, CONFIG, _result(tmp_path), 1.0, WHEN)
    rows = tmp_path / "rows.json.gz"
    rows.write_bytes(rows.read_bytes()[:20])
    with pytest.raises(JobFileError, match=r"rows\.json\.gz: unreadable"):
        read_result(tmp_path)
    # A gzip bomb: unpacked only up to the limit.
    monkeypatch.setattr(job_files, "MAX_ROWS_BYTES", 1000)
    rows.write_bytes(gzip.compress(b"[" + b"0," * 10_000 + b"0]"))
    with pytest.raises(JobFileError, match="more than"):
        read_result(tmp_path)
    rows.write_bytes(gzip.compress(b'{"episodes": 1, "metrics": [], "replays": [{"x": 1}]}'))
    with pytest.raises(JobFileError):
        read_result(tmp_path)
