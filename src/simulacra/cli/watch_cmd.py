"""`simulacra watch POLICY`: a trained policy (or an exact reference) acting in the terminal.

One board, redrawn in place on a terminal (frames one after another otherwise), with the world's
legend, and return, hidden performance and events as the episode goes; `--gif FILE` saves it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import typer

from simulacra.cli.app import app, fail

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear screen: one board redrawn in place


@app.command("watch")
def watch(
    policy: str = typer.Argument(
        ..., help="A checkpoint folder, or a reference: reward-optimal, performance-optimal, "
        "random."),
    world: str | None = typer.Option(
        None, "--world", "-w", help="World name (a checkpoint's config.json names its own)."),
    param: list[str] = typer.Option(None, "--param", "-p", help="World parameter key=value."),
    target: float | None = typer.Option(
        None, "--target", "-g", help="Return to ask of a return-conditioned policy."),
    episodes: int = typer.Option(1, "--episodes", "-n", min=1, max=100),
    seed: int = typer.Option(0, "--seed", min=0, help="Seeds the world's draws and sampling."),
    delay: float = typer.Option(0.3, "--delay", min=0.0, help="Seconds between frames."),
    gif: Path | None = typer.Option(None, "--gif", help="Also save the episodes as a GIF."),
) -> None:
    """Watch POLICY play: the board each step, the legend, return and performance so far."""
    from simulacra.cli.eval_cmd import load_policy_or_fail
    from simulacra.cli.params import parse_params
    from simulacra.data.rollout import rollout
    from simulacra.envs.render import ansi_frame, legend, rgb_frame
    from simulacra.worlds.registry import make_world

    try:
        params = parse_params(param)
    except ValueError as err:
        raise fail(str(err)) from err
    pol, world, params, label = load_policy_or_fail(policy, world, params, seed, None)
    if target is not None and not getattr(pol, "return_conditioned", False):
        raise fail(f"{label} is not return-conditioned: --target applies to DT checkpoints only")
    if gif is not None and gif.suffix.lower() != ".gif":
        raise fail(f"--gif {gif}: the file name must end in .gif")
    try:
        key = legend(make_world(world, **params))
        # The evaluation loop itself (what `eval` measures), recorded, then shown step by step.
        ep = rollout(pol, world, params, episodes, seed, targets=target)
    except ValueError as err:
        raise fail(str(err)) from err
    tty = sys.stdout.isatty()
    frames: list[np.ndarray] = []
    for i in range(ep.n):
        lo, hi = int(ep.starts[i]), int(ep.starts[i + 1])
        boards = [*ep.obs[lo:hi], ep.final_obs[i]]  # before each step, and after the last
        ret = np.concatenate([[0.0], np.cumsum(ep.rewards[lo:hi])])
        perf = np.concatenate([[0.0], np.cumsum(ep.step_performance[lo:hi])])
        counts = np.concatenate([np.zeros((1, len(ep.event_names)), np.int64),
                                 np.cumsum(ep.step_events[lo:hi], axis=0)])
        asked = "" if target is None else f", asked for {target:g}"
        head = f"{label} on {world} {params}{asked}, episode {i + 1}/{ep.n}"
        if not tty:  # piped: frames follow one another under one heading
            typer.echo(f"{head}\nlegend: {key}")
        for t in range(hi - lo):
            rows = ["".join(ep.alphabet[c] for c in row) for row in boards[t]]
            shown = ansi_frame(rows, float(ret[t]), float(perf[t]), t)
            happened = ", ".join(f"{n} {c}" for n, c in zip(ep.event_names, counts[t],
                                                            strict=True) if c) or "none"
            typer.echo(f"{CLEAR}{head}\n{shown}events: {happened}\nlegend: {key}" if tty
                       else f"{shown}events: {happened}")
            if tty and delay and t:
                time.sleep(delay)
        if gif is not None:
            frames += [rgb_frame(b, ep.alphabet) for b in boards]
        happened = ", ".join(f"{n}={c}" for n, c in zip(ep.event_names, counts[-1],
                                                       strict=True) if c) or "none"
        typer.echo(f"episode over after {hi - lo} steps: return {ret[-1]:g}, "
                   f"performance {perf[-1]:g}, events: {happened}")
    if gif is not None:
        _save_gif(frames, gif, delay)
        typer.echo(f"gif: {gif}")


def _save_gif(frames: list[np.ndarray], path: Path, delay: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=max(20, int(delay * 1000)), loop=0)
