"""`simulacra plan [STUDY.yaml]`: jobs per learner, how many are done, and the time the rest
will take, extrapolated from the job times the study folder measured."""

from __future__ import annotations

from pathlib import Path

import typer

from simulacra.cli.app import app, fail
from simulacra.cli.run_cmd import DEFAULT_STUDY, load_or_fail, study_folder


@app.command("plan")
def plan(
    study: str = typer.Argument(DEFAULT_STUDY, help="The study file (YAML)."),
    out: Path | None = typer.Option(
        None, "--out", help="The study's folder (default: runs/<study name>)."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="Parallel jobs to plan for (default: one per core)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    only: list[str] = typer.Option(
        [], "--only", metavar="FIELD=VALUE",
        help="Plan only the jobs `simulacra run --only` would choose (same filters); the "
             "estimate still learns from every finished job of the study.",
    ),
) -> None:
    """Show the study's jobs per learner, what is done, and an estimate of the time left.

    The estimate charges each unfinished job the measured mean time of finished jobs of the same
    learner (on the same world where there are some); learners with no finished job are counted
    as unmeasured, not guessed. Time a sample first with `simulacra run STUDY --only ...`.
    """
    from simulacra.study.backends import default_workers
    from simulacra.study.plan import dumps, make_plan, render
    from simulacra.study.schema import StudyConfigError
    from simulacra.study.select import SelectionError, parse_only
    from simulacra.study.store import StoreError

    st = load_or_fail(study)
    try:  # resolving return targets makes datasets: a recipe a world cannot make fails here
        result = make_plan(st, study_folder(out, st), workers or default_workers(),
                           parse_only(only))
    except (StoreError, StudyConfigError, SelectionError) as err:
        raise fail(str(err)) from None
    typer.echo(dumps(result) if as_json else render(result))
