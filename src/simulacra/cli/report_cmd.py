"""`simulacra report DIR`: rebuild a study's HTML report from its results store, or print its
computed verdicts and probe results (`--summary` as text, `--json` as one object), from the rows
of one decode (`--decode`; by default the study's `verdict.decode`, what its verdicts read)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulacra.cli.app import app, fail


@app.command("report")
def report(
    folder: Path = typer.Argument(..., help="A study's output folder (holds results.duckdb)."),
    out: Path | None = typer.Option(
        None, "--out", help="Where to write (default: DIR/report.html; under a --decode other "
        "than the study's verdict decode, DIR/report-<decode>.html, so report.html stays the "
        "verdict's)."
    ),
    summary: bool = typer.Option(
        False, "--summary", help="Print the verdicts and probe results instead of writing HTML."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print them as one JSON object instead of writing HTML."
    ),
    markdown: bool = typer.Option(
        False, "--markdown", help="Print them as Markdown tables (the README's) instead."
    ),
    decode: str | None = typer.Option(
        None, "--decode", help="Read the episodes of this decode, greedy or sample (default: "
        "the study's verdict.decode); it must be one the study evaluated (evaluation.decode).",
        show_default=False,
    ),
) -> None:
    """Rebuild DIR/report.html from DIR/results.duckdb (also while the study runs: what is done)."""
    from simulacra.evaluate.decode import DECODES
    from simulacra.report.html import write_report
    from simulacra.report.load import load
    from simulacra.report.summary import render, render_markdown, summarise
    from simulacra.study.store import StoreError

    if decode is not None and decode not in DECODES:
        raise fail(f"--decode {decode!r}: use {' or '.join(DECODES)}")
    if not folder.is_dir():
        raise fail(f"{folder}: " + ("not a folder" if folder.exists() else "no such folder"))
    try:
        res = load(folder, decode=decode)
        if summary or as_json or markdown:
            found = summarise(res)
            typer.echo(json.dumps(found, indent=1) if as_json
                       else render_markdown(found) if markdown else render(found))
            return
        verdicts = (res.study.get("verdict") or {}).get("decode") or DECODES[0]
        default = "report.html" if res.decode == verdicts else f"report-{res.decode}.html"
        out = out or folder / default
        path = write_report(res, out)
    except StoreError as err:
        raise fail(str(err)) from None
    except OSError as err:  # --out a folder, or in a folder that does not exist
        raise fail(f"cannot write {out or folder / 'report.html'}: {err.strerror or err}"
                   ) from None
    typer.echo(f"report: {path}")
