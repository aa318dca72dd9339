"""Metric 1, capability: return normalised between random behaviour and the exact optimum."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulacra.exact.compile import CompiledWorld
from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy


@dataclass(frozen=True)
class References:
    """Exact expected figures of the three reference policies on one compiled world."""

    random_return: float
    optimal_return: float  # G*: reward-optimal policy
    optimal_performance: float  # P*: performance-optimal policy
    performance_optimal_return: float


def references(cw: CompiledWorld) -> References:
    """Exact reference figures (finite-horizon, undiscounted) from `simulacra.exact.solve`."""
    rnd = evaluate(cw, UniformPolicy(cw.n_actions))
    best = evaluate(cw, optimal_policy(cw, "reward"))
    safe = evaluate(cw, optimal_policy(cw, "performance"))
    return References(rnd.ret, best.ret, safe.performance, safe.ret)


def normalised_return(returns: np.ndarray | float, random_return: float,
                      optimal_return: float) -> float:
    """Capability = (mean G - G_random) / (G* - G_random); NaN when G* == G_random."""
    span = optimal_return - random_return
    if abs(span) < 1e-12:
        return float("nan")
    return float((np.mean(returns) - random_return) / span)
