"""Counter-claim probes: named comparisons whose predictions were written before the run.

A probe (the study file's `probes:`, validated in `simulacra.study.schema`) reads results the
study's jobs stored anyway; it adds no job and stores nothing. It asks whether one learner at
one knob value differs from a baseline (another learner/knob, or a constant) in the direction the
counter-claim predicts, by more than a margin:

1. Per seed, the measure of the learner at its knob: for an episode column (return, performance,
   length, harm, unsafe_events, event_<name>) the mean over that seed's episodes at that knob;
   for a metric the value of its row for that seed and knob (a metric stored once per job, with
   no knob, such as calibration over the whole sweep, is read as it is). The same for the
   baseline; a constant baseline is the same on every seed.
2. d_s = learner_s - baseline_s over the seeds both sides have (paired: a knob sweep inside one
   job, or learners sharing the seed's dataset). The point is the mean of d over seeds, its CI
   a percentile bootstrap over seeds (`metrics.stats.bootstrap_ci` of the mean), and P(beyond)
   the probability that the learner's value lies beyond the baseline's in the counter-claim's
   direction (`metrics.stats.probability_of_improvement`).
3. With e = d signed so that the counter-claim predicts e > 0 and m the probe's margin:
   "supports the counter-claim" when the whole CI of e lies above +m; "supports the hypothesis"
   when it lies at or below +m (the counter-claim's predicted effect, e > m, is excluded; with
   m = 0 a learner that never does what it never saw does supports it); otherwise
   "inconclusive" (also with fewer than 2 seeds: no interval). "not measured" when a side has
   no rows, naming which.

A probe with a `world` is evaluated on each study world with that label or name; one without,
on every world where both sides have rows (a constant baseline: where the learner has rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulacra.metrics.stats import bootstrap_ci, mean, probability_of_improvement
from simulacra.study.schema import EPISODE_MEASURES

if TYPE_CHECKING:
    from simulacra.report.load import Results

COUNTER, HYPOTHESIS, INCONCLUSIVE, NOT_MEASURED = (
    "supports the counter-claim", "supports the hypothesis", "inconclusive", "not measured")
REPS = 2000


@dataclass
class ProbeResult:
    name: str
    world: str | None  # None: the probe found no world to read
    question: str
    hypothesis: str  # the predictions, as written in the study file before the run
    counter_claim: str
    measure: str
    learner: str
    knob: float | None
    baseline: str  # "DT at knob 1" or "the constant 0"
    direction: str  # higher | lower: the sign of learner - baseline the counter-claim predicts
    margin: float
    learner_value: float = math.nan  # means over the seeds used
    baseline_value: float = math.nan
    diff: float = math.nan  # learner - baseline, mean over seeds
    low: float = math.nan
    high: float = math.nan
    p_beyond: float = math.nan  # P(learner beyond baseline in the counter-claim's direction)
    seeds: int = 0
    verdict: str = NOT_MEASURED
    reason: str = ""


def is_episode_measure(measure: str) -> bool:
    return measure in EPISODE_MEASURES or measure.startswith("event_")


def _knob_text(knob: float | None) -> str:
    return "" if knob is None else f" at knob {knob:g}"


def per_seed(res: Results, world: str, learner: str, knob: float | None,
             measure: str) -> pd.Series:
    """The measure per seed for one learner at one knob value on one world (NaNs dropped)."""
    if is_episode_measure(measure):
        df = res.episodes
        if df.empty or measure not in df.columns:
            return pd.Series(dtype=float)
        df = df[(df["world"] == world) & (df["learner"] == learner)]
        col = measure
    else:
        df = res.metrics
        if df.empty:
            return pd.Series(dtype=float)
        df = df[(df["world"] == world) & (df["learner"] == learner) & (df["metric"] == measure)]
        col = "value"
    if knob is not None and df["knob"].notna().any():  # a whole-job metric has no knob
        df = df[np.isclose(df["knob"].astype(float), knob)]
    return df.groupby("seed")[col].mean().dropna()


def _base(res: Results, p: dict[str, Any], world: str) -> pd.Series | float:
    b = p["baseline"]
    if "value" in b:
        return float(b["value"])
    return per_seed(res, world, b["learner"], b["knob"], p["measure"])


def _describe_baseline(b: dict[str, Any]) -> str:
    if "value" in b:
        return f"the constant {b['value']:g}"
    return f"{b['learner']}{_knob_text(b['knob'])}"


def _worlds(res: Results, p: dict[str, Any], study: dict[str, Any]) -> list[str]:
    if p.get("world") is not None:
        return [w["label"] for w in study["worlds"] if p["world"] in (w["label"], w["name"])]
    out = []
    for w in [w["label"] for w in study["worlds"]]:
        base = _base(res, p, w)
        if len(per_seed(res, w, p["learner"], p["knob"], p["measure"])) and (
                isinstance(base, float) or len(base)):
            out.append(w)
    return out


def _absent(res: Results, measure: str) -> str | None:
    """Why no learner has rows of `measure` at all (a typo, or a metric no job computed)."""
    if is_episode_measure(measure):
        return None if measure in res.episodes.columns else (
            f"no episode column {measure!r} in the store")
    known = sorted(res.metrics["metric"].unique()) if not res.metrics.empty else []
    if measure in known:
        return None
    more = ", ..." if len(known) > 12 else ""
    return f"no metric {measure!r} in the store (stored: {', '.join(known[:12]) or 'none'}{more})"


def _nowhere(res: Results, p: dict[str, Any], study: dict[str, Any]) -> str:
    """Which side has no rows on any world (or that they never meet on one)."""
    labels = [w["label"] for w in study["worlds"]]
    sides = [(f"{p['learner']}{_knob_text(p['knob'])}", p["learner"], p["knob"])]
    if "learner" in p["baseline"]:
        b = p["baseline"]
        sides.append((f"the baseline {_describe_baseline(b)}", b["learner"], b["knob"]))
    empty = [name for name, lab, knob in sides
             if not any(len(per_seed(res, w, lab, knob, p["measure"])) for w in labels)]
    if empty:
        return f"{' and '.join(empty)}: no rows of {p['measure']} on any world of the study"
    return f"the two sides have rows of {p['measure']} on different worlds, never on the same"


def evaluate_probe(res: Results, p: dict[str, Any], world: str, confidence: float,
                   seed: int = 0) -> ProbeResult:
    """One probe on one world (see the module docstring)."""
    out = ProbeResult(
        p["name"], world, p["question"], p["predictions"]["hypothesis"],
        p["predictions"]["counter_claim"], p["measure"], p["learner"], p["knob"],
        _describe_baseline(p["baseline"]), p["counter_claim_if"], float(p["margin"]))
    m = p["measure"]
    absent = _absent(res, m)
    if absent:
        out.reason = absent
        return out
    x = per_seed(res, world, p["learner"], p["knob"], m)
    base = _base(res, p, world)
    if x.empty:
        out.reason = f"{p['learner']}{_knob_text(p['knob'])} has no rows of {m} on {world}"
        return out
    if isinstance(base, float):
        seeds = list(x.index)
        xs, bs, ys = x.to_numpy(float), np.full(len(x), base), np.array([base])
    else:
        if base.empty:
            out.reason = f"the baseline {out.baseline} has no rows of {m} on {world}"
            return out
        seeds = sorted(set(x.index) & set(base.index))
        if not seeds:
            out.reason = (f"no seed has both {p['learner']} (seeds {sorted(x.index)}) and the "
                          f"baseline (seeds {sorted(base.index)}) on {world}")
            return out
        xs, bs = x.loc[seeds].to_numpy(float), base.loc[seeds].to_numpy(float)
        ys = bs
    d = xs - bs  # [seeds]
    sign = 1.0 if p["counter_claim_if"] == "higher" else -1.0
    out.seeds = len(seeds)
    out.learner_value, out.baseline_value = float(xs.mean()), float(bs.mean())
    out.p_beyond = probability_of_improvement(sign * xs, sign * ys)
    if len(d) < 2:
        out.diff = float(d.mean())
        out.verdict, out.reason = INCONCLUSIVE, "one seed: no interval"
        return out
    out.diff, out.low, out.high = bootstrap_ci(d, mean, REPS, confidence, seed)
    e_low, e_high = sorted((sign * out.low, sign * out.high))
    if e_low > out.margin:
        out.verdict = COUNTER
    elif e_high <= out.margin:
        out.verdict = HYPOTHESIS
    else:
        out.verdict = INCONCLUSIVE
    return out


def evaluate_probes(results: Results, study_raw: dict[str, Any] | None = None
                    ) -> list[ProbeResult]:
    """Every probe of the study on each world it applies to (see the module docstring).
    `study_raw`: the resolved study document (default: the one stored with the results)."""
    study = results.study if study_raw is None else study_raw
    confidence = float(study.get("verdict", {}).get("ci", 0.95))
    out: list[ProbeResult] = []
    for p in study.get("probes") or []:
        worlds = _worlds(results, p, study)
        if not worlds:
            r = evaluate_probe(results, p, "", confidence)
            r.world = None
            r.reason = _absent(results, p["measure"]) or _nowhere(results, p, study)
            out.append(r)
            continue
        out += [evaluate_probe(results, p, w, confidence) for w in worlds]
    return out
