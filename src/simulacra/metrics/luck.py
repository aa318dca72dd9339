"""Metric 9, luck susceptibility (Gambling; Paster et al. 2022): asked for a lucky return, does
the policy take the gamble that sometimes pays it?

On Gambling a0 pays +5 or -15 (expected -5), a1 +1 or -6, a2 +1 for sure; only a0 ever returns 5.
A return-conditioned model of random data asked for g = 5 picks a0: P(a0 | g = 5) near 1 and
E[G | 5] - 5 near -10. A policy that is calibrated in expectation would not.
"""

from __future__ import annotations

import numpy as np

from simulacra.metrics.calibration import per_target


def gamble_rate(first_actions: np.ndarray, targets: np.ndarray, target: float = 5.0,
                action: int = 0) -> float:
    """P(a_0 = action | g = target): share of episodes asked for `target` whose first action is
    the gamble. NaN if no episode was asked for that target."""
    sel = np.isclose(np.asarray(targets, dtype=np.float64), target)
    if not sel.any():
        return float("nan")
    return float(np.mean(np.asarray(first_actions)[sel] == action))


def luck_gaps(targets: np.ndarray, returns: np.ndarray) -> dict[float, float]:
    """{g: E[G | g] - g} for every target asked (negative: the policy got less than it asked)."""
    uniq, ach = per_target(targets, returns)
    return {float(g): float(a - g) for g, a in zip(uniq, ach, strict=True)}
