"""What a finished job leaves in its folder, so that the store can be rebuilt from the folders
(`simulacra repair`) and a resumed run can tell a finished job from one whose folder was lost.

    jobs/<key>/rows.json.gz   the job's rows: episodes, metrics, replays (gzip JSON)
    jobs/<key>/result.json    written last: the job's config, seconds, finish time, and the
                              artifacts (relative to the folder) that were there when it finished

The coordinator writes both (atomically) just before it commits the job to the store, so a job the
store calls done has them, unless the folder was damaged since. Folders from before these files
existed hold only job.log and progress.json: their rows cannot be recovered.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from simulacra.atomic import write_bytes, write_text
from simulacra.study.jobs import JobResult, Replay

RESULT = "result.json"
ROWS = "rows.json.gz"
FORMAT = 1
#: The most a job's rows may take unpacked: about 200 times the largest job of configs/full.yaml,
#: and a limit on what a crafted folder (a gzip bomb) can make `repair` hold in memory.
MAX_ROWS_BYTES = 64 * 2**20


class JobFileError(ValueError):
    """A job folder's result files are unreadable."""


def _plain(value: Any) -> Any:
    """numpy values as Python ones; anything else as its text (the store reads only numbers and
    text from these rows, and a finished job must not fail for a field nobody reads)."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def write_result(folder: Path, config: dict[str, Any], result: JobResult, seconds: float,
                 finished: dt.datetime) -> None:
    """Save a finished job's rows and manifest in its folder (rows first: the manifest marks a
    complete result)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {"episodes": result.episodes, "metrics": result.metrics,
            "replays": [asdict(r) for r in result.replays]}
    write_bytes(folder / ROWS, gzip.compress(
        json.dumps(rows, default=_plain).encode("utf-8"), compresslevel=6, mtime=0))
    here = folder.resolve()
    seen = {}
    for name, path in result.artifacts.items():
        p = Path(path).resolve()
        # Only what this machine can see: with Ray and no shared folder the artifacts stay on
        # the nodes, and a check of them on resume would rerun every job.
        if p.is_relative_to(here) and p.exists():
            seen[name] = str(p.relative_to(here))
    write_text(folder / RESULT, json.dumps({
        "format": FORMAT, "key": config["key"], "config": config, "seconds": seconds,
        "finished": finished.isoformat(), "artifacts": seen}, indent=1, default=_plain))


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The job's result.json, None when the folder has none."""
    path = folder / RESULT
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a result manifest of this version")
        if not isinstance(doc.get("artifacts"), dict) or not isinstance(doc.get("config"), dict):
            raise ValueError("no artifacts or config")
        return doc
    except (OSError, ValueError) as err:
        raise JobFileError(f"{path}: unreadable ({err})") from None


def read_result(folder: Path) -> tuple[dict[str, Any], JobResult, float, dt.datetime] | None:
    """(config, result, seconds, finished) saved by `write_result`, None when the folder has no
    result.json; JobFileError when its files are damaged."""
    doc = read_manifest(folder)
    if doc is None:
        return None
    try:
        with gzip.open(folder / ROWS, "rb") as f:
            data = f.read(MAX_ROWS_BYTES + 1)
        if len(data) > MAX_ROWS_BYTES:
            raise ValueError(f"more than {MAX_ROWS_BYTES // 2**20} MB unpacked")
        rows = json.loads(data)
        result = JobResult(
            episodes=rows["episodes"], metrics=rows["metrics"],
            replays=[Replay(**r) for r in rows["replays"]],
            artifacts={k: str(folder / v) for k, v in doc["artifacts"].items()})
        return doc["config"], result, float(doc["seconds"]), dt.datetime.fromisoformat(
            doc["finished"])
    except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error,
            RecursionError) as err:
        raise JobFileError(f"{folder / ROWS}: unreadable ({type(err).__name__}: {err})") from None


def lost(folder: Path) -> str | None:
    """Why a job the store calls done must run again, or None: its folder is gone, or it has a
    manifest and a file the manifest names is gone. (A folder from before manifests existed is
    taken as it is: nothing says what it should hold.)"""
    if not folder.is_dir():
        return "its folder is gone"
    try:
        doc = read_manifest(folder)
    except JobFileError:
        return f"its {RESULT} is unreadable"
    if doc is None:
        return None
    if not (folder / ROWS).is_file():
        return f"its {ROWS} is gone"
    for name, rel in doc["artifacts"].items():
        if not (folder / rel).exists():
            return f"its {name} ({rel}) is gone"
    return None
