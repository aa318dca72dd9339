"""docs/worlds.md, generated from the worlds themselves so that it cannot drift from them.

Each world module's docstring is that world's documentation (Description / Actions / Observation /
Reward / Performance / Events / Termination / Registered ids, and Checks). This module adds what
the code knows and prose could get wrong: each map as the board the agent sees at reset, the
parameters with their defaults, the events, the number of actions, and whether the world has exact
tables. `python -m simulacra.worlds.docs` writes docs/worlds.md; `--check` exits 1 when the file
differs from what the code would write (tests/worlds/test_docs.py makes the same comparison).

A `## Checks` line has the form ``- `KEYS`[ x N][ + `KEYS` x N][ with `k=v, ...`]: RETURN /
PERFORMANCE`` and optional words after it: the trajectory in `u d l r n` letters (each part
repeated N times), played from reset at those parameters (seed 0) until the episode ends, must
earn exactly that return and performance. The test plays every one,
so the figures in the document are measured, not remembered. Other lines of the section are prose.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from simulacra.worlds.base import ACTION_KEYS, ACTION_NAMES, EPISODE_LIMIT
from simulacra.worlds.registry import WORLDS, make_batch, make_world, world_class

DEFAULT_OUT = Path("docs/worlds.md")
#: Sections every world docstring must have (the template, after Gymnasium's env docs).
TEMPLATE = (
    "Description", "Actions", "Observation", "Reward", "Performance", "Events", "Termination",
    "Registered ids",
)
# Parameter settings whose boards differ at reset (levels, variants, test maps, rooms). Kept here
# rather than reusing worlds.catalogue.VARIANTS: that lists settings worth solving exactly, this
# the maps a reader should see (both supervisor boards, every test map, the uncompiled levels).
MAP_SETTINGS: dict[str, list[dict[str, object]]] = {
    "SafeInterruptibility": [{"level": 0}, {"level": 1}, {"level": 2}],
    "AbsentSupervisor": [{"supervisor": True}, {"supervisor": False}],
    "SideEffectsSokoban": [{"level": 0}, {"level": 1}, {"level": 2}, {"level": 3}],
    "RocksDiamonds": [{"level": 0}, {"level": 1}],
    "DistributionalShift": [
        {"testing": False}, {"testing": True, "test_map": 1}, {"testing": True, "test_map": 2},
    ],
    "FriendFoe": [{"room": "neutral"}, {"room": "friend"}, {"room": "foe"}],
    "ConveyorBelt": [
        {"variant": "vase"}, {"variant": "sushi"}, {"variant": "sushi_goal"},
        {"variant": "sushi_goal2"},
    ],
}
MAX_BOARDS = 3  # start boards drawn per setting; a world with more (KeyToDoor) shows its first
WIDTH = 100  # boards are laid side by side up to this many characters


@dataclass(frozen=True)
class Check:
    world: str
    keys: str
    params: dict[str, object] = field(default_factory=dict)
    ret: float = 0.0
    performance: float = 0.0
    line: str = ""


KEYS_PART = r"`([^`]+)`(?: x (\d+))?"  # `rl` x 50: the letters, repeated
CHECK_LINE = re.compile(
    rf"^- (?P<keys>{KEYS_PART}(?: \+ {KEYS_PART})*)(?: with `(?P<params>[^`]+)`)?: "
    r"(?P<ret>-?\d+(?:\.\d+)?) / (?P<perf>-?\d+(?:\.\d+)?)(?:\s.*)?$"
)


def modules() -> dict[str, list[str]]:
    """Each world module (registry order) with the world names it registers."""
    out: dict[str, list[str]] = {}
    for name, target in WORLDS.items():
        out.setdefault(target.split(":")[0], []).append(name)
    return out


def docstring(module: str) -> str:
    doc = importlib.import_module(f"simulacra.worlds.{module}").__doc__
    if not doc:
        raise ValueError(f"simulacra.worlds.{module} has no docstring")
    return doc


def sections(doc: str) -> tuple[str, dict[str, str]]:
    """The docstring's first line and its `## Title` sections, in order, bodies stripped."""
    head, *parts = re.split(r"^## ", doc.strip(), flags=re.M)
    body: dict[str, str] = {}
    for part in parts:
        title, _, text = part.partition("\n")
        body[title.strip()] = text.strip()
    return head.strip().splitlines()[0], body


def _params(text: str) -> dict[str, object]:
    call = ast.parse(f"f({text})", mode="eval").body
    assert isinstance(call, ast.Call)
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}


def checks(module: str) -> list[Check]:
    """The check trajectories of a module's `## Checks` section; a malformed one raises."""
    _, body = sections(docstring(module))
    world = modules()[module][0]
    out = []
    for line in body.get("Checks", "").splitlines():
        if not line.startswith("- `"):
            continue  # prose
        m = CHECK_LINE.match(line)
        if m is None:
            raise ValueError(f"{module}: malformed check line {line!r}")
        params = _params(m["params"]) if m["params"] else {}
        if "world" in params:  # a module with several worlds names the one it checks
            world = str(params.pop("world"))
        keys = "".join(k * int(n or 1) for k, n in re.findall(KEYS_PART, m["keys"]))
        bad = set(keys) - set(ACTION_KEYS)
        if bad:
            raise ValueError(f"{module}: unknown action letters {sorted(bad)} in {line!r}")
        out.append(Check(world, keys, params, float(m["ret"]), float(m["perf"]), line))
    return out


def parameters(name: str) -> list[tuple[str, str, str]]:
    """(name, type, default) of each constructor parameter of world `name`."""
    sig = inspect.signature(world_class(name).__init__)
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        ann = "" if p.annotation is p.empty else str(p.annotation)
        default = "required" if p.default is p.empty else repr(p.default)
        out.append((p.name, ann, default))
    return out


def start_boards(name: str, params: dict[str, object]) -> tuple[list[list[str]], str]:
    """The distinct boards an episode can start on, and how they were found.

    Compiled worlds enumerate their start states exactly (no compiling needed); the others are
    reset once with seed 0, since their start may be drawn (TomatoWatering dries at reset).
    """
    world = make_world(name, **params)
    if world.compilable:
        boards: list[list[str]] = []
        for prob, state in world.initial_states():
            board = list(world.observe(state))
            if prob > 0 and board not in boards:
                boards.append(board)
        return boards, "exact"
    batch = make_batch(name, 1, seed=0, **params)
    batch.reset()
    return [batch.board(0)], "seed 0"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _label(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "default"


def side_by_side(blocks: list[tuple[str, list[str]]], width: int = WIDTH) -> str:
    """Labelled boards laid out in columns, wrapped into further rows past `width` characters."""
    rows_out: list[str] = []
    line: list[tuple[str, list[str]]] = []

    def flush() -> None:
        widths = [max(len(label), *(len(r) for r in rows)) for label, rows in line]
        height = max(len(rows) for _, rows in line)
        grid = [[label for label, _ in line]] + [
            [rows[i] if i < len(rows) else "" for _, rows in line] for i in range(height)
        ]
        if rows_out:
            rows_out.append("")
        rows_out.extend(
            "   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in grid
        )
        line.clear()

    used = 0
    for label, rows in blocks:
        w = max(len(label), *(len(r) for r in rows))
        if line and used + 3 + w > width:
            flush()
            used = 0
        used += w + (3 if line else 0)
        line.append((label, rows))
    if line:
        flush()
    return "\n".join(rows_out)


def world_section(module: str, names: list[str]) -> str:
    title, body = sections(docstring(module))
    missing = [s for s in TEMPLATE if s not in body]
    if missing:
        raise ValueError(f"simulacra.worlds.{module}: docstring lacks sections {missing}")
    out = [f"## {_heading(title)}", "", f"*{title}*", ""]
    out.append(f"Source: `src/simulacra/worlds/{module}.py`.")
    out.append("")
    for name in names:
        world = make_world(name)
        events = ", ".join(f"`{e}`" for e in world.event_names) or "none"
        extras = ", ".join(f"`{e}`" for e in world.extra_names)
        out.append(
            f"- `simulacra/{name}-v0`: {world.n_actions} actions; events {events}"
            + (f"; extras in `info` {extras}" if extras else "")
            + f"; board symbols `{world.alphabet}`."
        )
    params = parameters(names[0])
    if params:
        out += ["", "| parameter | type | default |", "|---|---|---|"]
        # GitHub's tables split cells at every `|`, code spans included, unless it is escaped.
        out += [f"| `{p}` | `{_cell(t)}` | `{_cell(d)}` |" for p, t, d in params]
    out += ["", "### Maps", "", _maps(names), ""]
    for title_, text in body.items():
        out += [f"### {title_}", "", text, ""]
    return "\n".join(out)


def _maps(names: list[str]) -> str:
    blocks: list[tuple[str, list[str]]] = []
    exact: list[str] = []
    numpy: list[str] = []
    for name in names:
        for params in MAP_SETTINGS.get(name, [{}]):
            label = (f"{name} " if len(names) > 1 else "") + _label(params)
            boards, _ = start_boards(name, params)
            (exact if make_world(name, **params).compilable else numpy).append(f"`{label}`")
            if len(boards) > MAX_BOARDS:
                exact[-1] += f" (one of its {len(boards)} distinct start boards shown)"
                boards = boards[:1]
            for i, board in enumerate(boards):
                suffix = f" ({i + 1}/{len(boards)})" if len(boards) > 1 else ""
                blocks.append((label + suffix, board))
    notes = []
    if exact:
        notes.append(f"- Exact tables (every start board drawn): {', '.join(exact)}.")
    if numpy:
        notes.append(
            "- Numpy path, no exact analysis (the board after a reset with seed 0): "
            f"{', '.join(numpy)}."
        )
    intro = "The boards the agent sees at reset, drawn by the code:"
    return "\n".join([intro, "", "```", side_by_side(blocks), "```", "", *notes])


def render() -> str:
    mods = modules()
    index = ["| world | module | parameters (default) | events |", "|---|---|---|---|"]
    for module, names in mods.items():
        for name in names:
            params = ", ".join(f"`{p}={_cell(d)}`" for p, _, d in parameters(name)) or "none"
            events = ", ".join(f"`{e}`" for e in make_world(name).event_names)
            index.append(f"| [{name}](#{module_anchor(module)}) | `{module}.py` | "
                         f"{params} | {events} |")
    letters = ", ".join(
        f"`{k}` {n}" for k, n in zip(ACTION_KEYS, ACTION_NAMES, strict=True)
    )
    head = f"""# The worlds

<!-- Generated by `python -m simulacra.worlds.docs` from the world modules'
docstrings and code (src/simulacra/worlds/). Do not edit: edit the docstrings and regenerate;
tests/worlds/test_docs.py fails when this file is stale. -->

The AI Safety Gridworlds (Leike et al. 2017, arXiv 1711.09883, release 1.5), reproduced
faithfully (same maps, action ids, visible reward, hidden performance and episode limit), plus
KeyToDoor, Gambling and Survival, which the study adds. This page is generated from the code:
each section is the world module's docstring, with the maps, parameters and events read from the
world itself.

Conventions shared by every world:
- Actions `0=UP, 1=DOWN, 2=LEFT, 3=RIGHT`, and `4=NOOP` only where a world lists it. Moving into
  a wall or an immovable object leaves the agent in place, and the step still costs.
- Episodes are truncated at {EPISODE_LIMIT} steps (`truncated=True`); reaching a goal, water or
  lava, or opening a box, terminates them. No discounting inside the world.
- Every step reports the visible `reward` (what learners train on) and, in `info`, the hidden
  `performance` increment (what the designers wanted; never shown to a learner) and the safety
  `events` (counts per step). The reward never contains either.
- Observations are boards of characters, given to learners as indices into the world's symbols.
- Trajectories are written in the letters {letters}. A check reads
  "`keys` with `parameters`: return / performance"; `tests/worlds/test_docs.py` plays every one.
- Worlds with tractable state spaces are compiled into exact tables (exact optimal policies for
  reward and for performance, visitation, POWER, quantilizers); the others step through a batched
  numpy path of the same rules and have no exact analysis. `simulacra worlds` prints every world's
  exact figures.

{chr(10).join(index)}
"""
    body = [world_section(module, names) for module, names in mods.items()]
    return head + "\n" + "\n".join(body).rstrip() + "\n"


def _heading(title: str) -> str:
    """A section's heading: the world's name, the first word of its docstring."""
    return re.match(r"\w+", title)[0]  # type: ignore[index]


def module_anchor(module: str) -> str:
    """The GitHub anchor of a world's section: its heading, lower-cased."""
    return _heading(sections(docstring(module))[0]).lower()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulacra.worlds.docs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: docs/worlds.md")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file is stale instead of writing it"
    )
    args = parser.parse_args(argv)
    try:
        text = render()
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text() if args.out.is_file() else None
        if current != text:
            print(f"error: {args.out} is stale: run python -m simulacra.worlds.docs",
                  file=sys.stderr)
            return 1
        return 0
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    except OSError as err:
        print(f"error: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
