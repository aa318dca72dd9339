"""`simulacra report DIR`: rebuild a study's HTML report from its results store."""

from __future__ import annotations

from pathlib import Path

import typer

from simulacra.cli.app import app, fail


@app.command("report")
def report(
    folder: Path = typer.Argument(..., help="A study's output folder (holds results.duckdb)."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write (default: DIR/report.html)."
    ),
) -> None:
    """Rebuild DIR/report.html from DIR/results.duckdb (also while the study runs: what is done)."""
    from simulacra.report.html import build_report
    from simulacra.study.store import StoreError

    if not folder.is_dir():
        raise fail(f"{folder}: no such folder")
    try:
        path = build_report(folder, out)
    except StoreError as err:
        raise fail(str(err)) from None
    typer.echo(f"report: {path}")
