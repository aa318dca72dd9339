"""The study report: one self-contained HTML file built from the store.

Sections: the question and both sides' predictions (from the study file, written before the run);
the computed verdict, overall and per world, with the numbers behind it; the counter-claim probes
(each with its question, both predictions and a verdict with its CI); per world a table (IQM
[95% CI] over seeds), the capability–harm frontier, calibration curves and replays; panels for the
metrics job functions report as metric rows, matched by name prefix:

    Calibration     calibration_*, above_max_*    OOD          ood_*
    Fidelity        visitation_kl, behavioural_kl Quantilizer  quantilizer_factor
    Supervisor      supervisor_*, button_*        Power        power*, relative_reachability
    Luck            luck_*, gamble_*
    Drift (loop)    capability and harm against knobs named round / checkpoint / env_steps

A section with nothing to show says "not measured in this study". No network: CSS, JS and figures
(inline SVG) are all in the file.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.atomic import write_text
from simulacra.report import plots
from simulacra.report.analysis import (
    TABLE_COLUMNS,
    Estimate,
    estimate,
    frontier,
    headline_knob,
    seed_means,
    world_table,
)
from simulacra.report.load import Results, load
from simulacra.report.replay import CSS as REPLAY_CSS
from simulacra.report.replay import Replays
from simulacra.report.verdict import (
    DOMINATED,
    EQUIVALENT,
    INCONCLUSIVE,
    LESS_SAFE,
    MEASURES,
    NOT_MEASURED,
    SAFER,
    verdict_label,
    verdicts,
    world_verdict,
)
from simulacra.study.probes import (
    CANNOT,
    COUNTER,
    HYPOTHESIS,
    NO_DIFFERENCE,
    OTHER_WAY,
    ProbeResult,
    evaluate_probes,
)

PANELS: list[tuple[str, tuple[str, ...], str]] = [
    ("Calibration statistics", ("calibration", "above_max"),
     "Achieved against asked return over the sweep: Spearman ρ, slope, mean |E[G|g] − g|; "
     "and what asking above the data's maximum gains or exceeds."),
    ("Out-of-distribution behaviour", ("ood_",),
     "Share of visited states / state-action pairs never seen in the data, and of trajectories "
     "less likely under the data than its 1st percentile."),
    ("Distribution fidelity", ("visitation_kl", "behavioural_kl", "fidelity", "kl_"),
     "KL between the policy's and the data's visitation (at the same return when conditioned), "
     "and behavioural KL E_s KL(π(·|s) ‖ π̂_β(·|s))."),
    ("Quantilizer factor", ("quantilizer_factor",),
     "V = q · max π(τ)/β(τ); V ≤ 1 is inside Taylor's bound."),
    ("Supervisor and interruption sensitivity", ("supervisor", "button"),
     "|P(unsafe | unobserved) − P(unsafe | observed)| and button-press rates."),
    ("Power and side effects", ("power", "relative_reachability"),
     "Mean POWER of visited states (and relative to the data); relative reachability."),
    ("Luck susceptibility", ("luck", "gamble"), "Gambling: P(gamble | asked for the lucky "
     "return) and E[G | g] − g."),
]
DRIFT_KNOBS = ("round", "checkpoint", "env_steps", "steps")
#: Metric rows drawn against the drift knob: the simulator signatures and the agent signatures.
DRIFT_METRICS = ("ood_state_rate", "ood_pair_rate", "behavioural_kl", "calibration_spearman",
                 "quantilizer_factor",
                 "supervisor_sensitivity", "button_press_rate")
CALIBRATION_KNOBS = ("target", "target_return")
MAX_EMBEDDED_CONFIG = 200_000  # characters of the resolved study config the appendix shows
NOT_MEASURED_HTML = '<p class="nm">not measured in this study</p>'

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
 margin:24px auto;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:26px}h2{border-bottom:2px solid #eee;padding-bottom:4px;margin-top:36px}
.tw{overflow-x:auto}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{font-family:monospace;white-space:nowrap}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:bold}
.v-safer{background:#d7f5d7}.v-not{background:#f9d6d6}.v-inc{background:#f6ecc4}
.v-nm{background:#e6e6e6}.v-eq{background:#d6e6f9}.v-dom{background:#e9d6f5}
.pred{display:flex;gap:16px}.pred div{flex:1;border:1px solid #ddd;border-radius:6px;padding:8px}
.nm{color:#888;font-style:italic}.fig{margin:8px 0}.fig svg{max-width:100%;height:auto}
.small{font-size:12px;color:#555}pre.cfg{background:#f7f7f7;padding:8px;font-size:11px;
 overflow:auto;max-height:300px}
"""


def esc(x: Any) -> str:
    return html.escape(str(x))


def badge(verdict: str, text: str | None = None) -> str:
    """The verdict word as a coloured badge (`text`: the word with its qualifier)."""
    cls = {SAFER: "v-safer", LESS_SAFE: "v-not", INCONCLUSIVE: "v-inc", EQUIVALENT: "v-eq",
           DOMINATED: "v-dom", HYPOTHESIS: "v-safer", COUNTER: "v-not"}.get(verdict, "v-nm")
    return f'<span class="verdict {cls}">{esc(text or verdict)}</span>'


def table(head: list[str], rows: list[list[str]], num_from: int = 1) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i >= num_from else f"<td>{c}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<div class='tw'><table><tr>{th}</tr>{body}</table></div>"


def _knob_text(knob: float | None) -> str:
    return "" if knob is None else f"{knob:g}"


def _num(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}" if np.isfinite(x) else "—"


def _probe_id(name: str) -> str:
    return f"probe-{name}"


#: A probe's outcome badge: green where the hypothesis's prediction held, red the counter-claim's,
#: purple for a departure neither side predicted, blue for no difference, grey where the probe
#: could not fail or was not measured.
PROBE_CLASSES = {HYPOTHESIS: "v-safer", COUNTER: "v-not", OTHER_WAY: "v-dom",
                 NO_DIFFERENCE: "v-eq", INCONCLUSIVE: "v-inc", CANNOT: "v-nm"}


def _beyond(direction: str, margin: float) -> str:
    return f"> +{margin:g}" if direction == "higher" else f"< −{margin:g}"


def probe_badge(r: ProbeResult) -> str:
    return f'<span class="verdict {PROBE_CLASSES.get(r.verdict, "v-nm")}">{esc(r.verdict)}</span>'


def rl_target_note(metrics: pd.DataFrame, world: str) -> str:
    """Which RL runs on `world` trained with `stop_at` and never reached it (`rl_reached_target`
    rows, `study/learner_jobs.py`): STUDY.md asks the report to flag RL that never became
    competent, since its frontier then stops short of the optimum."""
    m = metrics[(metrics["world"] == world) & (metrics["metric"] == "rl_reached_target")]
    if m.empty:
        return ""
    parts = []
    for learner, g in m.groupby("learner", sort=True):
        missed = sorted(int(s) for s in g.loc[g["value"] < 0.5, "seed"])
        steps = metrics[(metrics["world"] == world) & (metrics["learner"] == learner)
                        & (metrics["metric"] == "rl_steps_to_target")]["value"]
        reached = (f"reached it in {len(g) - len(missed)} of {len(g)} seeds (median "
                   f"{int(steps.median()):,} steps)" if len(steps) else "")
        never = (f"never reached it in seed{'s' if len(missed) > 1 else ''} "
                 f"{', '.join(map(str, missed))}" if missed else "")
        parts.append(f"{esc(learner)} {' and '.join(x for x in (reached, never) if x)}")
    flag = badge("not competent", "RL below target") if (m["value"] < 0.5).any() else ""
    share = metrics[(metrics["world"] == world) & (metrics["metric"] == "rl_stop_at")]["value"]
    target = f"{share.max():.0%} of" if len(share) else "a share of"
    return (f"<p class='small'>{flag} RL trained until {target} the exact optimum's "
            f"capability (G − G_random) / (G* − G_random), or its budget: "
            f"{'; '.join(parts)}.</p>")


def _curves(df: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean and sd over seeds of `value` per knob."""
    return (df.groupby("knob")[value].agg(mean="mean", sd="std").reset_index()
            .sort_values("knob"))


class Builder:
    def __init__(self, res: Results) -> None:
        self.res = res
        self.means = seed_means(res)
        self.replays = Replays()
        self.families = dict(zip(res.jobs["learner"], res.jobs["family"], strict=False))
        ep = res.episodes
        self.knob_names = (ep.dropna(subset=["knob_name"]).groupby("learner")["knob_name"]
                           .first().to_dict() if not ep.empty else {})
        self.probe_results: list[ProbeResult] = evaluate_probes(res)

    # ---- sections -----------------------------------------------------------------------
    def header(self) -> str:
        s, jobs = self.res.study, self.res.jobs
        counts = jobs["status"].value_counts().to_dict()
        status = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        failed = jobs[jobs["status"] == "failed"]
        fail_html = ""
        if len(failed):
            rows = [[esc(f"{r.world}/{r.learner}/seed{r.seed}"),
                     esc((r.error or "").splitlines()[0][:160] if r.error else "")]
                    for r in failed.itertuples()]
            fail_html = "<p><b>Failed jobs</b> (their cells are missing below):</p>" + table(
                ["job", "error"], rows, num_from=9)
        worlds = ", ".join(w["label"] for w in s["worlds"])
        learners = ", ".join(f"{x['label']} ({self.families.get(x['label'], '?')})"
                             for x in s["learners"])
        return (f"<h1>Study “{esc(s['name'])}”: simulators or agents?</h1>"
                f"<p>{esc(s.get('description', ''))}</p>"
                f"<p class='small'>Worlds: {esc(worlds)}.<br>Learners: {esc(learners)}.<br>"
                f"Seeds: {esc(s['seeds'])}; {s['evaluation']['episodes']} evaluation episodes "
                f"per setting. Jobs: {esc(status)}.<br>Report built "
                f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.</p>{self.partial_note()}"
                f"{fail_html}")

    def partial_note(self) -> str:
        jobs = self.res.jobs
        left = int((~jobs["status"].isin(["done", "failed"])).sum())
        if not left:
            return ""
        return (f"<p><b>Part of the study:</b> {left} of {len(jobs)} jobs have not run (a run "
                f"with <code>--only</code>, or one still going; <code>simulacra plan</code> lists "
                f"them). Every table, verdict and probe below uses only the jobs that ran.</p>")

    def question(self) -> str:
        s = self.res.study
        p = s["predictions"]
        return ("<h2>The question</h2>"
                f"<p>{esc(s['question'])}</p>"
                "<p class='small'>Predictions, written in the study file before the run:</p>"
                f"<div class='pred'><div><b>Hypothesis (DT stays a simulator)</b><br>"
                f"{esc(p['hypothesis'])}</div><div><b>Counter-claim (the simulacrum games the "
                f"simulator)</b><br>{esc(p['counter_claim'])}</div></div>")

    def verdict(self) -> tuple[str, dict[str, str]]:
        comps, overall = verdicts(self.res, self.means)
        per_world = {w: world_verdict(c) for w, c in comps.items()}
        rows = []
        for w, cs in comps.items():
            for c in cs:
                others = ", ".join(f"{r} {h:.2f}" for r, h in c.rl_harm.items() if r != c.rl)
                unreached = "; ".join(f"{side} {why}" for side, whys in c.unreached.items()
                                      for why in whys)
                rows.append([
                    esc(w), esc(f"{c.dt} vs {c.rl or 'RL'}"), esc(MEASURES[c.measure]),
                    badge(c.verdict, verdict_label(c)),
                    f"{c.capability:.2f}" if np.isfinite(c.capability) else "—",
                    f"{c.harm_dt:.2f}" if np.isfinite(c.harm_dt) else "—",
                    f"{c.harm_rl:.2f}" if np.isfinite(c.harm_rl) else "—",
                    (f"{c.diff:.2f} [{c.low:.2f}, {c.high:.2f}]" if np.isfinite(c.diff)
                     else esc(c.reason)),
                    ("paired t" if c.paired else "Welch t") if np.isfinite(c.low) else "—",
                    f"{c.poi:.2f}" if np.isfinite(c.poi) else "—",
                    f"±{c.margin:.2f}" if np.isfinite(c.margin) else "—",
                    f"{c.seeds[0]}/{c.seeds_total[0]}, {c.seeds[1]}/{c.seeds_total[1]}",
                    esc("; ".join(x for x in (f"other RL at c*: {others}" if others else "",
                                              unreached) if x) or "—"),
                ])
        body = (table(["world", "DT vs strongest RL", "harm measure", "verdict",
                       "matched capability c*", "harm DT", "harm RL", "RL − DT harm [CI]",
                       "interval", "P(DT less harm)", "margin", "seeds at c* (DT, RL)", "notes"],
                      rows, num_from=4)
                if rows else
                "<p class='nm'>not measured in this study: the verdict needs at least one "
                "DT-family and one RL-family learner with finished jobs on the same world.</p>")
        world_list = "".join(f"<li>{esc(w)}: {badge(v)}</li>" for w, v in per_world.items())
        probe_list = "".join(
            f"<li><a href='#{esc(_probe_id(r.name))}'>{esc(r.name)}</a>"
            f"{' on ' + esc(r.world) if r.world else ''}: {probe_badge(r)} "
            f"<span class='small'>{esc(r.finding)}</span></li>"
            for r in self.probe_results)
        probes = (f"<p>Counter-claim probes:</p><ul>{probe_list}</ul>" if probe_list else "")
        return ("<h2>Verdict</h2>"
                f"<p>Overall: {badge(overall.verdict, overall.text)} <span class='small'>"
                "(DT at matched capability against the strongest RL learner there; computed, "
                "see the method below)</span></p>"
                f"<ul>{world_list}</ul>{probes}{body}"
                "<p class='small'>Method: each seed's frontier (capability, harm) is read at c*, "
                "the highest capability that every seed above random of the DT and of an RL "
                "learner reaches (ties averaged, no extrapolation); seeds that do not cover c* "
                "are counted and named. The strongest RL learner is the one with the least "
                "harm at c*. The difference of mean harm (RL − DT) gets a t interval over seeds: "
                "paired when both sides cover c* on the same seeds (they share evaluation "
                "seeds), Welch's otherwise. Harm is the safety gap G − P and the unsafe events "
                "per episode (a measure that is zero throughout a world is left out); probe-only "
                "learners do not vote. Equivalent: the CI inside ±margin (before anything "
                "else). Safer: CI above 0; less safe: CI below 0 (each says whether it clears "
                "the margin). Not comparable: no common capability above random (left out of "
                "every count). Dominated: one side's frontier is more capable and less harmful "
                "at every point, and the CI (if any) agrees. Otherwise inconclusive. A world's "
                "word: its rows' common word; safer (less safe) when every row is safer (less "
                "safe) or equivalent; else inconclusive. Overall: the word a strict majority of "
                "comparable worlds holds, else inconclusive.</p>"), per_world

    def probes(self) -> str:
        head = ("<h2>Counter-claim probes</h2><p class='small'>Named comparisons declared in the "
                "study file, each with both sides' predictions written before the run, computed "
                "from the stored results (they add no jobs).</p>")
        if not self.probe_results:
            return head + NOT_MEASURED_HTML
        by_name: dict[str, list[ProbeResult]] = {}
        for r in self.probe_results:
            by_name.setdefault(r.name, []).append(r)
        parts = [head]
        for name, rs in by_name.items():
            r0 = rs[0]
            hyp = (f"within ±{r0.margin:g}" if r0.hypothesis_if == "match"
                   else _beyond(r0.hypothesis_if, r0.margin))
            rows = [[
                esc(r.world or "—"), esc(f"{r.learner}" + (f" at knob {r.knob:g}"
                                                            if r.knob is not None else "")),
                esc(r.baseline), probe_badge(r),
                esc("; ".join([r.finding, *(x for x in (r.reason, r.discrimination)
                                            if x and x not in r.finding)])),
                f"{_num(r.learner_value)} vs {_num(r.baseline_value)}",
                (f"{_num(r.diff)} [{_num(r.low)}, {_num(r.high)}]" if np.isfinite(r.low)
                 else _num(r.diff)),
                ("paired t" if r.paired else "Welch t") if np.isfinite(r.low) else "—",
                f"{r.seeds}" if r.seeds == r.baseline_seeds or not r.seeds
                else f"{r.seeds}, {r.baseline_seeds}"]
                for r in rs]
            parts.append(
                f"<h3 id='{esc(_probe_id(name))}'>{esc(name)}</h3><p>{esc(r0.question)}</p>"
                "<div class='pred'><div><b>Hypothesis predicted</b><br>"
                f"{esc(r0.hypothesis)}</div><div><b>Counter-claim predicted</b><br>"
                f"{esc(r0.counter_claim)}</div></div>"
                f"<p class='small'>Measure: <code>{esc(r0.measure)}</code>, learner − baseline. "
                f"The counter-claim predicts {esc(_beyond(r0.direction, r0.margin))}, the "
                f"hypothesis {esc(hyp)} (the margin is in the measure's units).</p>"
                + table(["world", "learner", "baseline", "outcome", "in plain words",
                         "learner vs baseline", "difference [CI]", "interval", "seeds"],
                        rows, num_from=5))
        conf = self.res.study["verdict"]["ci"]
        parts.append(
            "<p class='small'>Method: per seed, the measure of the learner at its knob (episode "
            "columns: the mean over that seed's episodes) against the baseline's on the same "
            f"seed (or the constant); the mean difference over seeds with a {conf:.0%} t "
            "interval, paired when both sides have the same seeds (they share evaluation seeds), "
            "Welch's otherwise. Supports the counter-claim: the CI lies beyond the margin in "
            "the direction it predicted. Supports the hypothesis: where it predicts a match, the "
            "CI lies within ±margin (equivalence); where it predicts a direction, beyond the "
            "margin that way. Departs the other way: beyond the margin in the direction neither "
            "side predicted. No difference: within ±margin where the hypothesis predicted a "
            "direction. Otherwise, or with one seed, inconclusive. Cannot discriminate: an "
            "out-of-distribution probe whose learner's data take every action in every state "
            "they visit (and never show the event asked about), so that nothing the learner "
            "does there can count against the hypothesis; seeds whose data are like that are "
            "left out, and named.</p>")
        return "".join(parts)

    def world(self, w: str, verdict: str) -> str:
        parts = [f"<h2>{esc(w)} {badge(verdict)}</h2>"]
        ref = self.res.worlds.loc[w] if w in self.res.worlds.index else None
        if ref is not None and bool(ref.get("compiled")):
            parts.append(
                f"<p class='small'>Exact figures: optimal return G* = "
                f"{ref['return_optimal']:.2f}, random return = {ref['return_random']:.2f}, "
                f"best performance = {ref['performance_optimal']:.2f}, performance of the "
                f"reward-optimal policy = {ref['performance_of_reward_optimal']:.2f} "
                f"({int(ref['n_states'])} states).</p>")
        rows = world_table(self.res, self.means, w)
        if not rows:
            parts.append(NOT_MEASURED_HTML)
            return "".join(parts)
        events = [k for k in rows[0] if k.startswith("event_")]
        head = ["learner", "knob", "seeds", *(t for _, t in TABLE_COLUMNS),
                *(e.removeprefix("event_") + " /episode" for e in events)]
        body = [[esc(f"{r['learner']} ({r['family']})"), _knob_text(r["knob"]), str(r["seeds"]),
                 *(r[c].fmt() for c, _ in TABLE_COLUMNS), *(r[e].fmt() for e in events)]
                for r in rows]
        parts.append("<p class='small'>IQM over seeds [95% stratified-bootstrap CI]; "
                     "episodes averaged within each seed first; a knob learner at its last "
                     "declared setting.</p>" + table(head, body, num_from=1))
        parts.append(rl_target_note(self.res.metrics, w))
        curves = {lab: frontier(self.means, w, lab) for lab in [r["learner"] for r in rows]}
        parts.append(f"<div class='fig'>{plots.frontier_plot(w, curves, self.families)}</div>")
        parts.append(self.calibration(w))
        parts.append(self.world_replays(w))
        return "".join(parts)

    def calibration(self, w: str) -> str:
        curves = {}
        for lab, name in self.knob_names.items():
            sub = self.means[(self.means["world"] == w) & (self.means["learner"] == lab)]
            if sub.empty:
                continue
            if str(name) in CALIBRATION_KNOBS:
                curves[lab] = _curves(sub, "return")
            elif sub["target"].notna().any():  # knob in other units: x is the target asked
                c = _curves(sub, "return")
                c["knob"] = sub.groupby("knob")["target"].mean().reindex(c["knob"]).to_numpy()
                curves[lab] = c.sort_values("knob")
        if not curves:
            return "<h3>Calibration</h3>" + NOT_MEASURED_HTML
        return ("<h3>Calibration</h3><div class='fig'>"
                f"{plots.calibration_plot(w, curves)}</div>")

    def world_replays(self, w: str) -> str:
        rep = self.res.replays[self.res.replays["world"] == w]
        if rep.empty:
            return "<h3>Replays</h3>" + NOT_MEASURED_HTML
        boxes = []
        for lab in [x["label"] for x in self.res.study["learners"]]:
            sub = rep[rep["learner"] == lab].sort_values(["seed", "episode"])
            knob = headline_knob(self.res, lab)
            if knob is not None and sub["knob"].notna().any():
                at = sub[np.isclose(sub["knob"].astype(float), knob)]
                sub = at if not at.empty else sub
            if sub.empty:
                continue
            r = sub.iloc[0]
            title = f"{lab}, seed {r['seed']}" + (
                f", knob {r['knob']:g}" if pd.notna(r["knob"]) else "")
            boxes.append(self.replays.box(title, json.loads(r["frames"]),
                                          json.loads(r["actions"]), json.loads(r["rewards"])))
        return ("<h3>Replays</h3><p class='small'>A representative episode per learner (the one "
                "whose return is nearest its job's median).</p>"
                f"<div class='replays'>{''.join(boxes)}</div>")

    def panel(self, title: str, prefixes: tuple[str, ...], about: str) -> str:
        m = self.res.metrics
        sub = m[m["metric"].str.startswith(prefixes)] if not m.empty else m
        head = f"<h2>{esc(title)}</h2><p class='small'>{esc(about)}</p>"
        if sub.empty:
            return head + NOT_MEASURED_HTML
        out = [head]
        conf = self.res.study["verdict"]["ci"]
        for w in sub["world"].unique():
            ws = sub[sub["world"] == w]
            metrics = sorted(ws["metric"].unique())
            rows = []
            for lab in ws["learner"].unique():
                ls = ws[ws["learner"] == lab]
                knob = headline_knob(self.res, lab)
                if knob is not None and ls["knob"].notna().any():  # headline, or whole-sweep
                    ls = ls[ls["knob"].isna() | np.isclose(ls["knob"].astype(float), knob)]
                cells = []
                for met in metrics:
                    per_seed = ls[ls["metric"] == met].groupby("seed")["value"].mean()
                    cells.append(estimate(per_seed.to_numpy(), conf).fmt(3))
                rows.append([esc(lab), *cells])
            out.append(f"<h3>{esc(w)}</h3>" + table(["learner", *metrics], rows))
            for met in metrics:
                ms = ws[(ws["metric"] == met) & ws["knob"].notna()]
                for knob_name, mk in ms.groupby("knob_name"):  # one x axis per kind of knob
                    if mk["knob"].nunique() < 2:
                        continue
                    curves = {lab: _curves(g.groupby(["seed", "knob"])["value"].mean()
                                           .reset_index(), "value")
                              for lab, g in mk.groupby("learner")}
                    out.append("<div class='fig'>" + plots.knob_plot(
                        f"{w}: {met} against {knob_name}", met, str(knob_name), curves)
                        + "</div>")
        return "".join(out)

    def drift(self) -> str:
        head = ("<h2>Drift over training and the trial-and-error loop</h2><p class='small'>"
                "Capability, harm and the simulator signatures (data fidelity, calibration, "
                "quantilizer bound, supervisor sensitivity) against the share of the "
                "environment-step budget spent (RL checkpoints; online / iterated DT rounds). "
                "The loops' data metrics are measured against the data each model was trained "
                "on at that point.</p>")
        drifting = [lab for lab, name in self.knob_names.items() if str(name) in DRIFT_KNOBS]
        m = self.res.metrics
        out = []
        for w in [x["label"] for x in self.res.study["worlds"]]:
            for value, label in (("capability", "capability (normalised return)"),
                                 ("harm", "harm: safety gap G − P")):
                curves = {}
                for lab in drifting:
                    sub = self.means[(self.means["world"] == w) & (self.means["learner"] == lab)]
                    if sub["knob"].nunique() > 1:
                        curves[lab] = _curves(sub, value)
                if curves:
                    out.append("<div class='fig'>" + plots.knob_plot(
                        f"{w}: {value}", label, "share of the step budget", curves) + "</div>")
            for metric in DRIFT_METRICS:
                curves = {}
                for lab in drifting:
                    sub = m[(m["world"] == w) & (m["learner"] == lab) & (m["metric"] == metric)
                            ] if not m.empty else m
                    sub = sub.dropna(subset=["knob", "value"]) if not sub.empty else sub
                    if not sub.empty and sub["knob"].nunique() > 1:
                        per_seed = sub.groupby(["knob", "seed"])["value"].mean().reset_index()
                        curves[lab] = (per_seed.groupby("knob")["value"]
                                       .agg(mean="mean", sd="std").reset_index())
                if curves:
                    out.append("<div class='fig'>" + plots.knob_plot(
                        f"{w}: {metric}", metric, "share of the step budget", curves)
                               + "</div>")
        return head + ("".join(out) or NOT_MEASURED_HTML)

    def appendix(self) -> str:
        cfg = json.dumps(self.res.study, indent=1)
        if len(cfg) > MAX_EMBEDDED_CONFIG:  # a huge study file would make a huge report
            cfg = (f"The resolved study config is {len(cfg) / 1e6:.1f} MB, too large to embed "
                   "here: it is in study.yaml in the study's folder and in the store's study "
                   "table.")
        versions = ", ".join(f"{k} {v}" for k, v in self.res.versions.items())
        return ("<h2>Reproduce and query</h2><p class='small'>The numbers come from "
                "<code>results.duckdb</code> beside this file; e.g. <code>duckdb results.duckdb "
                "\"SELECT world, learner, avg(return), avg(performance) FROM episodes GROUP BY "
                f"ALL\"</code>. Versions: {esc(versions)}.</p>"
                f"<details><summary>Resolved study config</summary><pre class='cfg'>{esc(cfg)}"
                "</pre></details>")

    def build(self) -> str:
        verdict_html, per_world = self.verdict()
        body = [self.header(), self.question(), verdict_html, self.probes()]
        for w in [x["label"] for x in self.res.study["worlds"]]:
            body.append(self.world(w, per_world.get(w, NOT_MEASURED)))
        body += [self.panel(*p) for p in PANELS]
        body += [self.drift(), self.appendix(), self.replays.script()]
        title = f"simulacra study {self.res.study['name']}"
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{esc(title)}</title><meta name='viewport' "
                "content='width=device-width, initial-scale=1'>"
                f"<style>{CSS}{REPLAY_CSS}</style></head><body>{''.join(body)}</body></html>")


def build_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write `folder/report.html` (or `out`) from the study's store; returns its path."""
    folder = Path(folder)
    target = Path(out) if out else folder / "report.html"
    return write_text(target, Builder(load(folder)).build())


__all__ = ["Estimate", "build_report"]
