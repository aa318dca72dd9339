"""`simulacra run [STUDY.yaml]`: run a study (default configs/quick.yaml) and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from simulacra.cli.app import app, fail

if TYPE_CHECKING:
    from simulacra.study.schema import Study

DEFAULT_STUDY = "configs/quick.yaml"


def find_study(path: str) -> Path:
    """The study file: as given, else (for the default) beside the package's source tree."""
    p = Path(path)
    if p.is_file() or p.is_absolute():
        return p
    repo = Path(__file__).resolve().parents[3] / path
    return repo if repo.is_file() else p


def load_or_fail(path: str) -> Study:
    """The study at `path` (found by `find_study`), or a one-line error naming what is wrong."""
    from simulacra.study.schema import StudyConfigError, load_study

    try:
        return load_study(find_study(path))
    except StudyConfigError as err:
        raise fail(str(err)) from None


def study_folder(out: Path | None, study: Study) -> Path:
    """The study's output folder: `--out`, else runs/<study name>."""
    return out or Path("runs") / study.name


@app.command("run")
def run(
    study: str = typer.Argument(DEFAULT_STUDY, help="The study file (YAML)."),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: runs/<study name>)."
    ),
    backend: str = typer.Option(
        "local", "--backend", help="local (process pool), ray, or inline (one job at a time here)."
    ),
    address: str | None = typer.Option(None, "--address", help="Ray cluster address."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="Parallel jobs (default: one per core)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html after."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars."),
    only: list[str] = typer.Option(
        [], "--only", metavar="FIELD=VALUE",
        help="Run only the matching jobs (world=LABEL, learner=LABEL, seed=N; repeat: values "
             "of one field are alternatives, fields combine). The rest of the study stays "
             "pending; `simulacra plan` shows it.",
    ),
    redo: list[str] = typer.Option(
        [], "--redo", metavar="FIELD=VALUE",
        help="Run the matching jobs again even if finished (same filters as --only, among the "
             "jobs --only chose); their new results replace the old.",
    ),
) -> None:
    """Run every unfinished job of a study into OUT/results.duckdb, then write OUT/report.html.

    Finished jobs are skipped, so rerunning resumes an interrupted study; a finished job whose
    folder, result files or artifacts were deleted since is run again, and so is every job
    --redo selects.

    Exit status: 0 all done, 1 some jobs failed (see the report), 2 bad input,
    130 interrupted.
    """
    from simulacra.study.runner import run_study
    from simulacra.study.schema import StudyConfigError
    from simulacra.study.select import SelectionError, parse_only
    from simulacra.study.store import StoreError

    if backend not in ("local", "ray", "inline"):
        raise fail(f"--backend {backend!r}: expected 'local', 'ray' or 'inline'")
    if address and backend != "ray":
        raise fail("--address needs --backend ray")
    st = load_or_fail(study)
    folder = study_folder(out, st)
    typer.echo(f"study {st.name} ({st.path}) -> {folder}", err=True)
    try:
        summary = run_study(st, folder, backend=backend, workers=workers, address=address,
                            show_progress=progress, only=parse_only(only),
                            redo=parse_only(redo, "--redo"))
    except (StoreError, SelectionError, StudyConfigError) as err:
        raise fail(str(err)) from None
    except KeyboardInterrupt:
        typer.secho("interrupted: finished jobs are saved; run the same command to resume",
                    err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(130) from None
    again = (f" ({summary.redone} finished before, run again by --redo)" if summary.redone
             else "") + (f" ({len(summary.lost)} finished before, run again: their folders were "
                         f"lost)" if summary.lost else "")
    typer.echo(f"{summary.done} jobs run{again}, {summary.skipped} already done, "
               f"{summary.failed} failed in {summary.seconds:.1f} s; results: "
               f"{folder / 'results.duckdb'}", err=True)
    for job, error in summary.failures:
        typer.secho(f"  failed: {job}: {error}", err=True, fg=typer.colors.RED)
    if report and _report_is_current(folder, summary):
        typer.echo(f"report: {folder / 'report.html'} (up to date: no job ran; "
                   f"`simulacra report {folder}` rebuilds it)")
    elif report:
        from simulacra.report.html import build_report

        typer.echo(f"report: {build_report(folder)}")
    if summary.failed:
        raise typer.Exit(1)


def _report_is_current(folder: Path, summary) -> bool:
    """True when this run changed nothing the report shows: no job ran or failed, and the report
    is newer than every job's result file (a finished study's rerun then returns in seconds)."""
    page = folder / "report.html"
    if summary.done or summary.failed or not page.is_file():
        return False
    built = page.stat().st_mtime
    return all(r.stat().st_mtime <= built for r in folder.glob("jobs/*/result.json"))
