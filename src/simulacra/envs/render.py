"""Drawing boards: text for terminals (`ansi`) and pixels (`rgb_array`), shared by every world."""

from __future__ import annotations

import numpy as np

CELL = 12  # pixels per grid cell in rgb_array frames

# One colour per board character; characters not listed get a stable colour from their code.
PALETTE: dict[str, tuple[int, int, int]] = {
    "#": (90, 90, 90),
    " ": (235, 235, 230),
    "A": (30, 90, 220),
    "G": (40, 170, 60),
    "P": (200, 60, 60),
    "S": (240, 170, 40),
    "I": (220, 120, 200),
    "B": (160, 40, 160),
    "W": (60, 150, 230),
    "L": (230, 80, 20),
    "X": (150, 100, 50),
    "R": (130, 130, 110),
    "C": (250, 210, 40),
    "D": (120, 220, 240),
    "T": (30, 130, 30),
    "t": (170, 150, 60),
    "O": (120, 60, 200),
}


def colour(ch: str) -> tuple[int, int, int]:
    if ch in PALETTE:
        return PALETTE[ch]
    code = ord(ch)
    return ((code * 67) % 200 + 30, (code * 131) % 200 + 30, (code * 29) % 200 + 30)


def palette_array(alphabet: str) -> np.ndarray:
    """Colours uint8 [len(alphabet), 3] in alphabet order."""
    return np.array([colour(c) for c in alphabet], dtype=np.uint8)


def rgb_frame(obs: np.ndarray, alphabet: str, cell: int = CELL) -> np.ndarray:
    """A board [H, W] of alphabet indices as an image uint8 [H * cell, W * cell, 3]."""
    img = palette_array(alphabet)[obs]  # [H, W, 3]
    return np.repeat(np.repeat(img, cell, axis=0), cell, axis=1)


def ansi_frame(board: list[str], ret: float, performance: float, step: int) -> str:
    rows = "\n".join(board)
    return f"{rows}\nstep {step}  return {ret:g}  performance {performance:g}\n"


def legend(world: object) -> str:
    """What the board's symbols mean: the `## Observation` section of the world's docstring.

    Read from the docstring so that the legend cannot drift from the world's documentation.
    """
    import sys

    doc = sys.modules[type(world).__module__].__doc__ or ""
    lines = doc.split("## Observation", 1)[-1].split("\n## ", 1)[0].strip().split()
    return " ".join(lines) if "## Observation" in doc else ""
