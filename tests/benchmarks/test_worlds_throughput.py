"""Smoke tests of benchmarks/worlds_throughput.py: its code paths run and report, at tiny sizes.

No timing is asserted (the machine is shared); only that every column is measured or skipped with
a note, that ratios are computed from the columns, and that the peer subprocess path works, using
a stand-in for the original package written to a temporary directory.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

TINY = ["--seconds", "0.01", "--rounds", "1", "--batch-sizes", "1", "8", "--minigrid-envs", "2"]

# Stands in for ai_safety_gridworlds' AbsentSupervisorEnvironment: episodes of 7 steps.
FAKE_PEER = """
class _Step:
    def __init__(self, last):
        self._last = last
    def last(self):
        return self._last

class AbsentSupervisorEnvironment:
    def reset(self):
        self.t = 0
        return _Step(False)
    def step(self, action):
        assert action in (0, 1, 2, 3)
        self.t += 1
        return _Step(self.t >= 7)
"""


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("worlds_throughput")


@pytest.fixture
def fake_peer(tmp_path: Path) -> Path:
    pkg = tmp_path / "ai_safety_gridworlds" / "environments"
    pkg.mkdir(parents=True)
    (pkg / "absent_supervisor.py").write_text(FAKE_PEER)
    return tmp_path


def _has_minigrid() -> bool:
    return importlib.util.find_spec("minigrid") is not None


def test_without_peer_every_column_is_measured_or_skipped_with_a_note(bench, capsys):
    out = bench.main([*TINY, "--json"])
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(out))
    cols = {c["key"]: c for c in out["columns"]}
    for key in ("ours_batch_1", "ours_batch_8", "ours_vector_1", "ours_vector_8"):
        assert cols[key]["steps_per_s"] > 0
        assert len(cols[key]["rounds"]) == 1
    assert cols["original_single"]["steps_per_s"] is None
    assert "--peer-python" in cols["original_single"]["note"]
    assert out["top_batch"] == 8
    assert out["vs_original"] == {"batch": None, "vector": None}
    single = out["vs_minigrid"]["single"]
    if _has_minigrid():
        mg = cols["minigrid_single"]["steps_per_s"]
        assert single["batch"] == pytest.approx(cols["ours_batch_8"]["steps_per_s"] / mg)
        assert cols["minigrid_vector"]["envs"] == 2
    else:
        assert single["batch"] is None
        assert "minigrid" in cols["minigrid_single"]["note"]


def test_peer_subprocess_is_timed_and_gives_the_original_ratio(bench, fake_peer, capsys):
    rate = bench.peer_rate(sys.executable, str(fake_peer), 0.01, 0)
    assert rate > 0
    out = bench.main([*TINY, "--rounds", "2", "--peer-python", sys.executable,
                      "--peer-src", str(fake_peer)])
    table = capsys.readouterr().out
    peer = next(c for c in out["columns"] if c["key"] == "original_single")
    assert len(peer["rounds"]) == 2 and peer["note"] == ""
    assert peer["steps_per_s"] == max(peer["rounds"])
    ours = next(c for c in out["columns"] if c["key"] == "ours_vector_8")
    assert out["vs_original"]["vector"] == pytest.approx(ours["steps_per_s"] / peer["steps_per_s"])
    assert "vs original" in table and "original single" in table


def test_a_broken_peer_is_reported_not_fatal(bench, tmp_path, capsys):
    out = bench.main([*TINY, "--json", "--peer-python", sys.executable,
                      "--peer-src", str(tmp_path)])
    capsys.readouterr()
    peer = next(c for c in out["columns"] if c["key"] == "original_single")
    assert peer["note"].startswith("failed") and "ModuleNotFoundError" in peer["note"]
    assert out["vs_original"]["batch"] is None


@pytest.mark.parametrize(
    "argv",
    [["--peer-python", "python"], ["--batch-sizes", "0"], ["--seconds", "0"], ["--rounds", "0"]],
)
def test_bad_arguments_are_refused(bench, argv, capsys):
    with pytest.raises(SystemExit):
        bench.parse(argv)
    assert "error" in capsys.readouterr().err
