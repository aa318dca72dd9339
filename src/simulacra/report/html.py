"""The study report: one self-contained HTML file built from the store, read top to bottom.

1. Above the fold: the question, both sides' predictions (written in the study file before the
   run) and the answer cards of the three questions (`report.questions`: Simulator? Safer than
   RL? Safer as trial and error?): each answer's word over the tension worlds, the counts behind
   it and one line of why computed from the store (`report.story`); then the probes' card.
2. Per world, tension worlds first, then the controls under their own heading
   (`report.tension`): the three answers with their comparisons, the frontier of capability
   against the harm measures the answers used (the DTs, their quantilizers dashed and simulators
   dotted in the DT's colour, each DT under the other decode and each loop's steered final model
   dash-dotted, %BC, the loops, RL with hollow markers where it never reached its target; CI
   bands, c* marked), beside it a replay per learner at its setting nearest c*, a
   paragraph of what each learner did (`story.world_story`), the answers' numbers and a table
   per learner.
3. Harm against the data's shortcut share where the study varied it (`report.composition`),
   the probes (the outcome and its finding in plain words; details folded), the drift of the
   trial-and-error loops (one figure per world).
4. The appendix, folded: the methods, every metric per learner and knob value, flat metrics listed
   by name, the jobs' timings, versions and the resolved study file (`report.appendix`).

Names and units come from `report.labels`; a rate is clipped to [0, 1] everywhere. No network:
CSS, JS and figures (inline SVG) are all in the file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.atomic import write_text
from simulacra.report import appendix, labels, plots
from simulacra.report.analysis import (
    TABLE_COLUMNS,
    frontier,
    knob_curve,
    seed_means,
    world_table,
)
from simulacra.report.composition import composed_learners, composition_section
from simulacra.report.load import Results, episodes_under, evaluated_decodes, load
from simulacra.report.markup import (
    CSS,
    NOT_MEASURED_HTML,
    badge,
    cell,
    details,
    esc,
    figure,
    num,
    table,
)
from simulacra.report.questions import (
    ASKS,
    BESIDE,
    QUESTIONS,
    SAFETY,
    SIMULATOR,
    STEERED_SUFFIX,
    TITLES,
    TRIAL_AND_ERROR,
    answer,
    cast,
    overall_text,
    steered_means,
)
from simulacra.report.replay import CSS as REPLAY_CSS
from simulacra.report.replay import Replays, branch
from simulacra.report.story import (
    WorldStory,
    answer_why,
    applicable,
    comparison_text,
    ordered_worlds,
    unreached_seeds,
    world_story,
)
from simulacra.report.tension import CONTROL, TENSION, UNKNOWN, describe
from simulacra.report.verdict import MEASURES, NOT_MEASURED, verdict_label
from simulacra.study.probes import NOT_MEASURED as PROBE_NOT_MEASURED
from simulacra.study.probes import OUTCOMES, ProbeResult, evaluate_probes

DRIFT_KNOBS = ("round", "checkpoint", "env_steps", "steps")
#: Metric rows drawn against the drift knob: the simulator signatures and the agent signatures.
DRIFT_METRICS = ("ood_state_rate", "ood_pair_rate", "behavioural_kl", "calibration_spearman",
                 "quantilizer_factor", "supervisor_sensitivity", "button_press_rate")
CALIBRATION_KNOBS = ("target", "target_return")
MAX_EMBEDDED_CONFIG = 200_000  # characters of the resolved study config the appendix shows
KIND_WORDS = {TENSION: "tension world", CONTROL: "control world",
              UNKNOWN: "tension cannot be computed"}
#: Learner names drawn on the frontier besides the voters and the DTs' yardsticks: %BC, and the
#: exact optima as single points.
FRONTIER_KINDS = ("pbc", "reward_optimal", "performance_optimal")
# How the header says which decode's episodes the page reads (`simulacra report --decode`).
DECODED = {"sample": "sampled from each policy (decode sample)",
           "greedy": "each policy's most probable (decode greedy)"}
# The legend's name for a DT's line under the decode the verdicts do not read.
OTHER_DECODE = {"greedy": " (greedy)", "sample": " (sampled)"}


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _probe_id(name: str) -> str:
    return f"probe-{name}"


def _world_id(world: str) -> str:
    return "world-" + "".join(c if c.isalnum() else "-" for c in world)


def _beyond(direction: str, margin: float) -> str:
    return f"> +{margin:g}" if direction == "higher" else f"< −{margin:g}"


def rl_target_note(metrics: pd.DataFrame, world: str) -> str:
    """Which RL runs on `world` trained with `stop_at` and never reached it (`rl_reached_target`
    rows, `study/learner_jobs.py`): STUDY.md asks the report to flag RL that never became
    competent, since its frontier then stops short of the optimum."""
    runs = unreached_seeds(metrics, world)
    if not runs:
        return ""
    parts = []
    for learner, (missed, n) in runs.items():
        steps = metrics[(metrics["world"] == world) & (metrics["learner"] == learner)
                        & (metrics["metric"] == "rl_steps_to_target")]["value"]
        reached = (f"reached it in {n - len(missed)} of {n} seeds (median "
                   f"{int(steps.median()):,} steps)" if len(steps) else "")
        never = (f"never reached it in seed{'s' if len(missed) > 1 else ''} "
                 f"{', '.join(map(str, missed))}" if missed else "")
        parts.append(f"{esc(learner)} {' and '.join(x for x in (reached, never) if x)}")
    flag = (badge("not competent", "RL below target")
            if any(missed for missed, _ in runs.values()) else "")
    share = metrics[(metrics["world"] == world) & (metrics["metric"] == "rl_stop_at")]["value"]
    target = f"{share.max():.0%} of" if len(share) else "a share of"
    return (f"<p class='small'>{flag} RL trained until {target} the exact optimum's "
            f"capability (G − G_random) / (G* − G_random), or its budget: "
            f"{'; '.join(parts)}.</p>")


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
        self.answers = answer(res, self.means)
        # What the per-world paragraph reads c* from: the DT-vs-RL rows where they match a
        # capability, else the DT-vs-quantilizer rows, else the loops'.
        self.comps = {w: next((qs[q].votes for q in (SAFETY, SIMULATOR, TRIAL_AND_ERROR)
                               if any(np.isfinite(c.capability) for c in qs[q].votes)),
                              qs[SAFETY].votes)
                      for w, qs in self.answers.worlds.items()}
        self.order = ordered_worlds(res)
        self.kind = {c.world: c for c in self.answers.classes}
        self.answers_cast = cast(res)
        self.conf = res.study["verdict"]["ci"]
        # The composition lever's learners, left off the frontier (`frontier_learners`) where
        # a DT trained on other data is there to draw.
        composed = composed_learners(res)
        self.composed = composed if set(self.answers_cast.offline) - composed else set()
        # Colours go first to the learners the frontier draws in their own colour (a DT's
        # yardsticks take the DT's), so that the palette's ten do not repeat among them.
        labels_ = [s["label"] for s in res.study["learners"]]
        own = [x for x in labels_ if x not in self.composed and not any(
            x in getattr(self.answers_cast, role).values() for role in ("quantilizer",
                                                                         "simulator"))]
        self.colour = plots.colours([*own, *(x for x in labels_ if x not in own)])
        self.second_means, self.second_of = self.second_lines()

    def second_lines(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """The frontier's second lines, as seed-means rows, and whose line each is: every
        offline DT under the study's other decode ("<DT> (greedy)" beside the sampled line the
        verdicts read, REPORT.md), and each loop's final model asked for its target sweep
        ("<loop> (steered)", `questions.steered_means`), where the study has them."""
        c = self.answers_cast
        other = next((d for d in evaluated_decodes(self.res.study) if d != self.res.decode),
                     None)
        parts, of = [], {}
        if other:
            eps = episodes_under(self.res, other, c.offline)
            if len(eps):
                m = seed_means(replace(self.res, episodes=eps, decode=other))
                suffix = OTHER_DECODE.get(other, f" ({other})")
                of |= {d + suffix: d for d in m["learner"].unique()}
                parts.append(m.assign(learner=m["learner"] + suffix))
        steered = steered_means(self.res, c.loops)
        if len(steered):
            of |= {x: x.removesuffix(STEERED_SUFFIX) for x in steered["learner"].unique()}
            parts.append(steered)
        return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=self.means.columns)), of

    # ---- above the fold ------------------------------------------------------------------
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
            fail_html = details(f"Failed jobs: {len(failed)} (their cells are missing below)",
                                table(["job", "error"], rows, num_from=9))
        return (f"<h1>Study “{esc(s['name'])}”: simulators or agents?</h1>"
                f"<p class='small'>{_count(len(s['worlds']), 'world')}, "
                f"{_count(len(s['learners']), 'learner')}, "
                f"seeds {esc(s['seeds'])}, {s['evaluation']['episodes']} evaluation episodes "
                f"per setting, actions {DECODED.get(self.res.decode, esc(self.res.decode))}"
                f"; jobs: {esc(status)}. Built "
                f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. {esc(s.get('description', ''))}"
                f"</p>{self.partial_note()}{fail_html}")

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
        names = {k: [w for w in self.answers.of(k)] for k in (TENSION, CONTROL, UNKNOWN)}
        worlds = (f"{_count(len(names[TENSION]), 'tension world')}"
                  + (f" ({esc(', '.join(names[TENSION]))})" if names[TENSION] else "")
                  + f" and {_count(len(names[CONTROL]), 'control')}"
                  + (f" ({esc(', '.join(names[CONTROL]))})" if names[CONTROL] else "")
                  + (f"; on {len(names[UNKNOWN])} more, tension cannot be computed"
                     if names[UNKNOWN] else ""))
        return ("<h2>The question</h2>"
                f"<p>{esc(s['question'])} This study asks it on {worlds}, comparing harm at "
                "matched capability: the same normalised return, so that a safer learner cannot "
                "be one that merely does less. A tension world is one where the exact "
                "reward-optimal policy performs worse than the best performance (computed from "
                "the compiled world): only tension worlds count in the answers.</p>"
                "<div class='pred'><div><b>Hypothesis</b> (DT stays a simulator), written before "
                f"the run:<br>{esc(p['hypothesis'])}</div><div><b>Counter-claim</b> (the "
                f"simulacrum games the simulator):<br>{esc(p['counter_claim'])}</div></div>")

    def question_why(self, q: str) -> str:
        """One line of why for a question's card: the tension worlds behind the word, with the
        numbers (`story.answer_why`), or why nothing was measured."""
        tension = self.answers.of(TENSION)
        per = {w: self.answers.worlds[w][q] for w in tension}
        comps = {w: a.votes for w, a in per.items() if a.votes}
        if not tension:
            return "no tension world in this study: nothing counts"
        if not comps:
            reasons = list(dict.fromkeys(a.reason for a in per.values() if a.reason))
            return "not measured on any tension world: " + "; ".join(reasons[:2])
        why = answer_why(self.res, self.means, comps, self.answers.overall[q])
        gone = [w for w, a in per.items() if not a.votes]
        if gone:
            why += f" Not measured on {', '.join(gone)} ({per[gone[0]].reason})."
        return why

    def cards(self) -> str:
        """The answers: one card per question, over the tension worlds; then the probes."""
        cards = []
        for q in QUESTIONS:
            ov = self.answers.overall[q]
            counts = overall_text(ov)
            word = ov.verdict.split(" (")[0]  # "dominated (RL dominates)": its colour
            cards.append(self._card(TITLES[q], badge(word, ov.verdict), counts, ASKS[q],
                                    self.question_why(q)))
        if self.probe_results:
            tally: dict[str, int] = {}
            for r in self.probe_results:
                tally[r.verdict] = tally.get(r.verdict, 0) + 1
            words = " ".join(badge(w, f"{w}: {n}") for w in OUTCOMES if (n := tally.get(w)))
            said = [r for r in self.probe_results if r.verdict != PROBE_NOT_MEASURED]
            lines = "".join(
                f"<li><a href='#{esc(_probe_id(r.name))}'>{esc(r.name)}</a>: {badge(r.verdict)}"
                "</li>" for r in said[:4])
            cards.append(self._card(
                "The counter-claim probes", words,
                f"{len(self.probe_results)} probe result{'s' * (len(self.probe_results) != 1)}",
                "", f"<ul class='small'>{lines}</ul>" if lines else "", raw=True))
        return ("<h2>The answers</h2><div class='cards'>" + "".join(cards) + "</div>"
                "<p class='small'>Each answer counts tension worlds only (controls and worlds "
                "whose tension cannot be computed are shown below, not counted). Words: safer / "
                "equivalent / less safe (the interval of the baseline's minus the learner's harm "
                "at matched capability against 0 and the margin), inconclusive, not comparable "
                "(no capability both sides reach: left out of every count), not measured (no "
                "such learners), dominated (one side better on both axes). For <i>Simulator?</i> "
                "equivalent means the DT does its own data's quantilizer's harm; less safe, more "
                "harm than its quantilizer (the counter-claim's mechanism). Method in the "
                "appendix.</p>" + self.glance())

    @staticmethod
    def _card(title: str, word: str, count: str, asks: str, why: str,
              raw: bool = False) -> str:
        cls = "word tally" if raw else "word"
        return (f"<div class='card'><h3>{esc(title)}</h3><div class='{cls}'>{word}</div>"
                f"<div class='count'>{esc(count)}</div>"
                + (f"<div class='small'>{esc(asks)}</div>" if asks else "")
                + (f"<div class='why'>{why}</div>" if raw else
                   f"<div class='why'><b>Why:</b> {esc(why)}</div>") + "</div>")

    def world_badge(self, w: str, q: str = SAFETY) -> str:
        a = self.answers.worlds[w][q]
        return badge(a.verdict, "not measured" if a.verdict == NOT_MEASURED else a.label)

    def glance(self) -> str:
        def item(w: str) -> str:
            words = " ".join(f"<span class='q'>{esc(TITLES[q])}</span> {self.world_badge(w, q)}"
                             for q in QUESTIONS)
            return f"<li><a href='#{_world_id(w)}'>{esc(w)}</a>: {words}</li>"

        out = []
        for kind, head in ((TENSION, "Tension worlds (they decide)"),
                           (CONTROL, "Controls (not counted)"),
                           (UNKNOWN, "Tension cannot be computed (not counted)")):
            ws = self.answers.of(kind)
            if ws:
                out.append(f"<p><b>{head}:</b></p><ul class='glance'>"
                           + "".join(item(w) for w in ws) + "</ul>")
        return "".join(out)

    # ---- per world -----------------------------------------------------------------------
    def controls_head(self) -> str:
        ws = self.answers.of(CONTROL)
        rows = [[esc(c.world), esc(describe(c))] for c in self.answers.classes
                if c.kind in (CONTROL, UNKNOWN)]
        return ("<h2 id='controls'>Controls</h2><p class='small'>Worlds where maximising reward "
                "costs no performance (the exact reward-optimal policy is also the safest), or "
                "where that cannot be computed: the questions have no tension here. Their "
                "answers are shown below for reference and never counted "
                f"({_count(len(ws), 'control')}).</p>"
                + table(["world", "why it is not a tension world"], rows, num_from=9))

    def world(self, w: str) -> str:
        comps = self.comps.get(w, [])
        cls = self.kind[w]
        parts = [f"<h2 id='{_world_id(w)}'>{esc(w)} <span class='kind'>{KIND_WORDS[cls.kind]}"
                 "</span></h2>"]
        ref = self.res.worlds.loc[w] if w in self.res.worlds.index else None
        if ref is not None and bool(ref.get("compiled")):
            parts.append(
                f"<p class='small'>Exact figures: optimal return {ref['return_optimal']:.3g}, "
                f"random {ref['return_random']:.3g}; best performance "
                f"{ref['performance_optimal']:.3g}, the reward-optimal policy's "
                f"{ref['performance_of_reward_optimal']:.3g} ({int(ref['n_states'])} states).</p>")
        else:
            parts.append(f"<p class='small'>{esc(describe(cls))}.</p>")
        if self.means[self.means["world"] == w].empty:
            return "".join(parts) + NOT_MEASURED_HTML
        parts.append(self.world_answers(w))
        # The paragraph and the replays read what the frontier draws (not the composition
        # lever's learners: the composition section reads those).
        main = [c for c in comps if not {c.dt, c.rl} & self.composed]
        st = world_story(self.res, self.means[~self.means["learner"].isin(self.composed)], w,
                         main)
        story = ("<div class='story'>" + "".join(
            "<p>" + esc(lead) + "; ".join(f"<b>{esc(who)}</b>" + (f": {esc(did)}" if did else "")
                                         for who, did in items)
            + ".</p>" for lead, items in st.parts) + "</div>")
        parts.append("<div class='wgrid'><div>" + self.frontier(w) + story
                     + "</div><div>" + self.world_replays(w, st) + "</div></div>")
        parts.append(self.answers_table(w))
        parts.append(self.learner_table(w))
        cal = self.calibration(w)
        if cal:
            parts.append(details("Calibration: return achieved against return asked for", cal))
        return "".join(parts)

    def world_answers(self, w: str) -> str:
        """The three answers on this world: word, reading, and each voting comparison."""
        items = []
        for q in QUESTIONS:
            a = self.answers.worlds[w][q]
            lines = "".join(f"<li>{badge(r.comparison.verdict, verdict_label(r.comparison))} "
                            f"{esc(comparison_text(r.comparison))}"
                            + (" <i>(beside, not counted)</i>" if r.role == BESIDE else "")
                            + "</li>" for r in a.rows if np.isfinite(r.comparison.capability)
                            or r.role != BESIDE)
            notes = "".join(f"<li class='small'>{esc(n)}</li>" for n in a.notes)
            items.append(f"<li><b>{esc(TITLES[q])}</b> {self.world_badge(w, q)} "
                         f"{esc(a.reading)}" + (f"<ul>{lines}{notes}</ul>" if lines or notes
                                                else "") + "</li>")
        return f"<ul class='answers'>{''.join(items)}</ul>"

    def frontier_learners(self, w: str) -> list[str]:
        """Who the frontier shows: every learner a question compares on `w` (DTs, their
        quantilizers and simulators, loops, RL), %BC and the exact optima; all where none. Not
        the composition lever's learners (`self.composed`): their figure is harm against the
        share, and six DTs with their yardsticks on one frontier cannot be read."""
        here = set(self.means.loc[self.means["world"] == w, "learner"])
        kinds = dict(zip(self.res.jobs["learner"], self.res.jobs.get(
            "learner_kind", self.res.jobs["learner"]), strict=False))
        shown: set[str] = set()
        for a in self.answers.worlds[w].values():
            for r in a.rows:
                shown |= {r.comparison.dt, *r.comparison.rl_harm, r.comparison.rl}
        if not shown:
            return [s["label"] for s in self.res.study["learners"] if s["label"] in here]
        shown |= {x for x in here if kinds.get(x) in FRONTIER_KINDS}
        return [s["label"] for s in self.res.study["learners"]
                if s["label"] in shown & here and s["label"] not in self.composed]

    def frontier(self, w: str) -> str:
        comps = [r.comparison for a in self.answers.worlds[w].values() for r in a.rows
                 if r.role != BESIDE]
        measures = list(dict.fromkeys(c.measure for c in comps)) or applicable(self.means, w)
        if not measures:
            return ("<p class='nm'>No frontier: both harm measures (safety gap, unsafe events) "
                    "are 0 for every learner on this world.</p>")
        learners = self.frontier_learners(w)
        sm = self.second_means
        seconds = [x for x in sm.loc[sm["world"] == w, "learner"].unique()
                   if self.second_of[x] in learners]
        curves = {m: {**{x: frontier(self.means, w, x, m, self.conf) for x in learners},
                      **{x: frontier(sm, w, x, m, self.conf) for x in seconds}}
                  for m in measures}
        # One mark per matched capability of the comparisons drawn here; those closer than
        # 0.02 share one (their labels would overlap). Which comparison has which c*: the
        # answers above.
        marks: dict[float, str] = {}
        for cap in sorted(c.capability for c in comps if np.isfinite(c.capability)
                          and {c.dt, c.rl} <= set(learners)):
            if not marks or cap - max(marks) >= 0.02:
                marks[cap] = f"c* = {cap:.2f}"
        # A DT's yardsticks in its colour: the quantilizer dashed, the simulator dotted.
        styles = {}
        for lab in learners:
            for role, ls, mk in (("quantilizer", "--", "D"), ("simulator", ":", "v")):
                y = getattr(self.answers_cast, role).get(lab)
                if y in learners:
                    styles[y] = {"color": self.colour[lab], "ls": ls, "marker": mk, "ms": 5}
        # Second lines (the other decode, the steered sweep) thin and dash-dotted in their
        # owner's colour, so that the verdicts' own lines stay the ones that stand out.
        families = dict(self.families)
        for x in seconds:
            own = self.second_of[x]
            families[x] = self.families.get(own, "")
            styles[x] = {**styles.get(own, {}), "color": self.colour[own], "ls": "-.", "lw": 1,
                         "marker": "^" if x.endswith(STEERED_SUFFIX) else "x", "ms": 5}
        notes = {}
        for lab, (missed, n) in unreached_seeds(self.res.metrics, w).items():
            if missed and lab in learners:
                notes[lab] = f"never reached its target in {len(missed)} of {n} seeds"
        svg = plots.frontier_plot(w, measures, curves, families, self.colour,
                                  [(c, t) for c, t in marks.items()], styles, notes)
        flag = (" Hollow markers: RL that never reached its target return (95% of the optimum) "
                "in some seed, so its frontier may stop short." if notes else "")
        used = "the measures the answers used" if comps else "the harm measures not 0 here"
        decoded = DECODED.get(self.res.decode, self.res.decode)
        composed = (" The composition lever's DTs and their yardsticks are drawn in the "
                    "composition section, harm against the data's shortcut share."
                    if self.composed & set(self.means.loc[self.means["world"] == w, "learner"])
                    else "")
        second = ""
        if any(not x.endswith(STEERED_SUFFIX) for x in seconds):
            second += (" Thin dash-dotted with crosses: the same DT under the other decode "
                       "(beside; the verdicts read the main line).")
        if any(x.endswith(STEERED_SUFFIX) for x in seconds):
            second += (" Thin dash-dotted with triangles: a loop's final model asked for each "
                       "return of its target sweep (steered).")
        return (figure(svg) + f"<p class='small'>Each line: one learner across its settings "
                f"(IQM over seeds, band: {self.conf:.0%} CI), actions {esc(decoded)}; {used}; "
                f"a DT's quantilizer dashed and its target-matched simulator dotted, in the DT's "
                f"colour; dashed vertical: the matched capability c* (each comparison's in the "
                f"answers above).{composed}{second}{flag}</p>")

    def answers_table(self, w: str) -> str:
        rows = []
        for q in QUESTIONS:
            for r in self.answers.worlds[w][q].rows:
                c = r.comparison
                others = ", ".join(f"{x} {h:.2f}" for x, h in c.rl_harm.items() if x != c.rl)
                unreached = "; ".join(f"{side} {why}" for side, whys in c.unreached.items()
                                      for why in whys)
                rows.append([
                    esc(TITLES[q]) + ("" if r.role != BESIDE else " <i>(beside)</i>"),
                    esc(f"{c.dt} vs {c.rl or 'RL'}"), esc(MEASURES[c.measure]),
                    badge(c.verdict, verdict_label(c)), num(c.capability),
                    f"{num(c.harm_dt)}, {num(c.harm_rl)}",
                    (f"{num(c.diff)}<span class='ci'>[{num(c.low)}, {num(c.high)}]</span>"
                     if np.isfinite(c.low) else num(c.diff)),
                    ("paired t" if c.paired else "Welch t") if np.isfinite(c.low) else "—",
                    f"±{num(c.margin)}",
                    f"{c.seeds[0]}/{c.seeds_total[0]}, {c.seeds[1]}/{c.seeds_total[1]}",
                    esc("; ".join(x for x in (c.reason, f"others at c*: {others}" if others
                                              else "", unreached) if x) or "—")])
        if not rows:
            return ""
        return details("The answers' numbers", table(
            ["question", "learner vs baseline", "harm measure", "verdict",
             "matched capability c*", "harm learner, baseline", "baseline − learner [CI]",
             "interval", "margin", "seeds at c* (learner, baseline)", "notes"], rows,
            num_from=4))

    def learner_table(self, w: str) -> str:
        rows = world_table(self.res, self.means, w)
        if not rows:
            return NOT_MEASURED_HTML
        gap = "harm" in applicable(self.means, w)
        cols = [(c, t) for c, t in TABLE_COLUMNS if c != "harm" or gap]
        events = [k for k in rows[0] if k.startswith("event_")]
        head = ["learner", "setting (last declared)", "seeds",
                *(labels.metric(c).name for c, _ in cols),
                *(f"{labels.event(w, e)} (per episode)" for e in events),
                "most capable setting"]
        body = []
        for r in rows:
            lab = r["learner"]
            best = self._best(w, lab)
            body.append([esc(f"{lab} ({r['family']})"),
                         esc(labels.setting(self.knob_names.get(lab), r["knob"]) or "—"),
                         str(r["seeds"]), *(cell(r[c], c) for c, _ in cols),
                         *(cell(r[e], e) for e in events), best])
        return (table(head, body, num_from=2) +
                "<p class='small'>IQM over seeds with its 95% stratified-bootstrap interval "
                "below; each learner at the last setting declared in the study file (declared "
                "before the run, never picked from the results). Its frontier may reach more "
                "capability elsewhere (most capable setting); c* is read from the whole "
                "frontier.</p>" + rl_target_note(self.res.metrics, w))

    def _best(self, w: str, lab: str) -> str:
        sub = self.means[(self.means["world"] == w) & (self.means["learner"] == lab)]
        cap = sub.groupby("knob", dropna=False)["capability"].mean().dropna()
        if cap.empty or sub["knob"].isna().all():
            return "—"
        k = cap.idxmax()
        return esc(f"{cap.max():.2f} ({labels.setting(self.knob_names.get(lab), float(k))})")

    def calibration(self, w: str) -> str:
        curves = {}
        for lab, name in self.knob_names.items():
            sub = self.means[(self.means["world"] == w) & (self.means["learner"] == lab)]
            if sub.empty:
                continue
            if str(name) in CALIBRATION_KNOBS:
                curves[lab] = knob_curve(sub, "return", self.conf)
            elif sub["target"].notna().any():  # knob in other units: x is the target asked
                per = sub.assign(knob=sub.groupby("knob")["target"].transform("mean"))
                curves[lab] = knob_curve(per, "return", self.conf)
        return figure(plots.calibration_plot(w, curves, self.colour)) if curves else ""

    def world_replays(self, w: str, st: WorldStory) -> str:
        rep = self.res.replays[self.res.replays["world"] == w]
        if rep.empty:
            return "<p class='nm'>no replays stored for this world</p>"
        chars: set[str] = set()
        learners = self._replay_boxes(rep, w, st.settings, 2, chars)
        refs = [x for x in rep["learner"].unique() if x not in st.settings]
        order = [s["label"] for s in self.res.study["learners"]]
        refs = self._replay_boxes(rep, w, {x: None for x in sorted(refs, key=order.index)}, 1,
                                  chars)
        legend = ", ".join(f"<code>{esc(c)}</code> {esc(m)}" for c, m in labels.symbols(w, chars))
        legend = f" Symbols: {legend}." if legend else ""
        where = ("at its setting nearest c*" if np.isfinite(st.capability)
                 else "at its most capable setting")
        return (f"<p class='small'>Replays: a representative episode per learner {where} (the "
                f"stored one whose return is nearest its job's median).{legend}</p>"
                f"<div class='replays'>{learners}</div>"
                + (details("Replays of the reference policies",
                           f"<div class='replays'>{refs}</div>") if refs else ""))

    def _replay_boxes(self, rep: pd.DataFrame, w: str, settings: dict[str, float | None],
                      per_learner: int, chars: set[str]) -> str:
        """A replay box per learner at its setting, one per branch of the world the stored
        episodes show (`replay.branch`: supervisor present / absent), at most `per_learner`."""
        boxes = []
        for lab, knob in settings.items():
            sub = rep[rep["learner"] == lab].sort_values(["seed", "episode"])
            if knob is not None and sub["knob"].notna().any():
                at = sub[np.isclose(sub["knob"].astype(float), knob)]
                sub = at if not at.empty else sub
            shown: set[str] = set()
            for r in sub.itertuples():
                frames = json.loads(r.frames)
                b = branch(w, frames)
                if b in shown or len(shown) >= per_learner:
                    continue
                shown.add(b)
                chars |= {ch for frame in frames for row in frame for ch in row}
                title = (f"{lab}" + (f", {labels.setting(self.knob_names.get(lab), r.knob)}"
                                     if pd.notna(r.knob) else "") + (f" — {b}" if b else ""))
                boxes.append(self.replays.box(title, frames, json.loads(r.actions),
                                              json.loads(r.rewards)))
        return "".join(boxes)

    # ---- then ----------------------------------------------------------------------------
    def probes(self) -> str:
        head = ("<h2>Counter-claim probes</h2><p class='small'>Named comparisons declared in the "
                "study file, each with both sides' predictions written before the run, computed "
                "from the stored results (they add no jobs).</p>")
        if not self.probe_results:
            return head + NOT_MEASURED_HTML
        rows = [[f"<a href='#{esc(_probe_id(r.name))}'>{esc(r.name)}</a>",
                 esc(r.world or "—"), badge(r.verdict), esc(r.finding)]
                for r in self.probe_results]
        parts = [head, table(["probe", "world", "outcome", "what was found"], rows,
                             num_from=9)]
        by_name: dict[str, list[ProbeResult]] = {}
        for r in self.probe_results:
            by_name.setdefault(r.name, []).append(r)
        for name, rs in by_name.items():
            r0 = rs[0]
            hyp = (f"within ±{r0.margin:g}" if r0.hypothesis_if == "match"
                   else _beyond(r0.hypothesis_if, r0.margin))
            rows = [[
                esc(r.world or "—"), esc(f"{r.learner}" + (f" at knob {r.knob:g}"
                                                            if r.knob is not None else "")),
                esc(r.baseline), badge(r.verdict),
                esc("; ".join([r.finding, *(x for x in (r.reason, r.discrimination)
                                            if x and x not in r.finding)])),
                f"{num(r.learner_value)} vs {num(r.baseline_value)}",
                (f"{num(r.diff)}<span class='ci'>[{num(r.low)}, {num(r.high)}]</span>"
                 if np.isfinite(r.low) else num(r.diff)),
                ("paired t" if r.paired else "Welch t") if np.isfinite(r.low) else "—",
                f"{r.seeds}" if r.seeds == r.baseline_seeds or not r.seeds
                else f"{r.seeds}, {r.baseline_seeds}"]
                for r in rs]
            parts.append(details(
                f"<span id='{esc(_probe_id(name))}'>{esc(name)}</span>: "
                + " ".join(badge(r.verdict) for r in rs),
                f"<p>{esc(r0.question)}</p><div class='pred'><div><b>Hypothesis predicted</b>"
                f"<br>{esc(r0.hypothesis)}</div><div><b>Counter-claim predicted</b><br>"
                f"{esc(r0.counter_claim)}</div></div>"
                f"<p class='small'>Measure: {esc(labels.metric(r0.measure).axis)} "
                f"(<code>{esc(r0.measure)}</code>), learner − baseline. The counter-claim "
                f"predicts {esc(_beyond(r0.direction, r0.margin))}, the hypothesis {esc(hyp)} "
                "(the margin is in the measure's units).</p>"
                + table(["world", "learner", "baseline", "outcome", "in plain words",
                         "learner vs baseline", "difference [CI]", "interval", "seeds"],
                        rows, num_from=5)))
        return "".join(parts)

    def drift(self) -> str:
        head = ("<h2>Drift over training and the trial-and-error loop</h2><p class='small'>"
                "Capability, harm and the simulator signatures against the share of the "
                "environment-step budget spent (RL checkpoints; online DT rounds); the loops' "
                "data metrics against the data each model was trained on at that point. A "
                "measure that does not move is listed, not drawn.</p>")
        drifting = [lab for lab, name in self.knob_names.items() if str(name) in DRIFT_KNOBS]
        m = self.res.metrics
        out = []
        for w, _ in self.order:
            candidates = []  # (measure, curves) for every measure with a curve here
            for value in ("capability", *applicable(self.means, w)):
                curves = {}
                for lab in drifting:
                    sub = self.means[(self.means["world"] == w) & (self.means["learner"] == lab)]
                    if sub["knob"].nunique() > 1:
                        curves[lab] = knob_curve(sub, value, self.conf)
                candidates.append((value, curves))
            for metric in DRIFT_METRICS:
                curves = {}
                for lab in drifting:
                    sub = m[(m["world"] == w) & (m["learner"] == lab) & (m["metric"] == metric)
                            ] if not m.empty else m
                    sub = sub.dropna(subset=["knob", "value"]) if not sub.empty else sub
                    if not sub.empty and sub["knob"].nunique() > 1:
                        curves[lab] = knob_curve(sub, "value", self.conf)
                candidates.append((metric, curves))
            panels, flat = [], []
            for measure, curves in candidates:
                if not curves:
                    continue
                if any(appendix.moves(c["point"]) for c in curves.values()):
                    panels.append((measure, "checkpoint", curves))
                else:
                    at = ", ".join(f"{lab} {num(c['point'].dropna().iloc[0])}"
                                   for lab, c in curves.items() if c["point"].notna().any())
                    flat.append(f"{labels.metric(measure).name}: {at or '—'}")
            if panels:
                out.append(figure(plots.knob_grid(w, panels, self.colour, ncols=4)))
            if flat:
                out.append(f"<p class='small'>{esc(w)}, not drawn (flat over training): "
                           f"{esc('; '.join(flat))}.</p>")
        return head + ("".join(out) or NOT_MEASURED_HTML)

    # ---- appendix ------------------------------------------------------------------------
    def method(self) -> str:
        return ("<h3>Method</h3><p class='small'>Three questions, each one comparison rule. "
                "<i>Simulator?</i>: each voting DT against the exact quantilizer of its own data "
                "(the study entry that pairs with it), an equivalence question; its "
                "target-matched simulator is compared beside. <i>Safer than RL?</i>: each "
                "voting DT trained on a dataset against the strongest RL learner; its "
                "quantilizer against the same RL beside (what a perfect simulator would have "
                "gained). <i>Safer as trial and error?</i>: the online / iterated DT against the "
                "strongest RL learner, both knobs the share of the same step budget. Each "
                "comparison: every seed's frontier (capability, harm) is read at c*, the highest "
                "capability that every seed above random of both sides reaches (ties averaged, "
                "no extrapolation); seeds that do not cover c* are counted and named. The "
                "strongest RL learner is the one with the least harm at c*. The difference of "
                "mean harm (baseline − learner) gets a t interval over seeds: paired when both "
                "sides cover c* on the same seeds (they share evaluation seeds), Welch's "
                "otherwise. Harm is the safety gap G − P and the unsafe events per episode (a "
                "measure that is zero throughout a world is left out); probe-only learners do "
                "not vote. Equivalent: the CI inside ±margin (before anything else). Safer: CI "
                "above 0; less safe: CI below 0 (each says whether it clears the margin). Not "
                "comparable: no common capability above random (left out of every count). "
                "Dominated: one side's frontier is more capable and less harmful at every point, "
                "and the CI (if any) agrees. Otherwise inconclusive. A world's word: its voting "
                "rows' common word; safer (less safe) when every row is safer (less safe) or "
                "equivalent; else inconclusive. Overall, per question: the word a strict "
                "majority of the comparable tension worlds holds, else inconclusive; controls "
                "never count.</p>"
                "<p class='small'>Probes: per seed, the measure of the learner at its knob "
                "against the baseline's on the same seed (or the constant); the mean difference "
                f"over seeds with a {self.conf:.0%} t interval, paired when both sides have the "
                "same seeds, Welch's otherwise. Supports the counter-claim: the CI lies beyond "
                "the margin in the direction it predicted. Supports the hypothesis: within "
                "±margin where it predicts a match, beyond the margin its way where it predicts "
                "a direction. Departs the other way / no difference: what neither side "
                "predicted. Cannot discriminate: the learner's data leave it no way to fail "
                "there.</p>")

    def appendix(self) -> str:
        cfg = json.dumps(self.res.study, indent=1)
        if len(cfg) > MAX_EMBEDDED_CONFIG:  # a huge study file would make a huge report
            cfg = (f"The resolved study config is {len(cfg) / 1e6:.1f} MB, too large to embed "
                   "here: it is in study.yaml in the study's folder and in the store's study "
                   "table.")
        versions = ", ".join(f"{k} {v}" for k, v in self.res.versions.items())
        return ("<h3>Reproduce and query</h3><p class='small'>The numbers come from "
                "<code>results.duckdb</code> beside this file; e.g. <code>simulacra sql DIR "
                "\"SELECT world, learner, avg(return), avg(performance) FROM episodes WHERE "
                f"decode = '{esc(self.res.decode)}' GROUP BY ALL\"</code> (every episode is "
                "stored once per decode the study evaluated, in the <code>decode</code> column; "
                f"this report reads the {esc(self.res.decode)} rows). "
                f"Versions: {esc(versions)}.</p>"
                f"<details><summary>Resolved study config</summary><pre class='cfg'>{esc(cfg)}"
                "</pre></details>")

    def glossary(self) -> str:
        rows = [[esc(k), esc(v.axis), esc(v.about)] for k, v in labels.METRICS.items()]
        return details("Names used in the store", table(
            ["store name", "in this report", "meaning"], rows, num_from=9))

    def build(self) -> str:
        body = [self.header(), self.question(), self.cards()]
        for i, (w, k) in enumerate(self.order):
            if k is not True and (i == 0 or self.order[i - 1][1] is True):
                body.append(self.controls_head())
            body.append(self.world(w))
        # Harm against the data's shortcut share, per world where the study varied it.
        body += [composition_section(self.res) or "", self.probes(), self.drift()]
        body.append(details(
            "Appendix: methods, every metric per learner and setting, timings, the study file",
            self.method() + "<h3>Every metric per learner and setting</h3>"
            + appendix.metrics_section(self.res, self.colour)
            + "<h3>Jobs and timings</h3>" + appendix.timings(self.res) + self.glossary()
            + self.appendix(), cls="appendix"))
        body.append(self.replays.script())
        title = f"simulacra study {self.res.study['name']}"
        page, figure_css = plots.shared_styles("".join(body))
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                f"<title>{esc(title)}</title><meta name='viewport' "
                "content='width=device-width, initial-scale=1'>"
                f"<style>{CSS}{REPLAY_CSS}{figure_css}</style></head><body>{page}</body></html>")


def build_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write `folder/report.html` (or `out`) from the study's store (its verdict decode's rows);
    returns its path."""
    folder = Path(folder)
    return write_report(load(folder), Path(out) if out else folder / "report.html")


def write_report(res: Results, out: str | Path) -> Path:
    """Write the report of the loaded results `res` (one decode's rows) to `out`."""
    return write_text(Path(out), Builder(res).build())


__all__ = ["build_report", "write_report"]
