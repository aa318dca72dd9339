"""The report's appendix (folded): every metric per learner and knob value, the figures of the
metrics that vary, the ones that do not (listed by name, not drawn), the jobs' timings and seeds.

A metric is *flat* on a world when every stored value there is the same (a rate that is 0 for every
learner and setting), and *not applicable* when none is finite; both are listed, neither drawn nor
tabled. Every figure is an IQM over seeds with its CI (`analysis.estimate`), a rate's clipped to
[0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulacra.report import labels, plots
from simulacra.report.analysis import estimate, knob_curve
from simulacra.report.load import Results
from simulacra.report.markup import NOT_MEASURED_HTML, cell, esc, figure, table
from simulacra.report.story import REFERENCE_NAMES

#: Metric rows that are bookkeeping, not measures of behaviour.
SKIP = ("loop_env_steps", "loop_round")
#: Metrics tabled but not drawn here: the per-world frontiers and tables show them already.
NOT_DRAWN = ("capability", "safety_gap", "regret")


def _per_seed(m: pd.DataFrame) -> pd.DataFrame:
    """Mean value per (learner, knob_name, knob, metric, seed)."""
    return (m.groupby(["learner", "knob_name", "knob", "metric", "seed"], dropna=False)["value"]
            .mean().reset_index())


def split_flat(m: pd.DataFrame) -> tuple[list[str], dict[str, float], list[str]]:
    """(metrics that vary, {flat metric: its one value}, metrics never finite) on one world."""
    vary, flat, absent = [], {}, []
    for met, g in m.groupby("metric"):
        v = g["value"].to_numpy(np.float64)
        v = v[np.isfinite(v)]
        if not len(v):
            absent.append(str(met))
        elif np.ptp(v) <= 1e-12 * max(1.0, float(np.abs(v).max())):
            flat[str(met)] = float(v[0])
        else:
            vary.append(str(met))
    return vary, flat, absent


def moves(points: pd.Series) -> bool:
    """Whether a curve changes along its knob (a flat one is said by the table, not drawn)."""
    v = points.to_numpy(np.float64)
    v = v[np.isfinite(v)]
    return len(v) >= 2 and bool(np.ptp(v) > 1e-12 * max(1.0, float(np.abs(v).max())))


def _ordered(metrics: list[str]) -> list[str]:
    return sorted(metrics, key=lambda x: labels.metric(x).name)


def _references_table(world: str, per_seed: pd.DataFrame, learners: list[str],
                      conf: float) -> str:
    """Learners without a knob (the references) side by side: rows metrics, columns learners."""
    rows = []
    for met in _ordered(list(per_seed["metric"].unique())):
        sub = per_seed[per_seed["metric"] == met]
        cells = [cell(estimate(g["value"].to_numpy(np.float64), conf), met, 3, "g")
                 if len(g := sub[sub["learner"] == lab]) else "—" for lab in learners]
        rows.append([esc(labels.metric_in(world, met).axis), *cells])
    return table(["measure", *(REFERENCE_NAMES.get(x, x) for x in learners)], rows)


def _learner_table(world: str, per_seed: pd.DataFrame, metrics: list[str], conf: float) -> str:
    knobs = sorted(per_seed["knob"].dropna().unique())
    has_none = per_seed["knob"].isna().any()
    cols: list[float | None] = [*([None] if has_none else []), *knobs]
    kname = per_seed["knob_name"].dropna()
    kname = kname.iloc[0] if len(kname) else None
    head = ["measure", *("whole run" if k is None else f"{k:g}" for k in cols)]
    rows = []
    for met in metrics:
        sub = per_seed[per_seed["metric"] == met]
        if sub.empty:
            continue
        cells = []
        for k in cols:
            at = sub[sub["knob"].isna()] if k is None else sub[np.isclose(
                sub["knob"].astype(float), k)]
            cells.append(cell(estimate(at["value"].to_numpy(np.float64), conf), met, 3, "g")
                         if len(at) else "—")
        rows.append([esc(labels.metric_in(world, met).axis), *cells])
    title = f"by {labels.knob(kname).axis}" if kname else ""
    return (f"<p class='small'>{esc(title)}</p>" if title else "") + table(head, rows)


def metrics_section(res: Results, colour: dict[str, tuple]) -> str:
    """Per world: the flat and absent metrics by name, a table per learner (rows: metrics,
    columns: knob values) and one grid of figures per kind of knob for the metrics that vary."""
    m = res.metrics
    if m.empty:
        return NOT_MEASURED_HTML
    m = m[~m["metric"].isin(SKIP)]
    conf = res.study["verdict"]["ci"]
    out = []
    for w in [x["label"] for x in res.study["worlds"]]:
        wm = m[m["world"] == w]
        if wm.empty:
            continue
        vary, flat, absent = split_flat(wm)
        parts = [f"<h3>{esc(w)}</h3>"]
        if flat or absent:
            never = ", ".join(labels.metric_in(w, a).name for a in absent)
            listed = ", ".join(f"{esc(labels.metric_in(w, k).name)} = {v:.3g}" for k, v in
                               sorted(flat.items(), key=lambda kv: labels.metric(kv[0]).name))
            parts.append(
                "<p class='small'><b>Not drawn</b>, the same for every learner and setting: "
                f"{listed or 'none'}"
                + (f"; never measured here: {esc(never)}" if absent else "") + ".</p>")
        ps = _per_seed(wm[wm["metric"].isin(vary)])
        order = [s["label"] for s in res.study["learners"] if s["label"] in set(ps["learner"])]
        whole = [x for x in order if ps.loc[ps["learner"] == x, "knob"].isna().all()]
        if whole:
            parts.append(f"<h4>{esc(', '.join(whole))} (no knob)</h4>" + _references_table(
                w, ps[ps["learner"].isin(whole)], whole, conf))
        for lab in [x for x in order if x not in whole]:
            sub = ps[ps["learner"] == lab]
            parts.append(f"<h4>{esc(lab)}</h4>" + _learner_table(
                w, sub, _ordered(list(sub["metric"].unique())), conf))
        for kname, kd in ps[ps["knob"].notna()].groupby("knob_name"):
            panels = []
            for met in _ordered([x for x in kd["metric"].unique() if x not in NOT_DRAWN]):
                curves = {}
                for lab, g in kd[kd["metric"] == met].groupby("learner"):
                    if g["knob"].nunique() >= 2:
                        curves[str(lab)] = knob_curve(g, "value", conf)
                if any(moves(c["point"]) for c in curves.values()):
                    panels.append((met, str(kname), curves))  # else the table says it all
            if panels:
                parts.append(figure(plots.knob_grid(
                    w, panels, colour, ncols=4)))
        out.append("".join(parts))
    return "".join(out) or NOT_MEASURED_HTML


def timings(res: Results) -> str:
    """Jobs per learner: how many, their status, and their wall-clock seconds."""
    j = res.jobs
    if j.empty:
        return NOT_MEASURED_HTML
    rows = []
    for lab, g in j.groupby("learner", sort=False):
        s = g["seconds"].dropna()
        status = ", ".join(f"{n} {k}" for k, n in g["status"].value_counts().items())
        rows.append([esc(lab), esc(status), f"{s.sum():.0f}" if len(s) else "—",
                     f"{s.median():.1f}" if len(s) else "—", f"{s.max():.1f}" if len(s) else "—"])
    total = j["seconds"].dropna().sum()
    return (f"<p class='small'>{len(j)} jobs, {total:.0f} s of job time in all; seeds "
            f"{esc(res.study['seeds'])}, {res.study['evaluation']['episodes']} evaluation "
            "episodes per setting.</p>"
            + table(["learner", "jobs", "seconds in all", "median s", "longest s"], rows))
