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
    from simulacra.envs.render import ansi_frame, legend, rgb_frame
    from simulacra.policy import View
    from simulacra.worlds.registry import make_batch, make_world

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
        w = make_world(world, **params)
        batch = make_batch(world, 1, seed=seed, **params)
    except ValueError as err:
        raise fail(str(err)) from err
    tty = sys.stdout.isatty()
    key = legend(w)
    frames: list[np.ndarray] = []
    for episode in range(episodes):
        batch.reset()
        pol.reset(1, targets=None if target is None else np.array([target]),
                  seed=seed * 1000 + episode)
        ret = perf = 0.0
        events = dict.fromkeys(batch.event_names, 0)
        asked = "" if target is None else f", asked for {target:g}"
        head = f"{label} on {world} {params}{asked}, episode {episode + 1}/{episodes}"
        if not tty:  # piped: frames follow one another under one heading
            typer.echo(f"{head}\nlegend: {key}")
        while True:
            shown = ansi_frame(batch.board(0), ret, perf, int(batch.t[0]))
            happened = ", ".join(f"{n} {c}" for n, c in events.items() if c) or "none"
            typer.echo(f"{CLEAR}{head}\n{shown}events: {happened}\nlegend: {key}" if tty
                       else f"{shown}events: {happened}")
            if gif is not None:
                frames.append(rgb_frame(batch.observe()[0], batch.alphabet))
            states = getattr(batch, "states", None)
            view = View(obs=batch.observe(), t=batch.t.copy(),
                        states=None if states is None else states.copy())
            action = np.asarray(pol.act(view), dtype=np.int64)
            r = batch.step(action)
            pol.observe(action, r.reward, r.terminated | r.truncated)
            ret += float(r.reward[0])
            perf += float(r.performance[0])
            for i, n in enumerate(batch.event_names):
                events[n] += int(r.events[0, i])
            if r.terminated[0] or r.truncated[0]:
                break
            if tty and delay:
                time.sleep(delay)
        if gif is not None:
            frames.append(rgb_frame(batch.observe()[0], batch.alphabet))
        happened = ", ".join(f"{n}={c}" for n, c in events.items() if c) or "none"
        typer.echo(f"episode over after {int(batch.t[0])} steps: return {ret:g}, "
                   f"performance {perf:g}, events: {happened}")
    if gif is not None:
        _save_gif(frames, gif, delay)
        typer.echo(f"gif: {gif}")


def _save_gif(frames: list[np.ndarray], path: Path, delay: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=max(20, int(delay * 1000)), loop=0)
