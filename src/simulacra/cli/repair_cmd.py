"""`simulacra repair DIR`: rebuild a study folder's damaged store from its job folders."""

from __future__ import annotations

from pathlib import Path

import typer

from simulacra.cli.app import app, fail


@app.command("repair")
def repair(
    folder: Path = typer.Argument(..., help="A study's output folder (holds results.duckdb)."),
    force: bool = typer.Option(
        False, "--force", help="Rebuild even if the store reads back whole (the old one is kept)."
    ),
) -> None:
    """Rebuild DIR/results.duckdb from the job folders when it is damaged (or missing).

    The old store is renamed results.duckdb.damaged-<UTC time>, never deleted. Every job whose
    folder holds its result files (jobs/<key>/result.json and rows.json.gz) is restored; the rest
    are pending, and the next `simulacra run` of the study runs them again.
    """
    from simulacra.study.repair import repair as rebuild
    from simulacra.study.store import StoreError

    try:
        summary = rebuild(folder, force=force)
    except StoreError as err:
        raise fail(str(err)) from None
    except OSError as err:
        raise fail(f"{folder}: {err.strerror or err}") from None
    if summary.intact:
        typer.echo(f"{folder / 'results.duckdb'} reads back whole: nothing to repair (--force "
                   f"rebuilds it anyway)")
        return
    if summary.kept:
        typer.echo(f"kept the old store as {summary.kept}")
    for why in summary.unreadable[:5]:
        typer.secho(f"  not restored: {why}", err=True, fg=typer.colors.YELLOW)
    if len(summary.unreadable) > 5:
        typer.secho(f"  ... and {len(summary.unreadable) - 5} more", err=True,
                    fg=typer.colors.YELLOW)
    typer.echo(f"restored {summary.restored} jobs from their folders; {summary.left} jobs of the "
               f"study have nothing to restore and are pending"
               + (f": `simulacra run {summary.study_file} --out {folder}` runs them"
                  if summary.left else ""))
