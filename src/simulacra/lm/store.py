"""The LM study's DuckDB store (its own tables, in DIR/results.duckdb like every study's):
lm_study (the study file as run), lm_units (finished (method, seed) units: a rerun skips them)
and lm_points (one row per method, seed, variant and knob)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from simulacra.lm.measure import FIELDS

STORE = "results.duckdb"
_POINT_COLS = ("method", "seed", "variant", "knob", "queries", *FIELDS)


class StoreError(ValueError):
    """The folder's store cannot be opened (not a DuckDB file, locked by another run)."""


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(folder / STORE))
    except duckdb.Error as err:  # messages span lines; the first says what is wrong
        raise StoreError(f"{folder / STORE}: {str(err).splitlines()[0]}") from None
    con.execute("CREATE TABLE IF NOT EXISTS lm_study (name VARCHAR, config VARCHAR)")
    con.execute("CREATE TABLE IF NOT EXISTS lm_units (method VARCHAR, seed INTEGER, "
                "seconds DOUBLE, PRIMARY KEY (method, seed))")
    cols = ", ".join(f"{c} DOUBLE" for c in ("knob", "queries", *FIELDS))
    con.execute(f"CREATE TABLE IF NOT EXISTS lm_points (method VARCHAR, seed INTEGER, "
                f"variant VARCHAR, {cols})")
    return con


def study_config(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT config FROM lm_study").fetchone()
    return None if row is None else str(row[0])


def set_study(con: duckdb.DuckDBPyConnection, name: str, config: str) -> None:
    con.execute("DELETE FROM lm_study")
    con.execute("INSERT INTO lm_study VALUES (?, ?)", [name, config])


def finished(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int]]:
    return {(m, int(s)) for m, s in con.execute("SELECT method, seed FROM lm_units").fetchall()}


def save_unit(con: duckdb.DuckDBPyConnection, method: str, seed: int, seconds: float,
              points: list[dict[str, Any]]) -> None:
    """A unit's points and its 'finished' row in one transaction: a killed run leaves none."""
    con.execute("BEGIN")
    con.execute("DELETE FROM lm_points WHERE method = ? AND seed = ?", [method, seed])
    marks = ", ".join("?" for _ in _POINT_COLS)
    con.executemany(f"INSERT INTO lm_points ({', '.join(_POINT_COLS)}) VALUES ({marks})",
                    [[method, seed, *(p[c] for c in _POINT_COLS[2:])] for p in points])
    con.execute("INSERT OR REPLACE INTO lm_units VALUES (?, ?, ?)", [method, seed, seconds])
    con.execute("COMMIT")


def points(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM lm_points ORDER BY method, variant, knob, seed").df()
