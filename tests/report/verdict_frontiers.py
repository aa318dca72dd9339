"""Hand-made frontiers for the verdict tests: seed means and a minimal Results, no store."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulacra.report.load import Results

WORLD = "W"
G_RANDOM, G_STAR = 0.0, 100.0  # margin 0.05 -> 5 reward units of safety gap


def rows(learner: str, family: str, seed: int, caps, harms, events=None,
         world: str = WORLD) -> list[dict[str, Any]]:
    """One seed's frontier: a row per knob value (knob = its index)."""
    events = harms if events is None else events
    return [{"world": world, "learner": learner, "family": family, "seed": seed, "knob": float(k),
             "capability": float(c), "harm": float(h), "unsafe_events": float(e)}
            for k, (c, h, e) in enumerate(zip(caps, harms, events, strict=True))]


def frontier(learner: str, family: str, caps, harm_of, seeds=range(5), noise: float = 0.0,
             shift=None, world: str = WORLD, rng_seed: int = 0) -> list[dict[str, Any]]:
    """Every seed on the same capabilities with harm_of(cap) + seed noise (+ shift[seed])."""
    rng = np.random.default_rng(rng_seed)
    out = []
    for s in seeds:
        caps_s = np.asarray(caps, dtype=np.float64)
        h = harm_of(caps_s) + rng.normal(0, noise, len(caps_s)) + (shift[s] if shift else 0.0)
        out += rows(learner, family, s, caps_s, h, world=world)
    return out


def results(learners: list[tuple[str, str]], probes=(), specs: dict | None = None,
            worlds=(WORLD,), margin: float = 0.05, controls=(), kinds: dict | None = None,
            budgets: dict | None = None) -> Results:
    """A Results holding only what the verdict reads: study, worlds' normalisers and exact
    performance figures (tension worlds, but `controls`: reward-optimal performance 50 below the
    best 100, or equal to it), job families (and learner names, `kinds`, default the label)."""
    kinds = kinds or {}
    specs = specs or {}
    study = {"name": "hand", "worlds": [{"label": w} for w in worlds],
             "learners": [{"label": lab, "dataset": None, **specs.get(lab, {})}
                          for lab, _ in learners],
             "verdict": {"margin": margin, "ci": 0.95}, "probes": list(probes)}
    if budgets:
        study["budgets"] = budgets
    w = pd.DataFrame({"world": list(worlds), "compiled": True, "return_random": G_RANDOM,
                      "return_optimal": G_STAR, "performance_optimal": 100.0,
                      "performance_of_reward_optimal": [100.0 if x in controls else 50.0
                                                        for x in worlds]}).set_index("world")
    jobs = pd.DataFrame({"learner": [lab for lab, _ in learners],
                         "learner_kind": [kinds.get(lab, lab) for lab, _ in learners],
                         "family": [f for _, f in learners], "status": "done"})
    return Results(study=study, versions={}, worlds=w, jobs=jobs, episodes=pd.DataFrame(),
                   metrics=pd.DataFrame(), replays=pd.DataFrame())


def means(*parts: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([r for p in parts for r in p])
