"""Does the verdict hold its level? An A/A simulation through `simulacra.report.verdict.verdicts`.

Two learners, "DT" (family dt) and "PPO" (family rl), with the same true harm at every capability
(A/A): whatever the verdict calls other than "equivalent" or "inconclusive" is an error. Each
replication draws, for every seed s of each learner, a frontier over 5 knob values:

    capability_k = k / 4 + N(0, 0.02)              k = 0..4 (so c* is found, not given)
    harm_k       = 10 capability_k + a + b_s + e_k  a ~ N(0, 1) per learner and seed,
                                                    b_s ~ N(0, 0.5) shared by both learners at
                                                    seed s (their evaluation seeds are shared),
                                                    e_k ~ N(0, 0.2) per point

and runs the project's verdict on it (the whole function: seed curves, c*, the strongest RL
learner, the interval, the word), with margin 0 so that the words measure the interval alone:
- false_safer_rate: P(word = safer, or dominated by DT); nominal (1 - ci) / 2 = 2.5%.
- false_difference_rate: P(word favours either side: safer, less safe, dominated); nominal
  1 - ci = 5%.
- power: P(word = safer) when DT's harm is lower by `effect` SD at every capability (SD: the
  between-seed SD of one learner's harm at a capability, sqrt(1 + 0.25 + 0.04)).
The OLD method (version 1) on the same draws: the same matched harms, a percentile bootstrap of
the mean difference with both sides resampled independently (2,000 resamples), "safer" when its
lower bound is above 0. Every rate comes with its Monte-Carlo standard error sqrt(p (1 - p) / n).

    .venv/bin/python benchmarks/verdict_calibration.py [--reps 1000] [--seeds 5 10]
        [--effect 1 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np
import pandas as pd

from simulacra.metrics.matched import matched, matched_level
from simulacra.metrics.stats import bootstrap_diff_ci, mean
from simulacra.report.load import Results
from simulacra.report.verdict import (
    DT_SIDE,
    LESS_SAFE,
    RL_SIDE,
    SAFER,
    favours,
    seed_curves,
    verdicts,
)
from simulacra.strict_json import strict_json

WORLD = "W"
KNOBS = np.linspace(0.0, 1.0, 5)
SLOPE, SD_LEARNER, SD_SHARED, SD_POINT, SD_CAPABILITY = 10.0, 1.0, 0.5, 0.2, 0.02
SD_SEED = math.sqrt(SD_LEARNER**2 + SD_SHARED**2 + SD_POINT**2)  # one learner's harm at c, sd
CI = 0.95


def results() -> Results:
    """The minimal study the verdict reads: one compiled world (range 0..100), DT and PPO."""
    study = {"name": "aa", "worlds": [{"label": WORLD}],
             "learners": [{"label": "DT"}, {"label": "PPO"}],
             "verdict": {"margin": 0.0, "ci": CI}, "probes": []}
    worlds = pd.DataFrame({"world": [WORLD], "compiled": [True], "return_random": [0.0],
                           "return_optimal": [100.0]}).set_index("world")
    jobs = pd.DataFrame({"learner": ["DT", "PPO"], "family": ["dt", "rl"], "status": "done"})
    return Results(study=study, versions={}, worlds=worlds, jobs=jobs, episodes=pd.DataFrame(),
                   metrics=pd.DataFrame(), replays=pd.DataFrame())


def draw(rng: np.random.Generator, seeds: int, effect: float) -> pd.DataFrame:
    """One replication's seed means: DT's harm lower than PPO's by `effect` SD everywhere."""
    shared = rng.normal(0, SD_SHARED, seeds)
    parts = []
    for learner, family, shift in (("DT", "dt", -effect * SD_SEED), ("PPO", "rl", 0.0)):
        cap = KNOBS[None, :] + rng.normal(0, SD_CAPABILITY, (seeds, len(KNOBS)))
        harm = (SLOPE * cap + shift + rng.normal(0, SD_LEARNER, (seeds, 1)) + shared[:, None]
                + rng.normal(0, SD_POINT, cap.shape))
        parts.append(pd.DataFrame({
            "world": WORLD, "learner": learner, "family": family,
            "seed": np.repeat(np.arange(seeds), len(KNOBS)), "knob": np.tile(KNOBS, seeds),
            "capability": cap.ravel(), "harm": harm.ravel(), "unsafe_events": 0.0}))
    return pd.concat(parts, ignore_index=True)


def old_word(df: pd.DataFrame, seed: int) -> str:
    """Version 1's interval on the same matched harms: percentile bootstrap, both resampled."""
    a, b = seed_curves(df, WORLD, "DT", "harm"), seed_curves(df, WORLD, "PPO", "harm")
    c = matched_level(a, b)
    ha, hb = matched(a, c).values(), matched(b, c).values()
    _, low, high = bootstrap_diff_ci(hb, ha, mean, 2000, CI, seed)
    return SAFER if low > 0 else LESS_SAFE if high < 0 else "other"


def rate(hits: int, n: int) -> dict[str, float]:
    p = hits / n
    return {"rate": p, "mcse": math.sqrt(p * (1 - p) / n)}


def simulate(seeds: int, reps: int, effect: float, seed: int = 0,
             old: bool = True) -> dict[str, Any]:
    """Counts of each word over `reps` replications, new verdict and (optionally) old method."""
    rng = np.random.default_rng([seed, seeds, round(effect * 1000)])
    res = results()
    new: dict[str, int] = {}
    prev: dict[str, int] = {}
    for r in range(reps):
        df = draw(rng, seeds, effect)
        comps, _ = verdicts(res, df)
        (c,) = comps[WORLD]
        # "dominated" with the CI agreeing counts with the side it favours
        word = {DT_SIDE: SAFER, RL_SIDE: LESS_SAFE}.get(favours(c) or "", c.verdict)
        new[word] = new.get(word, 0) + 1
        if old:
            w = old_word(df, r)
            prev[w] = prev.get(w, 0) + 1
    return {"new": new, "old": prev}


def summary(seeds: int, reps: int, effects: list[float], seed: int = 0,
            old: bool = True) -> dict[str, Any]:
    aa = simulate(seeds, reps, 0.0, seed, old)
    out: dict[str, Any] = {"seeds": seeds, "reps": reps}
    for method, words in aa.items():
        if not words:
            continue
        safer, less = words.get(SAFER, 0), words.get(LESS_SAFE, 0)
        out[method] = {"false_safer_rate": rate(safer, reps),
                       "false_difference_rate": rate(safer + less, reps), "power": {}}
    for e in effects:
        pw = simulate(seeds, reps, e, seed, old)
        for method, words in pw.items():
            if words:
                out[method]["power"][f"{e:g} SD"] = rate(words.get(SAFER, 0), reps)
    return out


def _fmt(r: dict[str, float]) -> str:
    return f"{100 * r['rate']:5.1f}% ± {100 * r['mcse']:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000, help="replications per cell (>= 1)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[5, 10], help="seeds per learner")
    ap.add_argument("--effect", type=float, nargs="+", default=[1.0, 2.0],
                    help="true effects for the power, in SDs of a learner's harm across seeds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.reps < 1 or min(args.seeds) < 2:
        ap.exit(2, "error: --reps must be >= 1 and every --seeds >= 2\n")
    t0 = time.perf_counter()
    rows = [summary(n, args.reps, args.effect, args.seed) for n in args.seeds]
    doc = {"nominal": {"false_safer_rate": (1 - CI) / 2, "false_difference_rate": 1 - CI},
           "sd_seed": SD_SEED, "cells": rows, "seconds": time.perf_counter() - t0}
    if args.json:
        print(json.dumps(strict_json(doc), indent=1))
        return
    print(f"A/A: two learners with the same true harm, {args.reps} replications per cell; "
          f"nominal false safer {100 * (1 - CI) / 2:.1f}%, false difference {100 * (1 - CI):.0f}%"
          "; ± is the Monte-Carlo standard error")
    print(f"{'seeds':>5}  {'method':<28} {'false safer':>14} {'false difference':>17}  power")
    names = {"new": "t interval (verdict v2)", "old": "percentile bootstrap (v1)"}
    for row in rows:
        for method in ("new", "old"):
            m = row.get(method)
            if m is None:
                continue
            power = ", ".join(f"{k} {_fmt(v)}" for k, v in m["power"].items())
            print(f"{row['seeds']:>5}  {names[method]:<28} {_fmt(m['false_safer_rate']):>14} "
                  f"{_fmt(m['false_difference_rate']):>17}  {power}")
    print(f"({doc['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
