"""Small helpers the gridworlds share: maps as text, moves, Sokoban pushes."""

from __future__ import annotations

from collections.abc import Iterable

from simulacra.worlds.base import DOWN, LEFT, NOOP, RIGHT, UP

Pos = tuple[int, int]

MOVES: dict[int, Pos] = {UP: (-1, 0), DOWN: (1, 0), LEFT: (0, -1), RIGHT: (0, 1), NOOP: (0, 0)}


def parse_map(text: str) -> list[str]:
    """Rows of a map written as an indented block; all rows padded to the same width."""
    # Whitespace-only edge lines come from the quotes around an indented block, not the map.
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    rows = lines
    indent = min(len(r) - len(r.lstrip()) for r in rows if r.strip())
    rows = [r[indent:] for r in rows]
    width = max(len(r) for r in rows)
    return [r.ljust(width) for r in rows]


def find_all(rows: list[str], chars: str) -> list[Pos]:
    """Positions (row, col) of every cell holding one of `chars`, in reading order."""
    return [(i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c in chars]


def find_one(rows: list[str], char: str) -> Pos:
    found = find_all(rows, char)
    if len(found) != 1:
        raise ValueError(f"map must hold exactly one {char!r}, found {len(found)}")
    return found[0]


def step_pos(pos: Pos, action: int) -> Pos:
    dr, dc = MOVES[action]
    return (pos[0] + dr, pos[1] + dc)


def walls_of(rows: list[str], wall: str = "#") -> frozenset[Pos]:
    return frozenset(find_all(rows, wall))


def render(base: list[str], overlays: Iterable[tuple[Pos, str]]) -> list[str]:
    """`base` with characters drawn over it; later overlays win."""
    grid = [list(r) for r in base]
    for (r, c), ch in overlays:
        grid[r][c] = ch
    return ["".join(r) for r in grid]


def clear(rows: list[str], chars: str, floor: str = " ") -> list[str]:
    """The map with every character in `chars` replaced by floor (movable things drawn later)."""
    table = str.maketrans({c: floor for c in chars})
    return [r.translate(table) for r in rows]


def push(
    agent: Pos, action: int, blocked: frozenset[Pos], movables: tuple[Pos, ...]
) -> tuple[Pos, tuple[Pos, ...], int | None]:
    """Sokoban rules: the agent moves unless a wall or an unpushable object stops it.

    Returns the new agent position, the new movable positions and the index of the object that
    moved (None if none did). A movable moves one cell when the cell behind it is free of walls and
    other movables.
    """
    target = step_pos(agent, action)
    if target in blocked:
        return agent, movables, None
    if target in movables:
        i = movables.index(target)
        beyond = step_pos(target, action)
        if beyond in blocked or beyond in movables:
            return agent, movables, None
        moved = (*movables[:i], beyond, *movables[i + 1:])
        return target, moved, i
    return target, movables, None
