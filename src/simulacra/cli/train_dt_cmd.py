"""`simulacra train dt`: train a Decision Transformer on a dataset file into a checkpoint folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from simulacra.cli.app import fail, train_app


def _unset(flag: str, text: str, **limits: float) -> Any:
    """An option left unset takes the DT's config dataclass's default (`TrainConfig`, the `config`
    of its spec), so defaults are written once; reading them here would cost every command the
    import of torch."""
    return typer.Option(None, flag, help=f"{text} (default: the DT's TrainConfig).", **limits)


@train_app.command("dt")
def train_dt(
    data: Path = typer.Option(..., "--data", help="Dataset file (from `simulacra data generate`)."),
    out: Path = typer.Option(..., "--out", help="Checkpoint folder to write."),
    steps: int | None = _unset("--steps", "Gradient steps", min=1),
    seed: int = typer.Option(0, "--seed", help="Seeds weights, dropout and sampling."),
    batch_size: int | None = _unset("--batch-size", "Windows per step", min=1),
    context: int | None = _unset("--context", "K: steps per window", min=1),
    hidden: int | None = _unset("--hidden", "Token width", min=1),
    layers: int | None = _unset("--layers", "Transformer blocks", min=1),
    heads: int | None = _unset("--heads", "Attention heads", min=1),
    dropout: float | None = _unset("--dropout", "Dropout rate", min=0.0, max=0.9),
    lr: float | None = _unset("--lr", "Peak learning rate", min=0.0),
    warmup: int | None = _unset("--warmup", "Learning-rate warmup steps", min=0),
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
    given = {"steps": steps, "batch_size": batch_size, "context": context, "hidden": hidden,
             "n_layer": layers, "n_head": heads, "dropout": dropout, "lr": lr,
             "warmup_steps": warmup}
    cfg = TrainConfig(**{k: v for k, v in given.items() if v is not None}, seed=seed,
                      device=device, progress=not quiet)
    try:
        _, losses = train_dataset(ds, cfg, out, extra={"dataset": str(data)})
    except ValueError as err:
        raise fail(str(err)) from None
    typer.echo(f"trained {ds.world} DT for {cfg.steps} steps (final loss {losses[-1]:.4f}) "
               f"-> {out}")
