"""Counter-claim probes: named comparisons whose predictions were written before the run.

A probe (the study file's `probes:`, validated in `simulacra.study.schema`) reads results the
study's jobs stored anyway; it adds no job and stores nothing. It compares one learner at one
knob value with its declared baseline (another learner/knob, or a constant) two-sidedly: the
counter-claim predicts a direction (`counter_claim_if`), the hypothesis either a match within the
margin or the other direction (`hypothesis_if`), and a result either side did not predict is
said as such.

1. Per seed, the measure of the learner at its knob: for an episode column (return, performance,
   length, harm, unsafe_events, event_<name>) the mean over that seed's episodes at that knob;
   for a metric the value of its row for that seed and knob (a metric stored once per job, with
   no knob, such as calibration over the whole sweep, is read as it is). The same for the
   baseline; a constant baseline is the same on every seed.
2. d = learner - baseline, the mean over seeds with a t interval (`metrics.stats.diff_ci`):
   paired (the one-sample t of per-seed differences) when both sides have the same seeds, which
   then share their evaluation seeds (`evaluate/seeds.py` derives them from the run seed alone)
   and, for a knob sweep or learners on one recipe, the training data; Welch's t over each
   side's seeds otherwise; against a constant, the one-sample t of learner - constant. P(beyond),
   the probability that a seed's learner value lies beyond the baseline's in the counter-claim's
   direction (`metrics.stats.probability_of_improvement`), is descriptive only.
3. With [lo, hi] the interval of d and m the probe's margin, "beyond m upwards" is lo > m,
   "beyond m downwards" hi < -m, "within m" -m <= lo and hi <= m. In this order:
   - "supports the counter-claim": beyond m in the counter-claim's direction;
   - hypothesis_if: match (the hypothesis predicts "the same as the data / the baseline", tested
     as equivalence): "supports the hypothesis" within m; "departs the other way" beyond m in
     the direction opposite to the counter-claim's, which neither side predicted;
   - hypothesis_if: the other direction: "supports the hypothesis" beyond m that way; "no
     difference" within m, which neither side predicted;
   - otherwise "inconclusive" (also with fewer than 2 seeds on a side: no interval).
4. "cannot discriminate": an out-of-distribution probe whose learner's data leave it no way to
   fail on that world (`study.probe_data`: the data take every action in every state they
   visit) cannot support the hypothesis there. Seeds whose data are like that ("blind") are
   left out of 2 and named, and when every seed is, the outcome is "cannot discriminate" with
   the reason. An outcome of "supports the counter-claim" over all seeds stands as it is: the
   learner did leave its data (through outcomes they never sampled), so the probe could fail.
   "not measured" when a side has no rows, naming which.

Each result carries `finding`: what was found in plain words (which side, if any, predicted it,
with the numbers), which the report and `report --summary` print beside the outcome word.

A probe with a `world` is evaluated on each study world with that label or name; one without,
on every world where both sides have rows (a constant baseline: where the learner has rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulacra.metrics.stats import diff_ci, probability_of_improvement
from simulacra.study.probe_data import DataLookup, blind_seeds, folder_lookup
from simulacra.study.schema import EPISODE_MEASURES

if TYPE_CHECKING:
    from simulacra.report.load import Results

COUNTER, HYPOTHESIS, OTHER_WAY, NO_DIFFERENCE = (
    "supports the counter-claim", "supports the hypothesis", "departs the other way",
    "no difference")
INCONCLUSIVE, CANNOT, NOT_MEASURED = "inconclusive", "cannot discriminate", "not measured"
OUTCOMES = (COUNTER, HYPOTHESIS, OTHER_WAY, NO_DIFFERENCE, INCONCLUSIVE, CANNOT, NOT_MEASURED)


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
    hypothesis_if: str = "match"  # match | lower | higher: what the hypothesis predicts
    learner_value: float = math.nan  # means over the seeds used
    baseline_value: float = math.nan
    diff: float = math.nan  # learner - baseline, mean over seeds
    low: float = math.nan
    high: float = math.nan
    paired: bool = False  # the interval: paired t (or one-sample against a constant), or Welch
    p_beyond: float = math.nan  # P(learner beyond baseline in the counter-claim's direction)
    seeds: int = 0  # learner seeds used
    baseline_seeds: int = 0  # baseline seeds used (the learner's against a constant)
    verdict: str = NOT_MEASURED  # one of OUTCOMES
    reason: str = ""  # why not measured / cannot discriminate / inconclusive, or seeds left out
    discrimination: str = ""  # what the discriminability check found, or why it was not made
    finding: str = ""  # the outcome in plain words (see the module docstring)


def is_episode_measure(measure: str) -> bool:
    return measure in EPISODE_MEASURES or measure.startswith("event_")


def _knob_text(knob: float | None) -> str:
    return "" if knob is None else f" at knob {knob:g}"


def side_knob(side: dict[str, Any], world: str) -> float | None:
    """The knob a probe side (the probe itself, or its baseline) reads on `world`: for a learner
    asked for target returns, the return `study.targets.resolve` resolved for that world (a
    `{fraction: F}`, or no knob: the learner's largest target); otherwise the knob as written.
    A fraction never resolved (a store written without it) reads nothing: NaN."""
    by_world = side.get("knob_by_world")
    if by_world:
        return by_world.get(world, math.nan)
    knob = side.get("knob")
    return math.nan if isinstance(knob, dict) else knob


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
    return per_seed(res, world, b["learner"], side_knob(b, world), p["measure"])


def _written(side: dict[str, Any]) -> str:
    """A side's knob as the study wrote it (the same on every world)."""
    knob = side.get("knob")
    if isinstance(knob, dict):
        return f" at {knob['fraction']:g} of its data's return range"
    if knob is None and side.get("knob_by_world"):
        return " at its largest target"
    return _knob_text(knob)


def _describe_baseline(b: dict[str, Any], world: str) -> str:
    if "value" in b:
        return f"the constant {b['value']:g}"
    return f"{b['learner']}{_knob_text(side_knob(b, world))}"


def _worlds(res: Results, p: dict[str, Any], study: dict[str, Any]) -> list[str]:
    if p.get("world") is not None:
        return [w["label"] for w in study["worlds"] if p["world"] in (w["label"], w["name"])]
    out = []
    for w in [w["label"] for w in study["worlds"]]:
        base = _base(res, p, w)
        if len(per_seed(res, w, p["learner"], side_knob(p, w), p["measure"])) and (
                isinstance(base, float) or len(base)):
            out.append(w)
    return out


def _absent(res: Results, measure: str) -> str | None:
    """Why no learner has rows of `measure` at all (a metric no job computed)."""
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
    sides = [(f"{p['learner']}{_written(p)}", p)]
    if "learner" in p["baseline"]:
        b = p["baseline"]
        sides.append((f"the baseline {b['learner']}{_written(b)}", b))
    empty = [name for name, side in sides
             if not any(len(per_seed(res, w, side["learner"], side_knob(side, w), p["measure"]))
                        for w in labels)]
    if empty:
        return f"{' and '.join(empty)}: no rows of {p['measure']} on any world of the study"
    return f"the two sides have rows of {p['measure']} on different worlds, never on the same"


def decide(low: float, high: float, margin: float, counter_if: str, hypothesis_if: str) -> str:
    """The outcome of an interval [low, high] of learner - baseline (module docstring, 3)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return INCONCLUSIVE

    def beyond(direction: str) -> bool:
        return low > margin if direction == "higher" else high < -margin

    within = -margin <= low and high <= margin
    if beyond(counter_if):
        return COUNTER
    if hypothesis_if == "match":
        other = "lower" if counter_if == "higher" else "higher"
        return HYPOTHESIS if within else OTHER_WAY if beyond(other) else INCONCLUSIVE
    return HYPOTHESIS if beyond(hypothesis_if) else NO_DIFFERENCE if within else INCONCLUSIVE


def _n(x: float) -> str:
    return f"{x:.3g}" if np.isfinite(x) else "—"


def finding(r: ProbeResult) -> str:
    """What `r` found in plain words, and which side (if any) predicted it; the outcome word
    goes before it (`report --summary`) or beside it (the report's badge)."""
    side = f"{r.learner}{_knob_text(r.knob)}"
    nums = (f"{r.measure} {_n(r.learner_value)} vs {_n(r.baseline_value)}, difference "
            f"{_n(r.diff)} [{_n(r.low)}, {_n(r.high)}]")
    m = f"{r.margin:g}"
    if r.verdict == NOT_MEASURED:
        return r.reason
    if r.verdict == CANNOT:
        return f"{r.reason} ({nums})"
    if r.verdict == COUNTER:
        return (f"{side} is {r.direction} than {r.baseline} by more than the margin {m}, as the "
                f"counter-claim predicted ({nums})")
    if r.verdict == HYPOTHESIS and r.hypothesis_if == "match":
        return f"{side} matches {r.baseline} within ±{m}, as the hypothesis predicted ({nums})"
    if r.verdict == HYPOTHESIS:
        return (f"{side} is {r.hypothesis_if} than {r.baseline} by more than the margin {m}, as "
                f"the hypothesis predicted ({nums})")
    if r.verdict == OTHER_WAY:
        return (f"neither side predicted this: {side} departs from {r.baseline} the other way, "
                f"{'higher' if r.diff > 0 else 'lower'} by more than the margin {m} ({nums}); "
                f"the hypothesis predicted a match, the counter-claim {r.direction}")
    if r.verdict == NO_DIFFERENCE:
        return (f"neither side predicted this: {side} matches {r.baseline} within ±{m} "
                f"({nums}); the hypothesis predicted {r.hypothesis_if}, the counter-claim "
                f"{r.direction}")
    why = r.reason if r.seeds < 2 or not np.isfinite(r.low) else (
        f"the interval settles neither side against the margin ±{m}")
    return f"{why} ({nums})"


def _interval(out: ProbeResult, x: pd.Series, base: pd.Series | float, blind: list[int],
              confidence: float) -> None:
    """Fill the numbers of `out` from the seeds not in `blind` (module docstring, 2)."""
    x = x.drop(index=[s for s in blind if s in x.index])
    if isinstance(base, float):
        xs = x.to_numpy(float)
        ys, bs, out.paired = np.array([base]), np.full(len(xs), base), True
        out.baseline_seeds = len(xs)
    else:
        base = base.drop(index=[s for s in blind if s in base.index])
        out.paired = sorted(x.index) == sorted(base.index)
        if out.paired:
            seeds = sorted(x.index)
            xs, bs = x.loc[seeds].to_numpy(float), base.loc[seeds].to_numpy(float)
        else:
            xs, bs = x.to_numpy(float), base.to_numpy(float)
        ys = bs
        out.baseline_seeds = len(bs)
    out.seeds = len(xs)
    if not len(xs) or not len(bs):
        return
    sign = 1.0 if out.direction == "higher" else -1.0
    out.learner_value, out.baseline_value = float(xs.mean()), float(bs.mean())
    out.p_beyond = probability_of_improvement(sign * xs, sign * ys)
    out.diff, out.low, out.high = diff_ci(xs, bs, confidence, paired=out.paired)


def evaluate_probe(res: Results, p: dict[str, Any], world: str, confidence: float,
                   data: DataLookup | None = None) -> ProbeResult:
    """One probe on one world (see the module docstring). `data`: where the learner's datasets
    come from for the discriminability check (default: the study folder of `res`)."""
    knob = side_knob(p, world)
    out = ProbeResult(
        p["name"], world, p["question"], p["predictions"]["hypothesis"],
        p["predictions"]["counter_claim"], p["measure"], p["learner"], knob,
        _describe_baseline(p["baseline"], world), p["counter_claim_if"], float(p["margin"]),
        p.get("hypothesis_if", "match"))  # a store written before hypothesis_if: match
    m = p["measure"]
    absent = _absent(res, m)
    x = per_seed(res, world, p["learner"], knob, m) if not absent else pd.Series(dtype=float)
    base = _base(res, p, world)
    if absent:
        out.reason = absent
    elif x.empty:
        out.reason = f"{p['learner']}{_knob_text(knob)} has no rows of {m} on {world}"
    elif not isinstance(base, float) and base.empty:
        out.reason = f"the baseline {out.baseline} has no rows of {m} on {world}"
    if out.reason:
        out.finding = finding(out)
        return out
    lookup = data if data is not None else folder_lookup(res.folder, res.jobs)
    blind = blind_seeds(m, world, p["learner"], sorted(int(s) for s in x.index), lookup)
    out.discrimination = blind.note
    _interval(out, x, base, [], confidence)
    out.verdict = decide(out.low, out.high, out.margin, out.direction, out.hypothesis_if)
    notes = []
    if out.verdict == COUNTER:
        # The learner did what its data never did: the probe could fail, and failed. Seeds
        # whose data are closed (it left them through outcomes they never sampled) still count.
        if blind.seeds:
            notes.append(f"seeds {blind.seeds} have closed data ({blind.reason.split(':')[0]}),"
                         " yet the learner left them through outcomes they never sampled")
        out.discrimination = "" if blind.note.startswith("discriminability not") else blind.note
    elif len(blind.seeds) == len(x):
        out.verdict, out.reason = CANNOT, blind.reason  # the numbers stay, shown beside it
        out.finding = finding(out)
        return out
    elif blind.seeds:  # seeds where the probe cannot fail cannot count for the hypothesis
        _interval(out, x, base, blind.seeds, confidence)
        out.verdict = decide(out.low, out.high, out.margin, out.direction, out.hypothesis_if)
        notes.append(f"seeds {blind.seeds} left out, where the probe cannot fail: {blind.reason}")
    if out.seeds < 2 or out.baseline_seeds < 2:
        notes.append("fewer than 2 seeds on a side: no interval")
    out.reason = "; ".join(notes)
    out.finding = finding(out)
    return out


def evaluate_probes(results: Results, study_raw: dict[str, Any] | None = None,
                    data: DataLookup | None = None) -> list[ProbeResult]:
    """Every probe of the study on each world it applies to (see the module docstring).
    `study_raw`: the resolved study document (default: the one stored with the results);
    `data`: the learners' datasets (default: read from the results' study folder)."""
    study = results.study if study_raw is None else study_raw
    confidence = float(study.get("verdict", {}).get("ci", 0.95))
    lookup = data if data is not None else folder_lookup(results.folder, results.jobs)
    out: list[ProbeResult] = []
    for p in study.get("probes") or []:
        worlds = _worlds(results, p, study)
        if not worlds:
            r = evaluate_probe(results, p, "", confidence, lookup)
            r.world = None
            if r.knob is not None and math.isnan(r.knob):  # resolved per world, and no world
                r.knob = None
            r.reason = _absent(results, p["measure"]) or _nowhere(results, p, study)
            r.finding = finding(r)
            out.append(r)
            continue
        out += [evaluate_probe(results, p, w, confidence, lookup) for w in worlds]
    return out
