"""`simulacra lm run [STUDY.yaml] [--out DIR] [--json]`: the language-model edition (issue #17)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulacra.cli.app import app, fail

lm_app = typer.Typer(help="The language-model edition: conditioned LM vs RL-tuned LM.",
                     no_args_is_help=True)
app.add_typer(lm_app, name="lm")

DEFAULT_STUDY = Path("configs/lm/quick.yaml")


@lm_app.command("run")
def run(
    study_file: Path = typer.Argument(DEFAULT_STUDY, help="The LM study file."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default runs/<name>)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run (or resume) an LM study: finished (method, seed) units in --out are skipped."""
    from simulacra.lm.config import ConfigError, read

    try:
        study = read(study_file)
    except ConfigError as err:
        raise fail(str(err)) from None
    folder = out if out is not None else Path("runs") / study.name
    if folder.exists() and not folder.is_dir():
        raise fail(f"--out {folder}: not a folder")

    from simulacra.lm.runner import run as run_study
    from simulacra.lm.store import StoreError
    from simulacra.strict_json import strict_json

    def log(line: str) -> None:
        typer.echo(line, err=True)

    try:
        result = run_study(study, folder, log)
    except (ConfigError, StoreError) as err:
        raise fail(str(err)) from None
    from simulacra.lm.report import build

    page = build(strict_json(result), folder / "report.html")
    if as_json:
        typer.echo(json.dumps(strict_json(result)))
        typer.echo(f"report: {page}", err=True)
        return
    for q, v in result["questions"].items():
        typer.echo(f"{q}: {v['verdict']}")
    typer.echo(f"results in {folder / 'results.duckdb'} (simulacra lm run ... --json for all)")
    typer.echo(f"report: {page}")
