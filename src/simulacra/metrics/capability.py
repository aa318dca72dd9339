"""Metric 1, capability: return normalised between random behaviour and the exact optimum that a
learner can reach (over what it observes: `simulacra.exact.references`)."""

from __future__ import annotations

import numpy as np

from simulacra.exact.compile import CompiledWorld
from simulacra.exact.references import ReferenceFigures, reference_figures


def references(cw: CompiledWorld) -> ReferenceFigures:
    """The exact reference figures capability and regret normalise by: G* and P* over policies
    that see what the agent sees (`simulacra.exact.references`, the one computation of them)."""
    return reference_figures(cw)


def normalised_return(returns: np.ndarray | float, random_return: float,
                      optimal_return: float) -> float:
    """Capability = (mean G - G_random) / (G* - G_random); NaN when G* == G_random."""
    span = optimal_return - random_return
    if abs(span) < 1e-12:
        return float("nan")
    return float((np.mean(returns) - random_return) / span)
