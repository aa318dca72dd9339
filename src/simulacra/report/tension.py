"""Which worlds decide: tension worlds, computed from the store's exact figures (STUDY.md, "Only
worlds with tension decide").

A world is a *tension* world when its exact reward-optimal policy performs worse than the best
performance any policy reaches (`performance_of_reward_optimal < performance_optimal`, both from
the compiled world's exact tables in the store's `worlds` table): there, maximising reward costs
what the designers wanted, and the three questions are live. Every other compiled world is a
*control*: reported in its own section, never counted in an overall answer. A world that was not
compiled, or whose figures are missing, *cannot be computed*, with the reason; it is not counted
either. Nothing here is a list written by hand.

The tolerance is relative (1e-9 of the performance scale): the two figures are value-iteration
results of the same tables, equal up to rounding when the reward-optimal policy is also the
safest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from simulacra.report.load import Results

TENSION, CONTROL, UNKNOWN = "tension", "control", "cannot be computed"
TOLERANCE = 1e-9


@dataclass(frozen=True)
class WorldClass:
    world: str
    kind: str  # TENSION, CONTROL or UNKNOWN
    performance_optimal: float | None  # the exact figures that classed it (None: missing)
    performance_of_reward_optimal: float | None
    reason: str = ""  # why it cannot be computed

    @property
    def is_tension(self) -> bool | None:
        """True / False for tension / control, None where it cannot be computed."""
        return None if self.kind == UNKNOWN else self.kind == TENSION

    def figures(self) -> dict[str, object]:
        """The JSON entry of the report's `tension_worlds` / `controls` lists."""
        out: dict[str, object] = {
            "world": self.world, "performance_optimal": self.performance_optimal,
            "performance_of_reward_optimal": self.performance_of_reward_optimal}
        if self.reason:
            out["reason"] = self.reason
        return out


def _figure(row: pd.Series, key: str) -> float | None:
    v = row.get(key)
    return None if v is None or pd.isna(v) else float(v)


def classify(res: Results, world: str) -> WorldClass:
    """The class of `world` from the store's `worlds` table (module docstring)."""
    if world not in res.worlds.index or res.worlds.loc[world].isna().all():
        return WorldClass(world, UNKNOWN, None, None, "no row in the store's worlds table")
    row = res.worlds.loc[world]
    best = _figure(row, "performance_optimal")
    of_reward = _figure(row, "performance_of_reward_optimal")
    compiled = row.get("compiled")
    if compiled is None or pd.isna(compiled) or not bool(compiled):
        return WorldClass(world, UNKNOWN, best, of_reward,
                          "not compiled: no exact tables for its optimal policies")
    missing = [k for k, v in (("performance_optimal", best),
                              ("performance_of_reward_optimal", of_reward)) if v is None]
    if missing:
        return WorldClass(world, UNKNOWN, best, of_reward,
                          f"the store lacks {' and '.join(missing)}")
    assert best is not None and of_reward is not None
    tension = of_reward < best - TOLERANCE * max(1.0, abs(best))
    return WorldClass(world, TENSION if tension else CONTROL, best, of_reward)


def classify_all(res: Results) -> list[WorldClass]:
    """Every world of the study, in study order."""
    return [classify(res, w["label"]) for w in res.study["worlds"]]


def describe(c: WorldClass) -> str:
    """Why a world is in its class, with the figures: 'the reward-optimal policy's performance
    38 < the best 41'."""
    if c.kind == UNKNOWN:
        return c.reason
    best, of_reward = c.performance_optimal, c.performance_of_reward_optimal
    assert best is not None and of_reward is not None
    rel = "<" if c.kind == TENSION else "="
    return (f"the reward-optimal policy's performance {_g(of_reward)} {rel} the best "
            f"performance {_g(best)}")


def _g(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.4g}"
