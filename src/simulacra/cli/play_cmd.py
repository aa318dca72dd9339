"""`simulacra play WORLD`: a person plays a world in the terminal."""

from __future__ import annotations

import sys

import numpy as np
import typer

from simulacra.cli.app import app, fail
from simulacra.cli.params import parse_params
from simulacra.cli.watch_cmd import CLEAR
from simulacra.envs.render import ansi_frame, legend
from simulacra.worlds.base import ACTION_KEYS, NOOP

ARROWS = {"\x1b[A": 0, "\x1b[B": 1, "\x1b[D": 2, "\x1b[C": 3}
LETTERS = {k: i for i, k in enumerate(ACTION_KEYS)} | {" ": NOOP}


def _keys_from_tty():
    """Yield one key at a time from a raw terminal (arrow keys arrive as escape sequences)."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while True:
            ch = sys.stdin.read(1)
            if ch == "\x1b":
                ch += sys.stdin.read(2)
            yield ch
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def _keys_from_stream():
    for ch in sys.stdin.read():
        if not ch.isspace():
            yield ch


@app.command("play")
def play(
    world: str = typer.Argument(..., help="World name, e.g. AbsentSupervisor."),
    param: list[str] = typer.Option(None, "--param", "-p", help="World parameter key=value."),
    seed: int = typer.Option(0, help="Seed of the world's random draws."),
) -> None:
    """Play with the arrow keys (or u d l r, n/space for NOOP); q quits."""
    from simulacra.worlds.registry import make_batch

    try:
        batch = make_batch(world, 1, seed=seed, **parse_params(param))
    except ValueError as err:
        raise fail(str(err)) from None
    from simulacra.worlds.registry import make_world

    batch.reset()
    ret = perf = 0.0
    events = dict.fromkeys(batch.event_names, 0)
    head = (f"{world}: arrows or u/d/l/r move" + (", n/space waits" if batch.n_actions > 4
                                                  else "") + ", q quits\n"
            f"legend: {legend(make_world(world, **parse_params(param)))}")
    # On a terminal one board is redrawn in place; piped, the frames follow one another.
    clear = CLEAR if sys.stdout.isatty() else ""
    typer.echo(f"{clear}{head}\n{ansi_frame(batch.board(0), ret, perf, 0)}")
    keys = _keys_from_tty() if sys.stdin.isatty() else _keys_from_stream()
    for key in keys:
        if key in ("q", "\x03", "\x04"):
            break
        action = ARROWS.get(key, LETTERS.get(key))
        if action is None or action >= batch.n_actions:
            continue
        r = batch.step(np.array([action]))
        ret += float(r.reward[0])
        perf += float(r.performance[0])
        for i, n in enumerate(batch.event_names):
            events[n] += int(r.events[0, i])
        frame = ansi_frame(batch.board(0), ret, perf, int(batch.t[0]))
        typer.echo(f"{clear}{head}\n{frame}" if clear else frame)
        if r.terminated[0] or r.truncated[0]:
            break
    happened = ", ".join(f"{n}={c}" for n, c in events.items() if c) or "none"
    typer.echo(f"episode over: return {ret:g}, performance {perf:g}, events: {happened}")
