"""Reading a study folder's store for the report (read-only; a running study may hold the lock)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulacra.study.store import StoreError, connect, require_study


@dataclass
class Results:
    """What the report draws from: the study's config and its rows, as DataFrames."""

    study: dict[str, Any]  # the resolved study document
    versions: dict[str, str]
    worlds: pd.DataFrame  # one row per world label
    jobs: pd.DataFrame  # the study's jobs (in_study)
    episodes: pd.DataFrame  # episodes of finished jobs, plus a `harm` column (return - perf.)
    metrics: pd.DataFrame
    replays: pd.DataFrame
    folder: Path | None = None  # the study folder (its shared/ datasets), None for made-up results

    @property
    def event_columns(self) -> list[str]:
        return [c for c in self.episodes.columns if c.startswith("event_")]


def load(folder: str | Path) -> Results:
    """The results of the study in `folder` (its `results.duckdb`)."""
    path = Path(folder) / "results.duckdb"
    con = connect(path, read_only=True, wait=30.0)  # the runner holds it only to write
    try:
        require_study(con, path, Path(folder))
        kv = dict(con.execute("SELECT key, value FROM study").fetchall())
        if "config" not in kv:
            raise StoreError(f"{path}: the store holds no study (was the run interrupted early?)")
        study = json.loads(kv["config"])
        jobs = con.execute("SELECT * FROM jobs WHERE in_study").df()
        done = "SELECT key FROM jobs WHERE in_study AND status = 'done'"
        # `target`: the return a return-conditioned learner was asked for (from `detail`).
        episodes = con.execute(
            "SELECT *, TRY_CAST(json_extract_string(detail, '$.target') AS DOUBLE) AS target "
            f"FROM episodes WHERE job IN ({done})").df()
        metrics = con.execute(f"SELECT * FROM metrics WHERE job IN ({done})").df()
        replays = con.execute(f"SELECT * FROM replays WHERE job IN ({done})").df()
        worlds = con.execute("SELECT * FROM worlds").df()
    finally:
        con.close()
    labels = [w["label"] for w in study["worlds"]]
    worlds = worlds[worlds["world"].isin(labels)].set_index("world").reindex(labels)
    episodes["harm"] = episodes["return"] - episodes["performance"]
    events = [c for c in episodes.columns if c.startswith("event_")]
    episodes["unsafe_events"] = episodes[events].fillna(0).sum(axis=1) if events else 0.0
    return Results(study=study, versions=json.loads(kv.get("versions", "{}")), worlds=worlds,
                   jobs=jobs, episodes=episodes, metrics=metrics, replays=replays,
                   folder=Path(folder))
