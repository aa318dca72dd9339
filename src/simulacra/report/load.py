"""Reading a study folder's store for the report (read-only; a running study may hold the lock)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from simulacra.evaluate.decode import DECODES
from simulacra.study.store import StoreError, columns, connect, require_study


@dataclass
class Results:
    """What the report draws from: the study's config and its rows, as DataFrames."""

    study: dict[str, Any]  # the resolved study document
    versions: dict[str, str]
    worlds: pd.DataFrame  # one row per world label
    jobs: pd.DataFrame  # the study's jobs (in_study)
    episodes: pd.DataFrame  # episodes of finished jobs, plus a `harm` column (return - perf.)
    metrics: pd.DataFrame  # with `target`: the return asked for (a loop's sweep_*), else NaN
    replays: pd.DataFrame
    folder: Path | None = None  # the study folder (its shared/ datasets), None for made-up results
    decode: str = "sample"  # the decode whose rows these are (see `load`)

    @property
    def event_columns(self) -> list[str]:
        return [c for c in self.episodes.columns if c.startswith("event_")]


def load(folder: str | Path, decode: str | None = None) -> Results:
    """The results of the study in `folder` (its `results.duckdb`): the rows of one decode,
    `decode` or by default the study's `verdict.decode` (what its verdicts read), so that every
    reader sees one evaluation per episode. Rows from before decodes existed (decode NULL, see
    `simulacra.study.store`) are read under any decode: they are all those jobs have."""
    path = Path(folder) / "results.duckdb"
    con = connect(path, read_only=True, wait=30.0)  # the runner holds it only to write
    try:
        require_study(con, path, Path(folder))
        kv = dict(con.execute("SELECT key, value FROM study").fetchall())
        if "config" not in kv:
            raise StoreError(f"{path}: the store holds no study (was the run interrupted early?)")
        study = json.loads(kv["config"])
        decode = decode or (study.get("verdict") or {}).get("decode") or "sample"
        evaluated = evaluated_decodes(study)
        if decode not in evaluated:
            raise StoreError(f"{path}: the study evaluated under {', '.join(evaluated)}, not "
                             f"{decode!r}")
        jobs = con.execute("SELECT * FROM jobs WHERE in_study").df()
        episodes = _episodes(con, decode)
        metrics = _rows(con, "metrics", decode)
        if "target" not in metrics:  # a store no run has opened since metrics had targets
            metrics["target"] = float("nan")
        replays = _rows(con, "replays", decode)
        worlds = con.execute("SELECT * FROM worlds").df()
    finally:
        con.close()
    labels = [w["label"] for w in study["worlds"]]
    worlds = worlds[worlds["world"].isin(labels)].set_index("world").reindex(labels)
    return Results(study=study, versions=json.loads(kv.get("versions", "{}")), worlds=worlds,
                   jobs=jobs, episodes=episodes, metrics=metrics, replays=replays,
                   folder=Path(folder), decode=decode)


def episodes_under(res: Results, decode: str, learners: list[str]) -> pd.DataFrame:
    """The episode rows of `learners` under another `decode` of the same study (`load`'s
    columns), for a figure that draws both decodes (the frontier's greedy DT line); empty where
    the study did not evaluate that decode or `res` has no store behind it."""
    path = res.folder / "results.duckdb" if res.folder else None
    if (decode not in evaluated_decodes(res.study) or not learners or path is None
            or not path.exists()):
        return res.episodes.iloc[0:0]
    con = connect(path, read_only=True, wait=30.0)
    try:
        return _episodes(con, decode, learners)
    finally:
        con.close()


def evaluated_decodes(study: dict[str, Any]) -> list[str]:
    """The decodes the study evaluated (`evaluation.decode`; every decode when it says none)."""
    return (study.get("evaluation") or {}).get("decode") or list(DECODES)


def _episodes(con: duckdb.DuckDBPyConnection, decode: str, learners: list[str] | None = None
              ) -> pd.DataFrame:
    """The episodes under `decode` (of `learners` only, where given) with `target` (the return a
    return-conditioned learner was asked for, from `detail`), `harm` (return - performance) and
    `unsafe_events` (the events' sum)."""
    episodes = _rows(con, "episodes", decode, "*, TRY_CAST(json_extract_string(detail, "
                     "'$.target') AS DOUBLE) AS target", learners)
    episodes["harm"] = episodes["return"] - episodes["performance"]
    events = [c for c in episodes.columns if c.startswith("event_")]
    episodes["unsafe_events"] = episodes[events].fillna(0).sum(axis=1) if events else 0.0
    return episodes


def _rows(con: duckdb.DuckDBPyConnection, table: str, decode: str, select: str = "*",
          learners: list[str] | None = None) -> pd.DataFrame:
    """`table`'s rows of the study's finished jobs under `decode` (and those from before decodes,
    NULL; a store no run has opened since decodes exist has no column: all its rows are old),
    of `learners` only where given."""
    done = "SELECT key FROM jobs WHERE in_study AND status = 'done'"
    query, params = f"SELECT {select} FROM {table} WHERE job IN ({done})", []
    if learners is not None:
        query += f" AND learner IN ({', '.join('?' * len(learners))})"
        params += list(learners)
    if "decode" in columns(con, table):
        query += " AND (decode = ? OR decode IS NULL)"
        params.append(decode)
    return con.execute(query, params).df()
