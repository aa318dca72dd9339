"""The results store: one DuckDB file per study folder, queryable with plain SQL.

Tables (one row each per ...):
    study     setting of the study (name, resolved config, file, versions)
    worlds    world of the study, with its exact reference figures where compiled
    jobs      job: key, status (pending | running | done | failed), world, learner, seed, knob,
              config (JSON), attempts, started/finished (UTC), seconds, error, workdir
    episodes  evaluated episode: job, episode, world, learner, family, seed, knob_name, knob,
              decode, return, performance, length, detail (JSON), and one column event_<name>
              per event
    metrics   number a job computed beyond episodes: job, ..., decode, metric, value, target
              (the return the policy was asked for, where a metric has one per target: a
              loop's `sweep_*` rows of one checkpoint; NULL otherwise)
    replays   representative episode kept for the report: decode, frames, actions, rewards (JSON)

`decode` is how the policy chose its actions, 'sample' or 'greedy' (`simulacra.evaluate.decode`):
a job evaluates its policy under each decode of its `evaluation.decode`, so each decode has a
whole set of rows (episode ids repeat across decodes); rows of something with nothing to decode
(random, quantilizer, data, a training figure) are stored under every decode
(`simulacra.study.jobs.for_decodes`). A store written before decodes existed is migrated in place
when a run or a repair opens it for writing: the column is added and its old rows keep decode
NULL, meaning "evaluated before decodes were declared, as that learner's own config said" (DT and
RL greedy, the rest sampled). Likewise a store from before `metrics.target` gets that column, its
old rows NULL (no metric of theirs was per target, or it was not kept: rerun or repair from the
job folders, whose rows carry it). Nothing computed is dropped: those rows still answer SQL and
`simulacra report` of that folder (`simulacra.report.load` reads NULL rows under any decode); the
study's jobs get new keys with `decode` in their config, so a rerun computes them again beside.

Every open checks the whole file first (`verify`): DuckDB notices a damaged block only when it
reads it, which would otherwise be halfway through a run (whose rows then went into a damaged
file) or a report. A damaged store is refused with a one-line error; `simulacra repair` rebuilds
it from the job folders (simulacra.study.job_files), keeping the damaged file.

Only the study's coordinating process writes (one run per folder: `runner.run_lock`), and it
opens the file only while writing, so reports can be read from a running study. A finished job's
rows and its status change to 'done' are committed in one transaction, after deleting any rows of
the same key, so a kill -9 at any moment either keeps a job whole or leaves it to be redone, and
never duplicates it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from simulacra.evaluate.decode import DECODES
from simulacra.study.jobs import JobResult, for_decodes

SCHEMA = """
CREATE TABLE IF NOT EXISTS study (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS worlds (
    world VARCHAR PRIMARY KEY, name VARCHAR, params JSON, compiled BOOLEAN, n_states INTEGER,
    return_optimal DOUBLE, return_random DOUBLE, performance_optimal DOUBLE,
    performance_of_reward_optimal DOUBLE, performance_random DOUBLE);
CREATE TABLE IF NOT EXISTS jobs (
    key VARCHAR PRIMARY KEY, status VARCHAR, world VARCHAR, learner VARCHAR,
    learner_kind VARCHAR, family VARCHAR, seed INTEGER, knob_name VARCHAR, knob DOUBLE,
    config JSON, in_study BOOLEAN, attempts INTEGER DEFAULT 0, started TIMESTAMP,
    finished TIMESTAMP, seconds DOUBLE, error VARCHAR, n_episodes INTEGER, workdir VARCHAR);
CREATE TABLE IF NOT EXISTS episodes (
    job VARCHAR, episode INTEGER, world VARCHAR, learner VARCHAR, family VARCHAR,
    seed INTEGER, knob_name VARCHAR, knob DOUBLE, decode VARCHAR, "return" DOUBLE,
    performance DOUBLE, length INTEGER, detail JSON);
CREATE TABLE IF NOT EXISTS metrics (
    job VARCHAR, world VARCHAR, learner VARCHAR, family VARCHAR, seed INTEGER,
    knob_name VARCHAR, knob DOUBLE, decode VARCHAR, metric VARCHAR, value DOUBLE,
    target DOUBLE);
CREATE TABLE IF NOT EXISTS replays (
    job VARCHAR, world VARCHAR, learner VARCHAR, family VARCHAR, seed INTEGER, knob DOUBLE,
    decode VARCHAR, episode INTEGER, frames JSON, actions JSON, rewards JSON);
"""

#: Tables whose rows carry `decode`; a store from before decodes gets the column (see above).
DECODED = ("episodes", "metrics", "replays")

EVENT_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class StoreError(RuntimeError):
    """The store cannot be used (locked by another run, corrupt, or of another study)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _locked(err: duckdb.Error) -> bool:
    return "lock" in str(err).lower()


def _damaged(path: Path, err: BaseException) -> StoreError:
    """The error for a store DuckDB cannot read back: what failed, and how to recover."""
    reason = next((ln for ln in str(err).splitlines() if ln.strip()), type(err).__name__)
    return StoreError(
        f"{path} is damaged ({reason[:160]}); nothing was written to it. Rebuild it from the "
        f"job folders with `simulacra repair {path.parent}` (the damaged file is kept)")


def verify(con: duckdb.DuckDBPyConnection, path: Path, indexes: bool = False) -> None:
    """Read every block the store uses, so that a damaged file fails here, before anything is
    written, and not halfway through a run or a report. DuckDB checks a block's checksum only
    when it reads the block, and a query reads only the columns (and zone-map-pruned segments) it
    needs, so every value of every column is hashed. With `indexes` (a writer's connection) the
    primary-key indexes are probed too, by re-inserting every key in a transaction that is rolled
    back: DuckDB loads an index only when a write needs it, and a reader never does."""
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        for table in tables:
            con.execute(f'SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()
        if indexes:
            keyed = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_constraints() "
                "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}
            con.execute("BEGIN")
            try:
                for table in sorted(keyed):
                    con.execute(f'INSERT INTO "{table}" SELECT * FROM "{table}" '
                                "ON CONFLICT DO NOTHING")
            except duckdb.Error:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            con.execute("ROLLBACK")
    except duckdb.Error as err:
        con.close()
        raise _damaged(path, err) from err


def connect(path: str | Path, read_only: bool = False, wait: float = 0.0, check: bool = True
            ) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting up to `wait` seconds for another process's brief hold, and turn
    DuckDB's lock error into a message a person can act on. A reader's connection is checked
    whole first (`verify`; `check=False` skips it, for a writer reopening a checked store)."""
    path = Path(path)
    if read_only and not path.is_file():
        rebuild = (f", or rebuild it from the job folders: `simulacra repair {path.parent}`"
                   if (path.parent / "jobs").is_dir() else "")
        raise StoreError(f"{path}: no results store here (run `simulacra run` first{rebuild})")
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as err:
            if _locked(err) and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            text = str(err)
            if _locked(err):
                pid = re.search(r"PID (\d+)", text)
                who = f" (process {pid.group(1)})" if pid else ""
                raise StoreError(
                    f"{path} is locked by another run{who}; wait for it to finish or stop it, "
                    f"or choose another --out"
                ) from err
            raise _opening(path, err) from err
        except duckdb.Error as err:
            raise _opening(path, err) from err
    if read_only and check:
        verify(con, path)
    return con


def _opening(path: Path, err: duckdb.Error) -> StoreError:
    """A file DuckDB will not open: damaged (its header or catalog) unless the OS said no."""
    if isinstance(err, duckdb.IOException) and "permission" in str(err).lower():
        return StoreError(f"{path}: cannot open the results store: {err}")
    return _damaged(path, err)


def require_study(con: duckdb.DuckDBPyConnection, path: Path, folder: Path) -> None:
    """StoreError unless the store holds a gridworld study's tables (an LM study's store, or
    another DuckDB file, would otherwise end in a catalog traceback)."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    if {"study", "jobs"} <= tables:
        return
    if "lm_study" in tables:
        raise StoreError(f"{path} holds a language-model study: `simulacra lm run STUDY --out "
                         f"{folder}` writes its report ({folder / 'report.html'}) and `--json` "
                         f"prints its results")
    raise StoreError(f"{path} holds no gridworld study (tables: "
                     f"{', '.join(sorted(tables)) or 'none'})")


def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of `table`."""
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                       [table]).fetchall()
    return {r[0] for r in rows}


class Store:
    """The writer's handle on a study's DuckDB file."""

    def __init__(self, path: str | Path, wait: float = 30.0) -> None:
        self.path = Path(path)
        self.wait = wait
        self._con: duckdb.DuckDBPyConnection | None = None
        if self.path.is_file():
            verify(self.con, self.path, indexes=True)  # damaged: refuse before any write
        self.con.execute(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Add `decode` to a store from before decodes and `metrics.target` to one from before
        per-target metrics (old rows: NULL; see the module doc)."""
        for table in DECODED:
            if "decode" not in columns(self.con, table):
                self.con.execute(f"ALTER TABLE {table} ADD COLUMN decode VARCHAR")
        if "target" not in columns(self.con, "metrics"):
            self.con.execute("ALTER TABLE metrics ADD COLUMN target DOUBLE")

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened on first use after `release` (waiting out a reader)."""
        if self._con is None:
            self._con = connect(self.path, wait=self.wait, check=False)
        return self._con

    def release(self) -> None:
        """Close the file between writes, so `simulacra report` can read while a study runs."""
        if self._con is not None:
            self._con.close()
            self._con = None

    close = release

    # ---- study and worlds -------------------------------------------------------------
    def study_name(self) -> str | None:
        row = self.con.execute("SELECT value FROM study WHERE key = 'name'").fetchone()
        return row[0] if row else None

    def set_study(self, values: dict[str, Any]) -> None:
        self.con.execute("BEGIN")
        for k, v in values.items():
            text = v if isinstance(v, str) else json.dumps(v, default=str)
            self.con.execute("INSERT OR REPLACE INTO study VALUES (?, ?)", [k, text])
        self.con.execute("COMMIT")

    def put_world(self, row: dict[str, Any]) -> None:
        cols = list(row)
        self.con.execute(
            f"INSERT OR REPLACE INTO worlds ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' for _ in cols)})",
            [json.dumps(v) if isinstance(v, dict) else v for v in row.values()],
        )

    # ---- jobs -------------------------------------------------------------------------
    def sync_jobs(self, configs: list[dict[str, Any]]) -> None:
        """Add the study's jobs as pending (keeping finished ones) and mark which belong to it."""
        self.con.execute("BEGIN")
        self.con.execute("UPDATE jobs SET in_study = FALSE")
        for c in configs:
            knob = c.get("knob") or {}
            self.con.execute(
                "INSERT INTO jobs (key, status, world, learner, learner_kind, family, seed, "
                "knob_name, knob, config, in_study, attempts) "
                "VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, TRUE, 0) "
                "ON CONFLICT (key) DO UPDATE SET in_study = TRUE, config = excluded.config",
                [c["key"], c["world"]["label"], c["learner"]["label"], c["learner"]["name"],
                 c["learner"]["family"], c["seed"], knob.get("name"), knob.get("value"),
                 json.dumps(c, sort_keys=True)],
            )
        self.con.execute("COMMIT")

    def finished_times(self) -> list[tuple[str, str, str, float]]:
        """(learner, learner kind, world, seconds) of every finished job of the current study
        that has a time: a job the study no longer has (its config changed since) is not a peer,
        as `simulacra plan`, which reads the study's own keys, does not count it either."""
        return [(learner, kind, world, float(sec)) for learner, kind, world, sec in
                self.con.execute("SELECT learner, learner_kind, world, seconds FROM jobs "
                                 "WHERE status = 'done' AND in_study AND seconds IS NOT NULL"
                                 ).fetchall()]

    def finished_keys(self) -> set[str]:
        rows = self.con.execute("SELECT key FROM jobs WHERE status = 'done'").fetchall()
        return {r[0] for r in rows}

    def mark_running(self, key: str, workdir: str) -> None:
        self.con.execute(
            "UPDATE jobs SET status = 'running', started = ?, attempts = attempts + 1, "
            "workdir = ? WHERE key = ?", [_now(), workdir, key])

    def mark_failed(self, key: str, error: str, seconds: float | None) -> None:
        self.con.execute(
            "UPDATE jobs SET status = 'failed', error = ?, finished = ?, seconds = ? "
            "WHERE key = ?", [error, _now(), seconds, key])

    def commit_result(self, config: dict[str, Any], result: JobResult, seconds: float,
                      finished: dt.datetime | None = None) -> None:
        """Write a finished job's rows and mark it done, all in one transaction (`finished`:
        when the job ended, if not now). Rows without a decode are stored under each decode of
        the job (`for_decodes`)."""
        key = config["key"]
        result = for_decodes(result, config["evaluation"].get("decode") or DECODES)
        knob = config.get("knob") or {}
        base = {"job": key, "world": config["world"]["label"],
                "learner": config["learner"]["label"], "family": config["learner"]["family"],
                "seed": config["seed"], "knob_name": knob.get("name")}
        events = sorted({e for row in result.episodes for e in row.get("events", {})})
        bad = [e for e in events if not EVENT_RE.match(e)]
        if bad:
            raise ValueError(f"event name {bad[0]!r} is not a valid column name")
        ep = pd.DataFrame([
            {**base, "episode": r["episode"], "knob": r.get("knob"), "decode": r["decode"],
             "return": r["return"], "performance": r["performance"], "length": r.get("length"),
             "detail": json.dumps(r.get("detail") or {}),
             **{f"event_{e}": r.get("events", {}).get(e) for e in events}}
            for r in result.episodes
        ], columns=[*base, "episode", "knob", "decode", "return", "performance", "length",
                    "detail", *(f"event_{e}" for e in events)])
        ep["knob"] = ep["knob"].astype("float64")
        met = pd.DataFrame([{**base, "knob": m.get("knob"), "decode": m["decode"],
                             "metric": m["metric"], "value": float(m["value"]),
                             "target": m.get("target")}
                            for m in result.metrics],
                           columns=[*base, "knob", "decode", "metric", "value", "target"])
        met[["knob", "target"]] = met[["knob", "target"]].astype("float64")
        rep = pd.DataFrame([
            {**{k: base[k] for k in ("job", "world", "learner", "family", "seed")},
             "knob": r.knob, "decode": r.decode, "episode": r.episode,
             "frames": json.dumps(r.frames), "actions": json.dumps(r.actions),
             "rewards": json.dumps(r.rewards)}
            for r in result.replays
        ], columns=["job", "world", "learner", "family", "seed", "knob", "decode", "episode",
                    "frames", "actions", "rewards"])
        rep["knob"] = rep["knob"].astype("float64")
        con = self.con
        con.execute("BEGIN")
        try:
            have = columns(con, "episodes")
            for e in events:
                if f"event_{e}" not in have:
                    con.execute(f'ALTER TABLE episodes ADD COLUMN "event_{e}" INTEGER')
            for table in ("episodes", "metrics", "replays"):
                con.execute(f"DELETE FROM {table} WHERE job = ?", [key])
            for table, df in (("episodes", ep), ("metrics", met), ("replays", rep)):
                if len(df):
                    con.register("_rows", df)
                    cols = ", ".join(f'"{c}"' for c in df.columns)
                    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
                    con.unregister("_rows")
            con.execute(
                "UPDATE jobs SET status = 'done', error = NULL, finished = ?, seconds = ?, "
                "n_episodes = ? WHERE key = ?",
                [finished or _now(), seconds, len(result.episodes), key])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
