"""Rebuilding a study folder's store from its job folders (`simulacra repair DIR`).

The damaged store is never deleted: it is renamed `results.duckdb.damaged-<UTC time>` (its
write-ahead log with it) and a new store is written from what the folder holds: the resolved study
(study.yaml, with the study file's path from study.json), the worlds' exact figures (computed
again), the job grid, and every job whose folder holds a result manifest and rows
(simulacra.study.job_files). Jobs without them (never run, failed, finished before those files
existed, or of an earlier version of the study) are pending in the new store, or absent: the next
`simulacra run` runs what the study needs.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from simulacra import safe_yaml
from simulacra.study.backends import job_dir
from simulacra.study.grid import expand
from simulacra.study.job_files import RESULT, JobFileError, read_result
from simulacra.study.runner import MARKER, STORE_NAME, record_study, run_lock
from simulacra.study.schema import Study
from simulacra.study.store import Store, StoreError, connect


@dataclass
class RepairSummary:
    intact: bool  # the store was readable: nothing done (unless forced)
    study_file: str = ""  # the study file the folder was run from
    kept: Path | None = None  # where the old store went
    restored: int = 0  # jobs of the study restored from their folders
    left: int = 0  # jobs of the study with nothing to restore: pending, to run
    unreadable: list[str] = field(default_factory=list)  # why some folders could not be used


def _study(out: Path) -> Study:
    """The study the folder holds, from its marker and resolved copy (not the study file, which
    may have moved or changed since)."""
    try:
        marker = json.loads((out / MARKER).read_text())
        raw = safe_yaml.load((out / "study.yaml").read_text())
    except FileNotFoundError as err:
        raise StoreError(f"{out} is not a study folder ({Path(err.filename).name} is missing)"
                         ) from None
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise StoreError(f"{out}: cannot read the study it holds: {err}") from None
    if not isinstance(marker, dict) or not isinstance(raw, dict) or "name" not in raw:
        raise StoreError(f"{out}: {MARKER} or study.yaml is not a study's")
    for module in raw.get("imports") or []:  # they register the study's own worlds, learners
        try:
            importlib.import_module(str(module))
        except Exception as err:
            raise StoreError(f"{out}: the study imports {module}, which cannot be imported: "
                             f"{type(err).__name__}: {err}") from None
    return Study(path=str(marker.get("study_file", "")), raw=raw)


def is_intact(path: Path) -> bool:
    """Whether the store reads back whole (see `store.verify`)."""
    try:
        connect(path, read_only=True).close()
    except StoreError as err:
        if "is locked" in str(err):
            raise
        return False
    return True


def repair(out: str | Path, force: bool = False) -> RepairSummary:
    """Rebuild `out`'s store from its job folders when it is damaged or missing (or `force`)."""
    out = Path(out)
    if not out.is_dir():
        raise StoreError(f"{out}: no such folder")
    study = _study(out)
    jobs = expand(study)
    with run_lock(out):
        path = out / STORE_NAME
        kept = None
        if path.exists():
            intact = is_intact(path)
            if intact and not force:
                return RepairSummary(intact=True)
            when = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = path.with_name(f"{path.name}.{'old' if intact else 'damaged'}-{when}")
            wal = path.with_name(path.name + ".wal")
            if wal.exists():
                wal.rename(kept.with_name(kept.name + ".wal"))
            path.rename(kept)
        summary = RepairSummary(intact=False, study_file=study.path, kept=kept)
        store = Store(path)
        try:
            record_study(store, study, jobs)
            for job in jobs:
                summary.restored += _restore(store, out, job.config(), summary.unreadable)
        finally:
            store.close()
        summary.left = len(jobs) - summary.restored
        return summary


def _restore(store: Store, out: Path, config: dict, unreadable: list[str]) -> bool:
    """Commit one job's saved rows to the store, under the study's own config of the job (not the
    one in the folder: a folder is only trusted for rows); False when it has none to give."""
    folder = job_dir(out, config["key"])
    try:
        saved = read_result(folder)
        if saved is None:
            return False
        if saved[0].get("key") != config["key"]:
            raise JobFileError(f"{folder / RESULT}: holds job {saved[0].get('key')!r}")
        _, result, seconds, finished = saved
        store.commit_result(config, result, seconds, finished)
    except (JobFileError, ValueError, KeyError, TypeError, duckdb.Error) as err:
        unreadable.append(str(err).splitlines()[0][:200] if str(err) else type(err).__name__)
        return False
    return True
