"""The report's computed sentences: what each learner did, in the world's own terms, and why each
answer is what it is. Nothing here is written by hand about a result: every number comes from the
store (episodes, metrics, worlds), every word of a verdict from `report.verdict`.

- A world is a *tension* world when its exact reward-optimal policy performs worse than the best
  performance (`report.tension`): there, maximising reward costs what the designers wanted, and
  the questions are live. The others are controls.
- What a learner did is read at one setting of its knob: the one whose mean capability is nearest
  the matched capability c* of the world's verdict (or, where nothing is matched, its most capable
  setting). Per event of the world: the share of episodes in which it happened at least once (per
  seed, then the mean over seeds), with the count per episode where it happened more than once;
  the safety gap where it applies; the supervisor sensitivity where the world stores it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulacra.report import labels
from simulacra.report.load import Results
from simulacra.report.tension import classify, classify_all
from simulacra.report.verdict import (
    EXCLUDED,
    MEASURES,
    Comparison,
    Overall,
    verdict_label,
    world_verdict,
)

REFERENCE_KINDS = ("reward_optimal", "performance_optimal", "random")
REFERENCE_NAMES = {"reward_optimal": "the reward-optimal policy",
                   "performance_optimal": "the performance-optimal policy",
                   "random": "random behaviour"}


def tension(res: Results, world: str) -> bool | None:
    """True for a tension world, False for a control, None where the exact figures are missing
    (`report.tension`: the one place that classes worlds)."""
    return classify(res, world).is_tension


def ordered_worlds(res: Results) -> list[tuple[str, bool | None]]:
    """The study's worlds, tension worlds first, then controls, then those not known (stable)."""
    ws = [(c.world, c.is_tension) for c in classify_all(res)]
    rank = {True: 0, False: 1, None: 2}
    return sorted(ws, key=lambda x: rank[x[1]])


def applicable(means: pd.DataFrame, world: str) -> list[str]:
    """The harm measures (keys of `MEASURES`) not zero throughout the world (the verdict's rule)."""
    rows = means[means["world"] == world]
    # any() rather than max() > 0: a world with no rows yet (a study run in pieces) has an
    # empty, nullable column whose max is <NA>, which has no truth value
    return [m for m in MEASURES if m in rows and bool(rows[m].fillna(0).abs().gt(0).any())]


def _knob_capability(means: pd.DataFrame, world: str, learner: str) -> pd.Series:
    sub = means[(means["world"] == world) & (means["learner"] == learner)]
    return sub.groupby("knob", dropna=False)["capability"].mean()


def _knob_value(k: float) -> float | None:
    return None if k is None or (isinstance(k, float) and math.isnan(k)) else float(k)


def nearest_setting(means: pd.DataFrame, world: str, learner: str, c: float) -> float | None:
    """The learner's knob value whose mean capability is nearest `c` (None: no knob)."""
    cap = _knob_capability(means, world, learner).dropna()
    if cap.empty:
        return None
    return _knob_value((cap - c).abs().idxmin())


def best_setting(means: pd.DataFrame, world: str, learner: str) -> float | None:
    """The learner's most capable knob value (None: no knob)."""
    cap = _knob_capability(means, world, learner).dropna()
    return None if cap.empty else _knob_value(cap.idxmax())


@dataclass
class Behaviour:
    learner: str
    kind: str  # learner_kind
    family: str
    knob: float | None
    knob_name: str | None
    capability: float
    seeds: int
    episodes: int
    shares: dict[str, float] = field(default_factory=dict)  # event column -> share of episodes
    counts: dict[str, float] = field(default_factory=dict)  # event column -> mean per episode
    gap: float = math.nan
    sensitivity: float = math.nan


def _at(df: pd.DataFrame, knob: float | None) -> pd.DataFrame:
    if knob is None or df.empty or df["knob"].isna().all():
        return df
    return df[np.isclose(df["knob"].astype(float), knob)]


def behaviour(res: Results, means: pd.DataFrame, world: str, learner: str,
              knob: float | None) -> Behaviour:
    """What `learner` did on `world` at knob value `knob` (see the module docstring)."""
    ep = _at(res.episodes[(res.episodes["world"] == world)
                          & (res.episodes["learner"] == learner)], knob)
    jobs = res.jobs[res.jobs["learner"] == learner]
    kind = str(jobs["learner_kind"].iloc[0]) if len(jobs) else ""
    family = str(jobs["family"].iloc[0]) if len(jobs) else ""
    knob_name = (ep["knob_name"].dropna().iloc[0] if len(ep) and ep["knob_name"].notna().any()
                 else None)
    m = _at(means[(means["world"] == world) & (means["learner"] == learner)], knob)
    out = Behaviour(learner, kind, family, knob, knob_name,
                    float(m["capability"].mean()) if len(m) else math.nan,
                    int(ep["seed"].nunique()), len(ep))
    if ep.empty:
        return out
    for col in res.event_columns:
        if ep[col].notna().any():
            x = ep[col].fillna(0).astype(float)
            out.shares[col] = float((x > 0).groupby(ep["seed"]).mean().mean())
            out.counts[col] = float(x.groupby(ep["seed"]).mean().mean())
    out.gap = float(ep["harm"].groupby(ep["seed"]).mean().mean())
    met = res.metrics
    if not met.empty:
        s = _at(met[(met["world"] == world) & (met["learner"] == learner)
                    & (met["metric"] == "supervisor_sensitivity")], knob).dropna(subset=["value"])
        if len(s):
            out.sensitivity = float(s.groupby("seed")["value"].mean().mean())
    return out


def _setting_words(b: Behaviour) -> str:
    if b.kind == "data" and b.knob is not None:
        return f"its episodes near {b.knob:g} of its return range"
    return labels.setting(b.knob_name, b.knob)


def describe(world: str, b: Behaviour, gap: bool, name: str | None = None) -> tuple[str, str]:
    """One learner's behaviour: (who, at which setting; what it did), e.g. ('PPO (after 50% of
    its step budget, capability 0.89)', 'cut through P while unwatched in 57% of episodes,
    safety gap 17.1')."""
    where = ", ".join(x for x in (_setting_words(b), f"capability {b.capability:.2f}"
                                  if np.isfinite(b.capability) else "") if x)
    head = (name or b.learner) + (f" ({where})" if where else "")
    if not b.episodes:
        return head, "no episodes"
    did = []
    for col, share in b.shares.items():
        times = b.counts[col]
        extra = (f" ({times:.2g} times per episode on average)"
                 if share > 0 and times > 1.05 * share else "")
        did.append(f"{labels.event(world, col)} in {share:.0%} of episodes{extra}")
    if np.isfinite(b.sensitivity):
        did.append(f"{labels.unsafe(world)} differs by {b.sensitivity:.2f} between unwatched "
                   "and watched episodes")
    if gap:
        did.append(f"safety gap {b.gap:.3g}")
    return head, ", ".join(did)


def unreached_seeds(metrics: pd.DataFrame, world: str) -> dict[str, tuple[list[int], int]]:
    """Per RL learner that trained towards a target return on `world` (`rl_reached_target`
    rows, one per seed, `study/learner_jobs.py`): (the seeds that never reached it, seeds)."""
    if metrics.empty:
        return {}
    m = metrics[(metrics["world"] == world) & (metrics["metric"] == "rl_reached_target")]
    return {str(lab): (sorted(int(s) for s in g.loc[g["value"] < 0.5, "seed"]), len(g))
            for lab, g in m.groupby("learner", sort=True)}


@dataclass
class WorldStory:
    capability: float  # c*, NaN where nothing is matched
    settings: dict[str, float | None]  # learner -> the knob value described (for the replays)
    #: sentences as (opening words, [(learner and setting, what it did)])
    parts: list[tuple[str, list[tuple[str, str]]]]

    @property
    def sentences(self) -> list[str]:
        """The paragraph as plain text, one string per sentence."""
        return [lead + "; ".join(f"{who}: {did}" if did else who for who, did in items) + "."
                for lead, items in self.parts]


def _live(comps: list[Comparison]) -> list[Comparison]:
    return [c for c in comps if np.isfinite(c.capability)]


def world_story(res: Results, means: pd.DataFrame, world: str,
                comps: list[Comparison]) -> WorldStory:
    """What the learners did on `world` (module docstring), sentence by sentence."""
    here = list(dict.fromkeys(means.loc[means["world"] == world, "learner"]))
    order = [s["label"] for s in res.study["learners"] if s["label"] in here]
    kinds = dict(zip(res.jobs["learner"], res.jobs["learner_kind"], strict=False))
    refs = [x for x in order if kinds.get(x) in REFERENCE_KINDS]
    live = _live(comps)
    gap = "harm" in applicable(means, world)
    c = live[0].capability if live else math.nan
    main = list(dict.fromkeys([*(x.dt for x in live), *(x.rl for x in live)])) if live else [
        x for x in order if x not in refs]
    rest = [x for x in order if x not in main and x not in refs]

    def pick(learner: str) -> float | None:
        return nearest_setting(means, world, learner, c) if live else best_setting(
            means, world, learner)

    settings = {x: pick(x) for x in [*main, *rest]}
    said = {x: describe(world, behaviour(res, means, world, x, settings[x]), gap)
            for x in settings}
    if live:
        lead = (f"At the matched capability c* = {c:.2f} (each learner at its setting nearest "
                "it): ")
    else:
        why = next((x.reason for x in comps if x.reason), "no DT and RL learner to compare")
        lead = (f"No capability is matched on this world ({why}); each learner at its most "
                "capable setting: ")
    parts = []
    if main:
        parts.append((lead, [said[x] for x in main]))
    if rest:
        parts.append(("Also: " if main else lead, [said[x] for x in rest]))
    never = [x for x, (missed, n) in unreached_seeds(res.metrics, world).items()
             if len(missed) == n]
    if never:
        parts.append(("Never reached its target return within its budget, on any seed: ",
                      [(x, "") for x in never]))
    if refs:
        parts.append(("For reference: ", [
            describe(world, behaviour(res, means, world, x, None), gap,
                     REFERENCE_NAMES.get(kinds.get(x, ""), x)) for x in refs]))
    return WorldStory(c, settings, parts)


def _num(x: float) -> str:
    return f"{x:.3g}" if np.isfinite(x) else "—"


def comparison_text(c: Comparison) -> str:
    """One comparison in words: the word, the numbers behind it and the interval."""
    head = f"{c.dt} vs {c.rl or 'RL'}, {MEASURES[c.measure]}: {verdict_label(c)}"
    if not np.isfinite(c.capability):
        return f"{head} ({c.reason})"
    nums = (f"at c* = {c.capability:.2f}, {c.dt} {_num(c.harm_dt)} vs {c.rl} {_num(c.harm_rl)}")
    if np.isfinite(c.low):
        nums += (f", {c.rl} − {c.dt} {_num(c.diff)} [{_num(c.low)}, {_num(c.high)}], margin "
                 f"±{_num(c.margin)}")
    return f"{head} ({nums}{'; ' + c.reason if c.reason else ''})"


def _reach(means: pd.DataFrame, world: str, learners: list[str]) -> str:
    caps = []
    for x in learners:
        v = means.loc[(means["world"] == world) & (means["learner"] == x), "capability"].max()
        if np.isfinite(v):
            caps.append(f"{x} reaches at most {v:.2f}")
    return ", ".join(caps)


def _word(comps: list[Comparison], word: str) -> str:
    """A world's word with the qualifier of a comparison that has it ('dominated (DT
    dominates)')."""
    c = next((c for c in comps if c.verdict == word), None)
    return verdict_label(c) if c else word


def answer_why(res: Results, means: pd.DataFrame, comps: dict[str, list[Comparison]],
               overall: Overall, limit: int = 2) -> str:
    """One line of why for the answer card: the worlds behind the overall word, with numbers."""
    words = {w: world_verdict(cs) for w, cs in comps.items() if cs}
    live = {w: v for w, v in words.items() if v not in EXCLUDED}
    if not words:
        return "no world has both a DT and an RL learner that vote, so nothing was compared"
    out = ""
    if live:
        backing = [w for w, v in live.items() if v == overall.verdict] or list(live)
        parts = []
        for w in backing[:limit]:
            c = next((x for x in comps[w] if np.isfinite(x.capability)), comps[w][0])
            parts.append(f"{w}: {comparison_text(c)}")
        more = len(backing) - limit
        out = "; ".join(parts) + (f"; and {more} more world{'s' * (more > 1)} below"
                                  if more > 0 else "") + ". "
        others = [f"{w}: {_word(comps[w], v)}" for w, v in live.items() if w not in backing]
        if others:
            out += "Also " + "; ".join(others) + ". "
    left = [w for w in words if w not in live]
    if left:
        parts = []
        for w in left[:limit + 1]:
            learners = list(dict.fromkeys([*(x.dt for x in comps[w]), *(
                r for x in comps[w] for r in x.rl.split(" / ") if r)]))
            parts.append(f"{w}: {_reach(means, w, learners) or 'no capability figures'}")
        out += ("No capability both sides reach above random with every seed on "
                f"{len(left)} world{'s' * (len(left) > 1)} (" + "; ".join(parts) + ").")
    return out.strip()
