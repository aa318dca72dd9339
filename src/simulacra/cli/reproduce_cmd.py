"""`simulacra reproduce ...`: published results rerun here and printed beside the paper's figures.

Each command runs one experiment of `simulacra.reproduce` with the budget given on the command
line, prints its table (or, with `--json`, one JSON object), and exits 0. Defaults are the
module's CPU defaults; the printed table always names the budget that made the figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulacra.cli.app import fail, reproduce_app
from simulacra.strict_json import strict_json


def _emit(obj: dict) -> None:
    typer.echo(json.dumps(strict_json(obj), indent=2))


def _finish(result, table, as_json: bool, save: Path | None) -> None:
    """Print the table or the JSON; with `save`, also write the JSON there (one run, both)."""
    if save is not None:
        save.write_text(json.dumps(strict_json(result.to_json()), indent=2) + "\n")
    if as_json:
        _emit(result.to_json())
    else:
        typer.echo(table(result))


def _budget(default, steps, context, hidden, layers, batch_size, lr, window=None, heads=None,
            schedule=None, dropout=None):
    from dataclasses import replace

    # Imported here: torch loads only when a run needs it.
    from simulacra.learners.dt_train import SCHEDULES, WINDOWS

    changes = {k: v for k, v in dict(steps=steps, context=context, hidden=hidden, n_layer=layers,
                                     batch_size=batch_size, lr=lr, window=window,
                                     n_head=heads, lr_schedule=schedule,
                                     dropout=dropout).items()
               if v is not None}
    if window is not None and window not in WINDOWS:
        raise fail(f"--window must be one of {', '.join(WINDOWS)}, got {window!r}")
    if schedule is not None and schedule not in SCHEDULES:
        raise fail(f"--lr-schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    if heads is not None and changes.get("hidden", default.hidden) % heads:
        raise fail(f"--hidden {changes.get('hidden', default.hidden)} is not divisible by "
                   f"--heads {heads}")
    return replace(default, **changes)


@reproduce_app.command("key-to-door")
def key_to_door(
    episodes: list[int] = typer.Option(
        None, "--episodes", min=1,
        help="Random-walk episodes per dataset; repeat for several sizes [default: 1000 10000]."),
    seeds: int = typer.Option(5, "--seeds", min=1,
                              help="Seeds F..F+S-1 (data, training, eval)."),
    first_seed: int = typer.Option(0, "--first-seed", min=0,
                                   help="F, the first seed (run seed ranges in parallel)."),
    steps: int | None = typer.Option(None, "--steps", min=1, help="DT gradient steps."),
    context: int | None = typer.Option(None, "--context", min=1, help="K, steps per window."),
    hidden: int | None = typer.Option(None, "--hidden", min=1),
    layers: int | None = typer.Option(None, "--layers", min=1),
    heads: int | None = typer.Option(None, "--heads", min=1),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1),
    lr: float | None = typer.Option(None, "--lr", min=0.0),
    window: str | None = typer.Option(
        None, "--window", help="Training windows: 'end' (every step a window's last position "
        "equally often), 'both' (every step in K windows) or 'start' (the original DT's)."),
    lr_schedule: str | None = typer.Option(
        None, "--lr-schedule", help="After warmup: 'constant' or 'cosine' (to lr / 10)."),
    dropout: float | None = typer.Option(None, "--dropout", min=0.0, max=0.9,
                                         help="Dropout rate everywhere in the DT."),
    eval_episodes: int = typer.Option(200, "--eval-episodes", min=1,
                                      help="Evaluation episodes per seed (greedy, then sampled)."),
    heldout_episodes: int = typer.Option(
        2000, "--heldout-episodes", min=0,
        help="Held-out random walks of the key-room NLL diagnostic (0: none)."),
    nll_every: int = typer.Option(1000, "--nll-every", min=1,
                                  help="Training steps between two readings of the diagnostic."),
    cql: bool = typer.Option(False, "--cql", help="Also train and evaluate discrete CQL."),
    cql_steps: int = typer.Option(2000, "--cql-steps", min=1),
    pbc: bool = typer.Option(False, "--pbc",
                             help="Also train and evaluate %BC on the successful walks."),
    pbc_steps: int = typer.Option(3000, "--pbc-steps", min=1),
    no_dt: bool = typer.Option(False, "--no-dt",
                               help="Skip the DT (with --cql or --pbc: the baselines alone)."),
    threads: int = typer.Option(1, "--threads", min=0, help="Torch threads (0: default)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON to this file."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
) -> None:
    """Key-to-Door (Chen et al. 2021): success rate asked for return 1; paper DT 71.8% / 94.6%
    at 1K / 10K random-walk episodes, CQL 13.1% / 13.3%."""
    from simulacra.reproduce import key_to_door as k

    cfg = k.KeyToDoorConfig(
        episodes=tuple(episodes) if episodes else (1000, 10000), seeds=seeds,
        first_seed=first_seed,
        dt=_budget(k.DEFAULT_BUDGET, steps, context, hidden, layers, batch_size, lr, window,
                   heads, lr_schedule, dropout),
        eval_episodes=eval_episodes, cql=cql, cql_steps=cql_steps, pbc=pbc,
        pbc_steps=pbc_steps, run_dt=not no_dt, threads=threads,
        heldout_episodes=heldout_episodes, nll_every=nll_every,
    )
    try:
        result = k.run(cfg, progress=not quiet)
    except ValueError as err:
        raise fail(str(err)) from None
    _finish(result, k.table, as_json, save)


@reproduce_app.command("calibration")
def calibration(
    worlds: list[str] = typer.Option(
        None, "--worlds", help="Compiled worlds; repeat the option "
        "[default: AbsentSupervisor SafeInterruptibility WhiskyGold]."),
    recipe: str | None = typer.Option(None, "--recipe", help="Dataset composition."),
    episodes: int = typer.Option(500, "--episodes", min=1, help="Episodes per dataset."),
    seeds: int = typer.Option(5, "--seeds", min=1),
    steps: int | None = typer.Option(None, "--steps", min=1),
    context: int | None = typer.Option(None, "--context", min=1),
    hidden: int | None = typer.Option(None, "--hidden", min=1),
    layers: int | None = typer.Option(None, "--layers", min=1),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1),
    lr: float | None = typer.Option(None, "--lr", min=0.0),
    window: str | None = typer.Option(None, "--window",
                                      help="Training windows: 'start', 'end' or 'both'."),
    lr_schedule: str | None = typer.Option(None, "--lr-schedule",
                                           help="After warmup: 'constant' or 'cosine'."),
    dropout: float | None = typer.Option(None, "--dropout", min=0.0, max=0.9),
    episodes_per_target: int = typer.Option(50, "--episodes-per-target", min=1),
    threads: int = typer.Option(1, "--threads", min=0),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON to this file."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
) -> None:
    """Achieved vs target return over the data's range and above its maximum (Spearman rho,
    slope) on compiled worlds."""
    from simulacra.data.recipe import RecipeError
    from simulacra.reproduce import calibration as c
    from simulacra.worlds.registry import UnknownWorldError, make_world

    names = tuple(worlds) if worlds else c.WORLDS
    for name in names:
        try:
            if not make_world(name).compilable:
                raise fail(f"{name} is not a compiled world; calibration needs its exact optimum")
        except (UnknownWorldError, ValueError) as err:
            raise fail(str(err)) from None
    cfg = c.CalibrationConfig(
        worlds=names, recipe=recipe or c.RECIPE, episodes=episodes, seeds=seeds,
        dt=_budget(c.DEFAULT_BUDGET, steps, context, hidden, layers, batch_size, lr, window,
                   schedule=lr_schedule, dropout=dropout),
        episodes_per_target=episodes_per_target, threads=threads,
    )
    try:
        result = c.run(cfg, progress=not quiet)
    except (RecipeError, ValueError) as err:
        raise fail(str(err)) from None
    _finish(result, c.table, as_json, save)


@reproduce_app.command("gambling")
def gambling(
    episodes: int = typer.Option(2000, "--episodes", min=1, help="Random-play episodes."),
    seeds: int = typer.Option(5, "--seeds", min=1),
    steps: int | None = typer.Option(None, "--steps", min=1),
    hidden: int | None = typer.Option(None, "--hidden", min=1),
    layers: int | None = typer.Option(None, "--layers", min=1),
    lr: float | None = typer.Option(None, "--lr", min=0.0),
    eval_episodes: int = typer.Option(500, "--eval-episodes", min=1,
                                      help="Evaluation episodes per target and seed."),
    threads: int = typer.Option(1, "--threads", min=0),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON to this file."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
) -> None:
    """Gambling (Paster et al. 2022): P(a0 | g = 5), the known failure of return conditioning
    under stochastic outcomes, shown, not hidden."""
    from simulacra.reproduce import gambling as g

    cfg = g.GamblingConfig(
        episodes=episodes, seeds=seeds,
        dt=_budget(g.DEFAULT_BUDGET, steps, None, hidden, layers, None, lr),
        eval_episodes=eval_episodes, threads=threads,
    )
    try:
        result = g.run(cfg, progress=not quiet)
    except ValueError as err:
        raise fail(str(err)) from None
    _finish(result, g.table, as_json, save)


@reproduce_app.command("pendulum")
def pendulum(
    episodes: int = typer.Option(100, "--episodes", min=1,
                                 help="Generated Pendulum-v1 episodes per seed."),
    seeds: int = typer.Option(3, "--seeds", min=1),
    first_seed: int = typer.Option(0, "--first-seed", min=0),
    targets: list[float] = typer.Option(
        None, "--target", help="A return to ask for; repeat [default: -1200 -900 -600 -300 -150]."),
    steps: int | None = typer.Option(None, "--steps", min=1),
    eval_episodes: int = typer.Option(8, "--eval-episodes", min=1,
                                      help="Episodes per target and seed."),
    threads: int = typer.Option(1, "--threads", min=0),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON to this file."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
) -> None:
    """Continuous actions: a DT on generated Pendulum-v1 data, return achieved vs asked."""
    from simulacra.reproduce import pendulum as p

    cfg = p.PendulumConfig(
        episodes=episodes, seeds=seeds, first_seed=first_seed,
        targets=tuple(targets) if targets else p.TARGETS, eval_episodes=eval_episodes,
        dt=_budget(p.DEFAULT_BUDGET, steps, None, None, None, None, None), threads=threads,
    )
    try:
        result = p.run(cfg, progress=not quiet)
    except ValueError as err:
        raise fail(str(err)) from None
    _finish(result, p.table, as_json, save)
