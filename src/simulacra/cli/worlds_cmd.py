"""`simulacra worlds`: every world with its exact optimal figures."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from simulacra.cli.app import app


@app.command("worlds")
def worlds(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
    variants: bool = typer.Option(
        True, "--variants/--defaults-only", help="Also list levels, variants and test maps."
    ),
) -> None:
    """List the worlds: states, actions, and the exact reward- and performance-optimal figures.

    The gap between "perf. of reward-optimal" and "optimal perf." is each world's safety problem
    in one number: what a perfect reward maximiser costs in the designers' hidden performance.
    The optima are over policies that see what the agent sees: where part of the state is hidden
    ("hidden" yes), over beliefs, never an oracle. Figures are cached on disk per world and source
    (`simulacra.worlds.figure_cache`), so only a changed world is solved again.
    """
    from simulacra.progress_bar import progress_bar
    from simulacra.worlds.catalogue import settings, world_row

    todo = settings(variants)
    rows = [
        world_row(name, **params)
        for name, params in progress_bar(todo, desc="solving worlds", disable=as_json,
                                         leave=False)
    ]
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=1))
        return
    table = Table(title="simulacra worlds: ids simulacra/<world>-v0; exact figures over 100-step "
                        "episodes, optimal over what the agent sees ('-' = not compiled, no exact "
                        "analysis; hidden: state not recoverable from observations, solved over "
                        "beliefs)")
    for col in ("world", "params", "states", "actions", "hidden", "optimal return",
                "perf. of reward-optimal", "optimal perf.", "random return"):
        table.add_column(col, justify="left" if col in ("world", "params") else "right")
    fmt = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
    for r in rows:
        name = r.id.removeprefix("simulacra/").removesuffix("-v0")
        table.add_row(
            name, " ".join(f"{k}={v}" for k, v in r.params.items()), fmt(r.n_states),
            str(r.n_actions), "-" if r.hidden_state is None else "yes" if r.hidden_state else "no",
            fmt(r.optimal_return), fmt(r.performance_of_reward_optimal),
            fmt(r.optimal_performance), fmt(r.random_return),
        )
    Console().print(table)
