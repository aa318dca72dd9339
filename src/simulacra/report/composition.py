"""Harm against data composition: does a learner's harm follow the share of the unsafe shortcut
among the data's top-return episodes (STUDY.md, "Data composition is the lever")?

Quantilizer theory predicts that a simulator's harm follows that share and that an agent's does
not. For each world on which the study uses datasets declaring different `shortcut_share`s
(`simulacra.data.composition`), this module gives the safety gap G - P (mean over seeds, with a
Student-t interval over seeds: `metrics.stats.diff_ci` paired against zero) against the share for:

- DT: the DT trained on each dataset, at its highest target (return asked for) that every seed's
  data reaches (the lowest of the seeds' data maxima, read from the study's shared datasets;
  where they cannot be read, its highest target, and the point says so);
- quantilizer: the exact quantilizer of each dataset at q = the dataset's `top_share`, the one
  that replays exactly the top set whose composition the share declares;
- %BC: %BC on each dataset at the same top fraction where it ran there, else its headline knob;
- RL: each RL learner of the world at its headline knob, one flat line: it does not train on the
  data, so the prediction to beat is that its harm does not move.

Where a dataset has several learners of one role (two DT entries), the first in the study file
is drawn. `composition(res)` returns the plain numbers, `composition_plot` the figure,
`composition_section(res)` the report's HTML fragment (None when no world has such datasets).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulacra.metrics.stats import diff_ci
from simulacra.report.analysis import headline_knob, seed_means
from simulacra.report.load import Results
from simulacra.report.markup import esc
from simulacra.report.plots import MARKERS, _band, _legend_below, colours, svg

DT, QUANTILIZER, PBC = "DT", "quantilizer", "%BC"


@dataclass(frozen=True)
class Point:
    """One learner's harm on one dataset (or, for RL, on the world)."""

    share: float  # the dataset's declared shortcut_share (NaN for RL: no dataset)
    dataset: str | None
    learner: str  # the study label
    knob: float | None  # the knob value the point is at
    mean: float  # safety gap G - P, mean over seeds
    low: float
    high: float
    seeds: int
    note: str = ""


def composition_datasets(res: Results) -> dict[str, dict[str, float]]:
    """Study datasets declaring `shortcut_share`: name -> {shortcut_share, top_share}."""
    out = {}
    for name, recipe in (res.study.get("datasets") or {}).items():
        if isinstance(recipe, dict) and recipe.get("shortcut_share") is not None:
            out[name] = {"shortcut_share": float(recipe["shortcut_share"]),
                         "top_share": float(recipe.get("top_share", 0.1))}
    return out


def composed_learners(res: Results) -> set[str]:
    """The learners trained on a composition dataset (`composition_datasets`) and the
    yardsticks paired with them: the composition figure is where they are read."""
    made = composition_datasets(res)
    specs = res.study.get("learners", [])
    composed = {s["label"] for s in specs if s.get("dataset") in made}
    return composed | {s["label"] for s in specs if s.get("pairs_with") in composed}


def _on_world(spec: dict[str, Any], world: str, res: Results) -> bool:
    worlds = spec.get("worlds")
    if worlds is None:
        return True
    # a spec names worlds by name or label; the rows carry the label
    names = {w["label"]: w.get("name", w["label"]) for w in res.study.get("worlds", [])}
    return world in worlds or names.get(world) in worlds


def _seed_estimate(values: np.ndarray, confidence: float) -> tuple[float, float, float, int]:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return math.nan, math.nan, math.nan, 0
    mean, low, high = diff_ci(v, np.zeros_like(v), confidence, paired=True)
    return mean, low, high, len(v)


def _data_max(res: Results, world: str, dataset: str) -> float | None:
    """The lowest over seeds of the dataset's maximum return on `world` (None if unreadable)."""
    if res.folder is None or res.jobs.empty or "config" not in res.jobs:
        return None
    from simulacra.data.storage import DatasetError, load_dataset
    from simulacra.study.datasets import dataset_file

    maxima = {}
    for raw, seed in res.jobs[res.jobs["world"] == world][["config", "seed"]].itertuples(
            index=False):
        config = json.loads(raw) if isinstance(raw, str) else raw
        if seed in maxima or (config.get("dataset") or {}).get("name") != dataset:
            continue
        path = res.folder / "shared" / "datasets" / dataset_file(config)
        try:
            maxima[seed] = float(load_dataset(path).returns().max())
        except (DatasetError, OSError, ValueError):
            return None
    return min(maxima.values()) if maxima else None


def _point(means: pd.DataFrame, world: str, learner: str, knob: float | None, share: float,
           dataset: str | None, confidence: float, note: str = "") -> Point | None:
    sub = means[(means["world"] == world) & (means["learner"] == learner)]
    if knob is not None and sub["knob"].notna().any():
        sub = sub[np.isclose(sub["knob"].astype(float), knob)]
    if sub.empty:
        return None
    mean, low, high, n = _seed_estimate(sub["harm"].to_numpy(np.float64), confidence)
    return Point(share, dataset, learner, knob, mean, low, high, n, note)


def _dt_knob(res: Results, means: pd.DataFrame, world: str, learner: str, dataset: str
             ) -> tuple[float | None, str]:
    knobs = sorted(means.loc[(means["world"] == world) & (means["learner"] == learner),
                             "knob"].dropna().astype(float).unique())
    if not knobs:
        return None, ""
    top = _data_max(res, world, dataset)
    if top is None:
        return knobs[-1], "highest target (the data's maximum could not be read)"
    within = [k for k in knobs if k <= top + 1e-9]
    if not within:
        return knobs[0], f"every target is above the data's maximum {top:g}: the lowest"
    return within[-1], ""


def composition(res: Results) -> dict[str, dict[str, list[Point]]]:
    """Per world with datasets of two or more shares: series name -> points sorted by share."""
    made = composition_datasets(res)
    if not made:
        return {}
    means = seed_means(res)
    conf = float(res.study.get("verdict", {}).get("ci", 0.95))
    specs = res.study.get("learners", [])
    out: dict[str, dict[str, list[Point]]] = {}
    for world in list(res.worlds.index) or sorted(means["world"].unique()):
        used = {s["dataset"] for s in specs
                if s.get("dataset") in made and _on_world(s, world, res)}
        if len({made[d]["shortcut_share"] for d in used}) < 2:
            continue
        series: dict[str, list[Point]] = {DT: [], QUANTILIZER: [], PBC: []}
        for d in sorted(used, key=lambda d: made[d]["shortcut_share"]):
            share, q = made[d]["shortcut_share"], made[d]["top_share"]
            on = [s for s in specs if s.get("dataset") == d and _on_world(s, world, res)]
            for role, kind in ((DT, "dt"), (QUANTILIZER, "quantilizer"), (PBC, "pbc")):
                spec = next((s for s in on if s["learner"] == kind), None)
                if spec is None:
                    continue
                label, note = spec["label"], ""
                if role == DT:
                    knob, note = _dt_knob(res, means, world, label, d)
                elif role == QUANTILIZER:
                    knob = q
                else:
                    has_q = any(np.isclose(float(v), q) for v in spec.get("knob_values") or [])
                    knob = q if has_q else headline_knob(res, label, world)
                p = _point(means, world, label, knob, share, d, conf, note)
                if p is not None:
                    series[role].append(p)
        family = means.groupby("learner")["family"].first().to_dict()
        for spec in specs:
            if family.get(spec["label"]) == "rl" and _on_world(spec, world, res):
                p = _point(means, world, spec["label"], headline_knob(res, spec["label"], world),
                           math.nan, None, conf)
                if p is not None:
                    series[f"RL: {spec['label']}"] = [p]
        out[world] = {k: v for k, v in series.items() if v}
    return out


def composition_plot(world: str, series: dict[str, list[Point]]) -> str:
    """Harm against the share, one line per series with its interval as a band; RL flat across
    the shares the other series span."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    colour = colours(list(series))
    shares = [p.share for pts in series.values() for p in pts if np.isfinite(p.share)]
    lo, hi = (min(shares), max(shares)) if shares else (0.0, 1.0)
    for name, pts in series.items():
        c = colour[name]
        if name.startswith("RL"):
            (p,) = pts
            x = np.array([lo, hi])
            ax.plot(x, [p.mean, p.mean], ls="--", color=c, lw=1.5, label=f"{name} (no data)")
            _band(ax, x, np.full(2, p.low), np.full(2, p.high), c)
            continue
        x = np.array([p.share for p in pts])
        marker = MARKERS["reference"] if name == QUANTILIZER else MARKERS["dt"]
        ax.plot(x, [p.mean for p in pts], marker=marker, ms=6, lw=1.5, color=c, label=name)
        _band(ax, x, np.array([p.low for p in pts]), np.array([p.high for p in pts]), c)
    ax.set_title(f"{world}: harm against the unsafe shortcut's share of the top episodes",
                 fontsize=10)
    ax.set_xlabel("share of the top-return episodes that take the unsafe shortcut")
    ax.set_ylabel("safety gap G − P (reward units)")
    _legend_below(fig, ax, ncol=3)
    return svg(fig)


def _fmt(p: Point) -> str:
    if p.seeds == 0 or math.isnan(p.mean):
        return "—"
    ci = "" if math.isnan(p.low) else f" [{p.low:.2f}, {p.high:.2f}]"
    return f"{p.mean:.2f}{ci}"


def composition_section(res: Results) -> str | None:
    """The report's "Harm against data composition" section, or None when no world has
    datasets of different `shortcut_share`."""
    data = composition(res)
    if not data:
        return None
    parts = ["<h2 id='composition'>Harm against data composition</h2><p class='small'>Each "
             "dataset declares the share of its top-return episodes (the top "
             "<code>top_share</code>) that take the unsafe shortcut (return above hidden "
             "performance). A simulator's harm should follow the share, as the exact quantilizer "
             "of the same data does; RL does not train on the data, so its harm is flat. Safety "
             "gap G − P, mean over seeds with a Student-t interval.</p>"]
    for world, series in data.items():
        shares = sorted({p.share for pts in series.values() for p in pts if np.isfinite(p.share)})
        head = "".join(f"<th>share {s:g}</th>" for s in shares)
        rows = []
        for name, pts in series.items():
            by = {p.share: p for p in pts}
            cells = []
            for s in shares:
                p = by.get(s) or (pts[0] if name.startswith("RL") else None)
                cell = _fmt(p) if p else "—"
                if p and p.note:
                    cell += f"<span class='ci'>{esc(p.note)}</span>"
                cells.append(f"<td class='num'>{cell}</td>")
            knobs = sorted({p.knob for p in pts if p.knob is not None})
            at = ", ".join(f"{k:g}" for k in knobs)
            rows.append(f"<tr><td>{esc(name)}<span class='ci'>{esc(pts[0].learner)}"
                        f"{' at ' + esc(at) if at else ''}</span></td>{''.join(cells)}</tr>")
        parts.append(f"<h3>{esc(world)}</h3><div class='fig'>"
                     f"{composition_plot(world, series)}</div><div class='tw'><table><tr>"
                     f"<th>learner</th>{head}</tr>{''.join(rows)}</table></div>")
    return "".join(parts)
