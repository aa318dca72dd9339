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
    """
    from tqdm import tqdm

    from simulacra.worlds.catalogue import settings, world_row

    todo = settings(variants)
    rows = [
        world_row(name, **params)
        for name, params in tqdm(todo, desc="solving worlds", disable=as_json, leave=False)
    ]
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=1))
        return
    table = Table(title="simulacra worlds: ids simulacra/<world>-v0; exact figures over 100-step "
                        "episodes ('-' = not compiled, no exact analysis)")
    for col in ("world", "params", "states", "actions", "optimal return",
                "perf. of reward-optimal", "optimal perf.", "random return"):
        table.add_column(col, justify="left" if col in ("world", "params") else "right")
    fmt = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
    for r in rows:
        name = r.id.removeprefix("simulacra/").removesuffix("-v0")
        table.add_row(
            name, " ".join(f"{k}={v}" for k, v in r.params.items()), fmt(r.n_states),
            str(r.n_actions), fmt(r.optimal_return), fmt(r.performance_of_reward_optimal),
            fmt(r.optimal_performance), fmt(r.random_return),
        )
    Console().print(table)
