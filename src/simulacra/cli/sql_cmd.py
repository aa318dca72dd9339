"""`simulacra sql DIR "QUERY"`: plain SQL on a study's results store, read-only.

The README's queries need a DuckDB of the same version as the one that wrote the store (the
`duckdb-cli` package lags the Python package by a storage version, and cannot open our files), so
the command runs them through the Python `duckdb` the store was written with.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import typer

from simulacra.cli.app import app, fail

STORE = "results.duckdb"


@app.command("sql")
def sql(
    folder: Path = typer.Argument(..., help="A study's output folder (holds results.duckdb)."),
    query: str = typer.Argument(..., help='SQL, e.g. "SELECT learner, avg(return) FROM episodes '
                                          'WHERE decode = \'sample\' GROUP BY ALL". Tables: '
                                          'episodes, jobs, metrics, replays, worlds, study. '
                                          'Episodes, metrics and replays hold one row per '
                                          'decode the study evaluated (column decode: sample, '
                                          'greedy; NULL from before decodes): pick one before '
                                          'you aggregate.'),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
    limit: int = typer.Option(200, "--limit", help="Print at most this many rows (0: all)."),
) -> None:
    """Run a read-only SQL query on DIR/results.duckdb and print the rows."""
    import duckdb

    from simulacra.study.store import StoreError, connect

    if fmt not in ("table", "csv", "json"):
        raise fail(f"--format {fmt!r}: use table, csv or json")
    path = folder / STORE if folder.is_dir() else folder
    try:
        con = connect(path, read_only=True)
    except StoreError as err:
        raise fail(str(err)) from None
    try:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall() if limit <= 0 else cursor.fetchmany(limit + 1)
    except duckdb.Error as err:
        # DuckDB's messages span lines (a caret under the query); the first says what is wrong.
        raise fail(f"query failed: {str(err).splitlines()[0]}") from None
    finally:
        con.close()
    more = limit > 0 and len(rows) > limit
    rows = rows[:limit] if more else rows
    if fmt == "json":
        from simulacra.strict_json import strict_json

        typer.echo(json.dumps([strict_json(dict(zip(names, r, strict=True))) for r in rows],
                              default=str))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
    else:
        _print_table(names, rows)
    if more:
        typer.echo(f"(first {limit} rows; --limit 0 prints all)", err=True)


def _print_table(names: list[str], rows: list[tuple]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*names)
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    Console().print(table)


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
