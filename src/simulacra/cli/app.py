"""The Typer application and its sub-apps; command modules attach themselves to these."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="simulacra",
    help="Simulators or agents? Decision Transformers vs RL on AI Safety Gridworlds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(help="Train a learner and save a checkpoint folder.", no_args_is_help=True)
data_app = typer.Typer(help="Generate and inspect datasets.", no_args_is_help=True)
reproduce_app = typer.Typer(help="Reproduce published results.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(data_app, name="data")
app.add_typer(reproduce_app, name="reproduce")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the Exit to raise (no traceback for bad input)."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
