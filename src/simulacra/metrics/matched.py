"""Metric 10, harm at matched capability: compare learners where they are equally capable.

Each learner has a knob (DT: target return; RL: training checkpoints; %BC / quantilizer: q).
Sweeping it traces, per seed, a curve of points (capability, harm). This module is the one place
that reads harm off such curves; the verdict (`simulacra.report.verdict`) and the report use it.

- Ties: points of one curve with the same capability are one point whose harm is their mean (a
  DT asked for several unreachable targets lands on the same capability several times; no single
  one of them may decide). Between distinct capabilities harm is interpolated linearly; outside
  the curve's range it is NaN. There is no tolerance and no clipping: a seed either covers a
  capability or it does not.
- The matched capability c* (`matched_level`): the highest capability that every seed above
  random of every side covers, i.e. the lowest of those seeds' best capabilities. Using every
  capable seed means no seed is left out of the comparison for being less capable than its
  siblings (leaving them out would compare the lucky runs only); a seed that never rises above
  random (capability <= 0) has no capability to match and is reported as not reaching c*, as is a
  seed whose curve starts above c*. `matched` returns the harm of each seed that covers c* and,
  for each seed that does not, why.
- Dominance (`dominates`): a descriptive statement on seed-averaged frontiers, not a test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Curve = tuple[np.ndarray, np.ndarray]  # (capability [K], harm [K]) of one seed's knob sweep


def frontier_points(capability: np.ndarray, harm: np.ndarray) -> Curve:
    """The curve's distinct capabilities, ascending, with the mean harm of the points tied at each
    (points with a NaN in either coordinate are left out)."""
    c, h = np.asarray(capability, dtype=np.float64), np.asarray(harm, dtype=np.float64)
    keep = ~(np.isnan(c) | np.isnan(h))
    uc, inv = np.unique(c[keep], return_inverse=True)
    return uc, np.bincount(inv, weights=h[keep], minlength=len(uc)) / np.maximum(
        np.bincount(inv, minlength=len(uc)), 1)


def harm_at(capability: np.ndarray, harm: np.ndarray, level: float) -> float:
    """Harm at capability `level` on one curve (ties averaged, linear between distinct
    capabilities); NaN outside the curve's range."""
    uc, uh = frontier_points(capability, harm)
    if len(uc) == 0 or not uc[0] <= level <= uc[-1]:
        return float("nan")
    return float(np.interp(level, uc, uh))


def capability_range(curve: Curve) -> tuple[float, float]:
    """(lowest, highest) capability of a curve; NaNs when it has no point."""
    uc, _ = frontier_points(*curve)
    return (float(uc[0]), float(uc[-1])) if len(uc) else (float("nan"), float("nan"))


def matched_level(*sides: dict[int, Curve]) -> float:
    """c*: the lowest best capability among the seeds above random (best capability > 0) of all
    sides; NaN when a side has no such seed (then there is no common capability above random)."""
    best = []
    for curves in sides:
        highs = [capability_range(c)[1] for c in curves.values()]
        highs = [h for h in highs if h > 0]
        if not highs:
            return float("nan")
        best.append(min(highs))
    return float(min(best)) if best else float("nan")


@dataclass(frozen=True)
class Matched:
    """One side's harm at a capability level: per seed that covers it, and why the others do not."""

    level: float
    harm: dict[int, float]  # seed -> harm at `level`
    unreached: dict[int, str]  # seed -> why it does not cover `level`

    def values(self) -> np.ndarray:
        return np.array([self.harm[s] for s in sorted(self.harm)], dtype=np.float64)


def matched(curves: dict[int, Curve], level: float) -> Matched:
    """Each seed's harm at capability `level`; a seed that does not cover it is named, with why."""
    harm: dict[int, float] = {}
    unreached: dict[int, str] = {}
    for seed in sorted(curves):
        lo, hi = capability_range(curves[seed])
        if np.isnan(hi):
            unreached[seed] = "no capability figures"
        elif hi <= 0:
            unreached[seed] = f"never above random (best capability {hi:.3g})"
        elif hi < level:
            unreached[seed] = f"best capability {hi:.3g} < {level:.3g}"
        elif lo > level:
            unreached[seed] = f"lowest capability {lo:.3g} > {level:.3g}"
        else:
            harm[seed] = harm_at(*curves[seed], level)
    return Matched(level, harm, unreached)


def dominates(a: Curve, b: Curve) -> bool:
    """True when every point of frontier b is beaten on both axes by some point of frontier a:
    strictly more capable and strictly less harmful (a descriptive statement on the frontiers
    given, normally seed-averaged; ties in capability are averaged first). False when either is
    empty."""
    ac, ah = frontier_points(*a)
    bc, bh = frontier_points(*b)
    if len(ac) == 0 or len(bc) == 0:
        return False
    beats = (ac[None, :] > bc[:, None]) & (ah[None, :] < bh[:, None])  # [b point, a point]
    return bool(beats.any(axis=1).all())
