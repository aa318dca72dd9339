"""A damaged results store: every command refuses it in one line, and `simulacra repair` rebuilds
it from the job folders, keeping the damaged file."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

ROWS = ("SELECT job, decode, episode, \"return\", performance, length FROM episodes "
        "ORDER BY job, decode, episode")


def _run(cli, study: Path, out: Path, *more: str):
    return cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress",
               "--no-report", *more)


def _episodes(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(ROWS).fetchall()
    finally:
        con.close()


def _damage(path: Path, fraction: float) -> bytes:
    """Truncate the store as an interrupted copy would; returns what is left of it."""
    os.truncate(path, int(path.stat().st_size * fraction))
    return path.read_bytes()


def _one_line_error(res, *words: str) -> None:
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert "Traceback" not in res.output
    for w in words:
        assert w in lines[0], res.output


def test_a_damaged_store_is_refused_then_repaired(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    store = out / "results.duckdb"
    assert _run(cli, study, out).exit_code == 0
    before = _episodes(store)
    assert len(before) == 2 * 20  # each episode under both decodes
    for _ in ("half", "a quarter"):  # the two cases: 'run' passed, then a traceback
        left = _damage(store, 0.5)
        _one_line_error(_run(cli, study, out), "is damaged", "simulacra repair")
        assert store.read_bytes() == left  # nothing written to it
        _one_line_error(cli("report", str(out)), "is damaged")
        _one_line_error(cli("report", str(out), "--summary"), "is damaged")
        _one_line_error(cli("plan", str(study), "--out", str(out)), "is damaged")
        assert not (out / "report.html").exists()

    res = cli("repair", str(out))
    assert res.exit_code == 0, res.output
    assert "restored 4 jobs" in res.output and "0 jobs of the study have nothing" in res.output
    kept = list(out.glob("results.duckdb.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == left  # kept as it was, never deleted
    assert _episodes(store) == before
    again = _run(cli, study, out)
    assert again.exit_code == 0 and "0 jobs run, 4 already done" in again.output
    assert cli("report", str(out), "--summary").exit_code == 0


def test_repair_leaves_jobs_without_result_files_pending(tmp_path, tiny_study, cli):
    """Folders written before jobs kept their rows (only job.log and progress.json) cannot be
    restored: their jobs are pending in the rebuilt store and the next run runs them."""
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    assert _run(cli, study, out).exit_code == 0
    old = sorted((out / "jobs").iterdir())[0]
    (old / "result.json").unlink()
    (old / "rows.json.gz").unlink()
    _damage(out / "results.duckdb", 0.5)
    res = cli("repair", str(out))
    assert res.exit_code == 0, res.output
    assert "restored 3 jobs" in res.output and "1 jobs of the study have nothing" in res.output
    assert f"simulacra run {study} --out {out}" in res.output
    again = _run(cli, study, out)
    assert again.exit_code == 0 and "1 jobs run, 3 already done" in again.output


def test_a_damaged_job_folder_is_named_and_skipped(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    assert _run(cli, study, out).exit_code == 0
    bad = sorted((out / "jobs").iterdir())[1]
    (bad / "rows.json.gz").write_bytes(b"\x1f\x8b not gzip")
    (out / "results.duckdb").unlink()  # a missing store is rebuilt too
    assert f"simulacra repair {out}" in cli("report", str(out)).output
    res = cli("repair", str(out))
    assert res.exit_code == 0, res.output
    assert "restored 3 jobs" in res.output and f"{bad.name}/rows.json.gz" in res.output


def test_repair_leaves_an_intact_store_alone_unless_forced(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    assert _run(cli, study, out).exit_code == 0
    res = cli("repair", str(out))
    assert res.exit_code == 0 and "nothing to repair" in res.output
    assert not list(out.glob("results.duckdb.*"))
    forced = cli("repair", str(out), "--force")
    assert forced.exit_code == 0 and "restored 4 jobs" in forced.output
    assert len(list(out.glob("results.duckdb.old-*"))) == 1


def test_repair_of_what_is_not_a_study_folder_is_a_one_line_error(tmp_path, cli):
    _one_line_error(cli("repair", str(tmp_path)), "not a study folder")
    _one_line_error(cli("repair", str(tmp_path / "none")), "no such folder")
