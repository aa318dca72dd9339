"""`simulacra eval`: evaluate one policy on one world, optionally with the study's metric table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from simulacra.cli.app import app, fail

REFERENCE_NAMES = ("reward-optimal", "performance-optimal", "random", "quantilizer", "best-of-n",
                   "simulator")
DATA_NAMES = ("quantilizer", "best-of-n", "simulator")  # replay --data (learners/references.py)


def _warn(message: str) -> None:
    typer.secho(f"warning: {message}", err=True, fg=typer.colors.YELLOW)


def load_policy_or_fail(policy: str, world: str | None, params: dict, seed: int, data,
                        knobs: dict[str, float] | None = None):
    """(policy object, world, params, label): a checkpoint folder or an exact reference (a data
    reference with its `knobs`: q, n)."""
    from simulacra.learners import CheckpointError, load_policy, read_checkpoint_config

    folder = Path(policy)
    if folder.is_dir():
        try:
            config = read_checkpoint_config(folder)
        except CheckpointError as err:
            raise fail(str(err)) from err
        trained_on = config.get("world")
        if world is not None and trained_on is not None and world != trained_on:
            raise fail(f"{folder} was trained on {trained_on}, not {world}")
        world = world or trained_on
        if world is None:
            raise fail(f"{folder}/config.json names no world: pass --world")
        params = {**(config.get("params") or {}), **params}
        try:
            return load_policy(folder), world, params, f"{config['learner']}:{folder}"
        except Exception as err:  # any failure to read weights is a corrupt checkpoint
            raise fail(f"cannot load checkpoint {folder}: {type(err).__name__}: {err}") from err
    if policy not in REFERENCE_NAMES:
        raise fail(f"{policy!r} is neither a checkpoint folder nor a reference "
                   f"({', '.join(REFERENCE_NAMES)})")
    if world is None:
        raise fail(f"reference {policy!r} needs --world")
    from simulacra.learners.references import make_reference

    if policy in DATA_NAMES and data is None:
        # `simulacra watch` shares this loader but takes no dataset: name the command that does.
        raise fail(f"reference {policy!r} replays a dataset: give it with --data (simulacra "
                   "eval)")
    kw = {"data": data, **(knobs or {})} if policy in DATA_NAMES else {}
    try:
        return make_reference(policy, world, params, seed=seed, **kw), world, params, policy
    except ValueError as err:  # unknown world, bad params, no exact tables, no data
        raise fail(str(err)) from err


def _check_targets(targets: list[float], cw, data) -> None:
    if cw is not None:
        from simulacra.exact.references import reference_figures

        best = reference_figures(cw).optimal_return  # the optimum a learner can reach
        for g in targets:
            if g > best + 1e-9:
                _warn(f"target {g:g} is above the exact optimum {best:g}: no policy reaches it")
    if data is not None:
        lo, hi = float(data.returns().min()), float(data.returns().max())
        for g in targets:
            if not lo <= g <= hi:
                _warn(f"target {g:g} is outside the data's return range [{lo:g}, {hi:g}]")


@app.command("eval")
def eval_cmd(
    policy: str = typer.Argument(
        ..., help="A checkpoint folder, or a reference: reward-optimal, performance-optimal, "
        "random; or one replaying --data: quantilizer (--q), best-of-n (--best-of), simulator "
        "(the target-matched simulator: --target)."),
    world: str | None = typer.Option(
        None, "--world", "-w", help="World name (a checkpoint's config.json names its own)."),
    param: list[str] = typer.Option(None, "--param", "-p", help="World parameter key=value."),
    episodes: int = typer.Option(100, "--episodes", "-n", help="Episodes (per target)."),
    target: list[float] = typer.Option(
        None, "--target", "-g", help="Return to ask of a return-conditioned policy, a DT or the "
        "simulator (repeatable; --episodes each)."),
    q: float | None = typer.Option(
        None, "--q", help="The quantilizer's q in (0, 1]: the share of the data's best episodes "
        "it replays (default 0.1).", show_default=False),
    best_of: int | None = typer.Option(
        None, "--best-of", help="best-of-n's n >= 1: replays the best of n data episodes "
        "(default 10).", show_default=False),
    seed: int = typer.Option(0, "--seed", help="Run seed (evaluation seeds derive from it)."),
    decode: str | None = typer.Option(
        None, "--decode", help="sample (from the policy's action distribution: what the study's "
        "verdicts read) or greedy (its most probable action); default: the policy's own (greedy "
        "for a DT checkpoint)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    metrics: bool = typer.Option(False, "--metrics", help="Compute the study's metric table."),
    data: Path | None = typer.Option(
        None, "--data", help="Dataset (.npz or Minari folder): the data references replay it; the "
        "data-relative metrics read it."),
) -> None:
    """Evaluate POLICY: mean return and performance over episodes; with --metrics every metric of
    the study (null where it does not apply; `needs_exact` / `needs_data` say why)."""
    from simulacra.cli.params import parse_params
    from simulacra.data.storage import load_dataset
    from simulacra.evaluate.decode import DECODES, can_decode, decode_of, set_decode
    from simulacra.evaluate.rollout import rollout
    from simulacra.learners.references import ExactPolicy
    from simulacra.metrics.table import metric_table
    from simulacra.worlds.registry import compiled, make_world

    if episodes < 1:
        raise fail(f"--episodes must be >= 1, got {episodes}")
    if seed < 0:
        raise fail(f"--seed must be >= 0, got {seed}")
    try:
        params = parse_params(param)
    except ValueError as err:
        raise fail(str(err)) from err
    dataset = None
    if data is not None:
        try:
            dataset = load_dataset(data, world=world)
        except (ValueError, OSError) as err:
            raise fail(str(err)) from err
    knobs: dict[str, float] = {}
    for value, flag, name, reference in ((q, "--q", "q", "quantilizer"),
                                         (best_of, "--best-of", "n", "best-of-n")):
        if value is not None and policy != reference:
            raise fail(f"{flag} is {reference}'s knob, not {policy}'s")
        if value is not None:
            knobs[name] = value
    if policy == "simulator" and not target:
        raise fail("the simulator replays the data's episodes nearest a return: pass --target")
    if decode is not None and decode not in DECODES:
        raise fail(f"--decode {decode!r}: expected {' or '.join(DECODES)}")
    pol, world, params, label = load_policy_or_fail(policy, world, params, seed, dataset, knobs)
    label += "".join(f" {k}={v:g}" for k, v in knobs.items())
    if decode is not None and can_decode(pol):
        set_decode(pol, decode)
    elif decode is not None:
        _warn(f"{label} has nothing to decode: it acts the same under --decode {decode}")
    try:
        w = make_world(world, **params)
    except ValueError as err:
        raise fail(str(err)) from err
    params = w.params()
    if dataset is not None and dataset.world != world:
        raise fail(f"{data} holds a {dataset.world} dataset, not {world}")
    cw = compiled(world, **params) if w.compilable else None
    targets = None
    if target and not getattr(pol, "return_conditioned", False):
        raise fail(f"{label} is not return-conditioned: --target applies to DT checkpoints "
                   "and the simulator only")
    if target:
        _check_targets(list(target), cw, dataset)
        targets = np.repeat(np.asarray(target, dtype=np.float64), episodes)
    n = episodes * (len(target) if target else 1)
    try:
        ep = rollout(pol, world, params, n, seed, targets=targets, record_trajectories=metrics)
    except ValueError as err:
        raise fail(f"evaluation failed: {err}") from err
    result: dict[str, object] = {
        "policy": label, "world": world, "params": params, "seed": seed,
        "decode": decode_of(pol),
        "episodes": ep.n, "return": float(ep.returns.mean()),
        "performance": float(ep.performance.mean()), "length": float(ep.lengths.mean()),
    }
    if target:
        result["targets"] = list(map(float, target))
        result["per_target"] = _per_target(ep, list(target))
    if metrics:
        # An optimal reference's per-state probabilities exist only where nothing is hidden.
        tab = pol.tabular if isinstance(pol, ExactPolicy) else None
        probs = tab.probs if tab is not None else None
        table = metric_table(ep, dataset, cw, policy_probs=probs, seed=seed)
        result.update({k: v for k, v in table.items() if k not in result})
        if table["needs_exact"]:
            _warn(f"{world} has no exact tables: {', '.join(table['needs_exact'])} are null")
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_table(result)


def _per_target(ep, targets: list[float]) -> list[dict[str, float]]:
    """Return, performance and length for each asked target (episodes were run target-major)."""
    rows = []
    for g in dict.fromkeys(float(t) for t in targets):  # a repeated target pools its episodes
        at = ep.targets == g
        rows.append({"target": g, "episodes": int(at.sum()),
                     "return": float(ep.returns[at].mean()),
                     "performance": float(ep.performance[at].mean()),
                     "length": float(ep.lengths[at].mean())})
    return rows


def _print_table(result: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['policy']} on {result['world']} {result['params']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in result.items():
        if k in ("policy", "world", "params", "per_target"):
            continue
        if isinstance(v, float):
            v = f"{v:.4g}"
        elif v is None:
            v = "-"
        elif isinstance(v, dict | list):
            v = json.dumps(v) if len(json.dumps(v)) < 80 else json.dumps(v)[:77] + "..."
        table.add_row(k, str(v))
    console = Console()
    rows = result.get("per_target")
    if isinstance(rows, list) and len(rows) > 1:
        # One row per asked return: pooling targets hides the calibration the user asked about.
        by = Table(title="per target")
        for col in ("target", "episodes", "return", "performance", "length"):
            by.add_column(col, justify="right")
        for r in rows:
            by.add_row(*(f"{r[c]:.4g}" for c in ("target", "episodes", "return", "performance",
                                                 "length")))
        console.print(by)
    console.print(table)
