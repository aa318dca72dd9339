"""`simulacra train {ppo,dqn,a2c,bc,pbc,cql,...}`: train a baseline and save a checkpoint folder.

Online RL (SB3) trains on a world:   simulacra train ppo --world AbsentSupervisor --steps 100000
                                        --out runs/ppo [--param supervisor=false] [--hp gamma=0.95]
Offline learners train on a dataset: simulacra train pbc --data data.npz --out runs/pbc --q 0.1
After training, on a compiled world, the exact expected return and performance of the trained
policy are printed beside the exact optimum's.

The commands come from the learner registry (`simulacra.learners.registry`): one per RL learner
and one per learner with a `train` hook (the dataset learners), so a new offline learner gets its
command from its spec alone. Reading the registry imports every learner (torch, SB3: seconds), so
`simulacra train` builds these commands only when it is invoked (`_LearnerCommands`); every other
command starts without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import DEFAULT_MARKUP_MODE, TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

from simulacra.cli.app import fail, train_app
from simulacra.learners.registry import LearnerSpec


def _guard_out(out: Path, overwrite: bool) -> None:
    if (out / "config.json").exists() and not overwrite:
        raise fail(f"{out} already holds a checkpoint; pass --overwrite to replace it")


def _print_exact(exact: dict | None, world: str) -> None:
    if exact is None:
        typer.echo(f"{world} is not compiled: evaluate with `simulacra eval` for sampled figures")
        return
    typer.echo(
        f"exact: return {exact['return']:.2f} (optimum {exact['optimal_return']:.2f}, random "
        f"{exact['random_return']:.2f}), performance {exact['performance']:.2f} "
        f"(optimum's {exact['optimal_performance']:.2f})"
    )


def _rl_command(algo: str):
    def command(
        world: str = typer.Option(..., "--world", "-w", help="World name."),
        param: list[str] = typer.Option(None, "--param", "-p", help="World parameter key=value."),
        steps: int = typer.Option(..., "--steps", help="Environment steps to train for."),
        out: Path = typer.Option(..., "--out", help="Checkpoint folder to write."),
        seed: int = typer.Option(0, "--seed", help="Seeds the agent and the environments."),
        hp: list[str] = typer.Option(
            None, "--hp", help="Hyperparameter key=value over configs/rl (repeatable)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace a checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        from simulacra.cli.params import parse_params
        from simulacra.learners.rl import HyperparameterError, parse_hp, train_rl
        from simulacra.worlds.registry import make_world

        if steps < 1:
            raise fail(f"--steps must be >= 1, got {steps}")
        _guard_out(out, overwrite)
        try:
            params = parse_params(param)
            make_world(world, **params)
            overrides = parse_hp(hp or [])
        except (ValueError, HyperparameterError) as err:
            raise fail(str(err)) from None
        try:
            result = train_rl(algo, world, params, steps=steps, out=out, seed=seed, hp=overrides,
                              progress=not quiet)
        except HyperparameterError as err:
            raise fail(str(err)) from None
        cfg = result.config
        typer.echo(f"trained {algo} on {world} for {cfg['steps']} steps "
                   f"({cfg['steps_per_second']:.0f} steps/s) -> {out}")
        _print_exact(cfg.get("exact"), world)

    command.__doc__ = f"Train {algo.upper()} (Stable-Baselines3) online on a world."
    return command


def _offline_command(spec: LearnerSpec):
    learner = spec.name

    def command(
        data: Path = typer.Option(..., "--data", help="Dataset file (simulacra data generate)."),
        out: Path = typer.Option(..., "--out", help="Checkpoint folder to write."),
        world: str | None = typer.Option(
            None, "--world", "-w", help="Refuse a dataset of any other world."),
        q: float | None = typer.Option(
            None, "--q", help="Learners with a q knob (pbc): share of best episodes kept "
            "(default 0.1)."),
        steps: int | None = typer.Option(None, "--steps", help="Gradient steps."),
        seed: int = typer.Option(0, "--seed", help="Seeds the weights and the minibatches."),
        hp: list[str] = typer.Option(
            None, "--hp", help="Hyperparameter key=value (a field of the learner's config)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace a checkpoint."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        from simulacra.data.storage import DatasetError, load_dataset
        from simulacra.learners.rl import HyperparameterError, exact_figures, parse_hp

        if spec.knob != "q" and q is not None:
            raise fail(f"--q is for pbc (top-q filtered BC), not {learner}")
        _guard_out(out, overwrite)
        try:
            ds = load_dataset(data, world=world)
        except DatasetError as err:
            raise fail(str(err)) from None
        defaults = spec.defaults()
        try:
            overrides = parse_hp(hp or [])
        except HyperparameterError as err:
            raise fail(str(err)) from None
        unknown = sorted(set(overrides) - set(defaults))
        if unknown:
            raise fail(f"unknown {learner} hyperparameter {', '.join(unknown)}; "
                       f"valid: {', '.join(sorted(defaults))}")
        if steps is not None:
            overrides["steps"] = steps
        settings = {**defaults, **overrides}
        knob = (0.1 if q is None else q) if spec.knob == "q" else None
        try:
            if spec.check is not None:
                spec.check(settings if knob is None else {**settings, spec.knob: knob})
        except ValueError as err:
            raise fail(f"{learner}: {err}") from None
        if learner == "pbc" and knob == 1.0:
            raise fail("pbc with --q 1 is plain BC: use `simulacra train bc`")
        assert spec.train is not None
        policy = spec.train(ds, settings, seed=seed, knob=knob, out=out, progress=not quiet,
                            data_path=str(data))
        typer.echo(f"trained {learner} on {ds.world} ({ds.n_episodes} episodes) -> {out}")
        _print_exact(exact_figures(policy, ds.world, ds.params), ds.world)

    command.__doc__ = f"Train {learner}: {spec.doc}."
    return command


def _command_for(spec: LearnerSpec) -> Any:
    """The `simulacra train <name>` function of a learner, or None when it has no command."""
    if spec.family == "rl" and spec.load is not None:
        return _rl_command(spec.name)
    if spec.train is not None:
        return _offline_command(spec)
    return None


class _LearnerCommands(TyperGroup):
    """`simulacra train`'s group: the registry's learner commands join the hand-written ones
    (dt) the first time the group is listed or a command is looked up."""

    def _load(self) -> None:
        if getattr(self, "_loaded", False):
            return
        self._loaded = True
        from simulacra.learners.registry import learners

        for spec in learners().values():
            fn = _command_for(spec)
            if fn is not None and spec.name not in self.commands:
                info = CommandInfo(name=spec.name, callback=fn)
                self.add_command(get_command_from_info(
                    info, pretty_exceptions_short=True, rich_markup_mode=DEFAULT_MARKUP_MODE),
                    spec.name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        self._load()
        return super().get_command(ctx, cmd_name)


train_app.info.cls = _LearnerCommands
