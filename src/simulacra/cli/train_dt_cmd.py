"""`simulacra train dt`: train a Decision Transformer on a dataset file into a checkpoint folder."""

from __future__ import annotations

from pathlib import Path

import typer

from simulacra.cli.app import fail, train_app
from simulacra.learners.registry import get

#: The defaults of the options are the DT's config dataclass's (its spec), never a second copy.
_D = get("dt").config()


@train_app.command("dt")
def train_dt(
    data: Path = typer.Option(..., "--data", help="Dataset file (from `simulacra data generate`)."),
    out: Path = typer.Option(..., "--out", help="Checkpoint folder to write."),
    steps: int = typer.Option(_D.steps, "--steps", min=1, help="Gradient steps."),
    seed: int = typer.Option(0, "--seed", help="Seeds weights, dropout and sampling."),
    batch_size: int = typer.Option(_D.batch_size, "--batch-size", min=1),
    context: int = typer.Option(_D.context, "--context", min=1, help="K: steps per window."),
    hidden: int = typer.Option(_D.hidden, "--hidden", min=1),
    layers: int = typer.Option(_D.n_layer, "--layers", min=1),
    heads: int = typer.Option(_D.n_head, "--heads", min=1),
    dropout: float = typer.Option(_D.dropout, "--dropout", min=0.0, max=0.9),
    lr: float = typer.Option(_D.lr, "--lr", min=0.0),
    warmup: int = typer.Option(_D.warmup_steps, "--warmup", min=0,
                               help="Learning-rate warmup steps."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing checkpoint."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Train a Decision Transformer offline; the folder holds config.json and the weights."""
    from simulacra.data.storage import DatasetError, load_dataset
    from simulacra.learners.dt_train import TrainConfig, train_dataset

    if (out / "config.json").exists() and not overwrite:
        raise fail(f"{out} already holds a checkpoint; pass --overwrite to replace it")
    if device not in ("auto", "cpu", "cuda"):
        raise fail(f"--device must be auto, cpu or cuda, got {device!r}")
    try:
        ds = load_dataset(data)
    except DatasetError as err:
        raise fail(str(err)) from None
    cfg = TrainConfig(
        steps=steps, batch_size=batch_size, context=context, hidden=hidden, n_layer=layers,
        n_head=heads, dropout=dropout, lr=lr, warmup_steps=warmup, seed=seed, device=device,
        progress=not quiet,
    )
    try:
        _, losses = train_dataset(ds, cfg, out, extra={"dataset": str(data)})
    except ValueError as err:
        raise fail(str(err)) from None
    typer.echo(f"trained {ds.world} DT for {steps} steps (final loss {losses[-1]:.4f}) -> {out}")
