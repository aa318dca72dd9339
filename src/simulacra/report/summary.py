"""The report's computed answers without the HTML, for a terminal or a script.

`summarise(results)` gathers what the report's answer, probe and composition sections compute
(the same functions, so the two cannot disagree): which worlds are tension worlds and which
controls (with the exact figures that classed them, `report.tension`); the three questions
(`report.questions`) per world, each with its verdict, its reading in the question's terms and
every comparison it used (matched capability c*, harm of both sides, the difference with its CI,
the margin and whether it is cleared, seeds covering c* per side and why the others do not,
dominance), and per question the overall word over tension worlds with its counts; every probe's
outcome with its CI and its finding in plain words; and harm against the data's shortcut share
per world where the study varied it (`report.composition`). The result is a JSON-ready dict (NaN
becomes None); `render(summary)` turns it into plain text, `render_markdown` into the README's
tables. `simulacra report DIR --summary | --json | --markdown` prints them.

Kept from before version 2, as the safety question's: `overall`, `overall_text`,
`overall_counts` (over tension worlds, like every overall answer) and each world's `verdict`,
`label` and `comparisons` (the DT-vs-RL rows in `verdict.Comparison`'s field names).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pandas as pd

from simulacra.report.analysis import seed_means
from simulacra.report.composition import composition
from simulacra.report.load import Results
from simulacra.report.questions import (
    ASKS,
    QUESTIONS,
    SAFETY,
    TITLES,
    answer,
    answer_json,
    overall_text,
)
from simulacra.report.tension import CONTROL, TENSION, UNKNOWN
from simulacra.report.verdict import MEASURES, verdict_label
from simulacra.strict_json import strict_json
from simulacra.study.probes import evaluate_probes


def summarise(res: Results) -> dict[str, Any]:
    """The answers and probe results of the study behind `res` (see the module docstring)."""
    status = res.jobs["status"].value_counts().to_dict() if not res.jobs.empty else {}
    return strict_json({
        "study": res.study.get("name"),
        "decode": res.decode,  # whose episodes these answers read (`report --decode`)
        "jobs": {str(k): int(v) for k, v in sorted(status.items())},
        **answers(res, seed_means(res)),
        "probes": [asdict(p) for p in evaluate_probes(res)],
        # Harm (safety gap) against the data's shortcut share, per world where it was varied.
        "composition": {world: {name: [asdict(p) for p in pts] for name, pts in series.items()}
                        for world, series in composition(res).items()},
    })


def answers(res: Results, means: pd.DataFrame) -> dict[str, Any]:
    """The worlds' classes, the three questions' answers per world and overall, and the keys
    kept from before version 2 (module docstring), from per-seed means."""
    ans = answer(res, means)
    safety = ans.overall[SAFETY]
    worlds = {}
    for w, qs in ans.worlds.items():
        if not ans.voting[w] and not any(a.rows for a in qs.values()):
            continue  # nothing here votes in any question (references only)
        legacy = qs[SAFETY].votes
        worlds[w] = {"class": ans.kind(w), "verdict": qs[SAFETY].verdict,
                     "label": qs[SAFETY].label,
                     "comparisons": [{**asdict(c), "label": verdict_label(c)} for c in legacy],
                     "questions": {q: answer_json(a) for q, a in qs.items()}}
    by_kind = {k: [c.figures() for c in ans.classes if c.kind == k]
               for k in (TENSION, CONTROL, UNKNOWN)}
    return strict_json({
        "tension_worlds": by_kind[TENSION],
        "controls": by_kind[CONTROL],
        "cannot_be_computed": by_kind[UNKNOWN],
        "questions": {q: {"title": TITLES[q], "asks": ASKS[q], "overall": {
            "verdict": ov.verdict, "text": overall_text(ov), "counts": ov.counts,
            "comparable": ov.comparable}} for q, ov in ans.overall.items()},
        "overall": safety.verdict,
        "overall_text": safety.text,  # the counts: "safer on k of n comparable worlds; ..."
        "overall_counts": safety.counts,
        "worlds": worlds,
    })


def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _ci(d: dict[str, Any]) -> str:
    return f"{_num(d['diff'])} [{_num(d['low'])}, {_num(d['high'])}]"


def _row_line(c: dict[str, Any]) -> str:
    """One comparison of a question (`questions.row_json`) as a line of text."""
    a, b = c["learner"], c["baseline"] or "RL"
    head = (f"{a} vs {b}, {MEASURES[c['measure']]}: {c['label']}"
            + (" (beside, not counted)" if c["role"] == "beside" else ""))
    if c["diff"] is None:
        return f"{head}: {c['reason']}"
    others = ", ".join(f"{r} {_num(h)}" for r, h in c["other_baselines"].items() if r != b)
    unreached = "; ".join(f"{side} {why}" for side, whys in c["unreached"].items()
                          for why in whys)
    strongest = (f" (strongest RL there: {b}{'; others ' + others if others else ''})"
                 if c["yardstick"] == "RL" else "")
    return (f"{head} at capability {_num(c['capability'], 2)}{strongest}: "
            f"{a} {_num(c['harm_learner'])}, {b} {_num(c['harm_baseline'])}, difference "
            f"({b} − {a}) {_ci(c)} {'paired' if c['paired'] else 'Welch'} t, margin "
            f"±{_num(c['margin'])}, seeds reaching c* {c['seeds'][0]}/{c['seeds_total'][0]} "
            f"{a}, {c['seeds'][1]}/{c['seeds_total'][1]} {b}"
            + (f" ({unreached})" if unreached else "") + (f"; {c['reason']}" if c["reason"]
                                                          else ""))


def _classes_line(summary: dict[str, Any]) -> str:
    def names(key: str) -> str:
        return ", ".join(x["world"] + (f" ({x['reason']})" if x.get("reason") else "")
                         for x in summary[key]) or "none"

    return (f"tension worlds (decide): {names('tension_worlds')}; controls (not counted): "
            f"{names('controls')}" + (f"; cannot be computed: {names('cannot_be_computed')}"
                                      if summary["cannot_be_computed"] else ""))


def render(summary: dict[str, Any]) -> str:
    """Plain text of `summarise`'s dict: the worlds' classes, each question's overall answer,
    per world each answer with its comparisons, then the probes."""
    jobs = ", ".join(f"{n} {s}" for s, n in summary["jobs"].items()) or "no jobs"
    decode = f", decode {summary['decode']}" if summary.get("decode") else ""
    lines = [f"study {summary['study']} ({jobs}){decode}", _classes_line(summary),
             f"overall: {summary['overall_text']}"]
    for q, d in summary["questions"].items():
        lines.append(f"{q} ({d['title']}): {d['overall']['verdict']} "
                     f"({d['overall']['text']})")
    for world, w in summary["worlds"].items():
        lines.append(f"{world} [{w['class']}]: {w['label']}")
        for q in QUESTIONS:
            a = w["questions"][q]
            lines.append(f"  {q}: {a['label']}: {a['reading']}")
            lines += [f"    {_row_line(c)}" for c in a["comparisons"]]
            lines += [f"    note: {n}" for n in a["notes"]]
    if summary["probes"]:
        lines.append("probes:")
    for p in summary["probes"]:
        # The outcome word, then what was found in plain words (which side, if any, predicted it,
        # with the numbers): "supports the counter-claim" alone read backwards (issue #18).
        where = f" on {p['world']}" if p["world"] else ""
        extra = [x for x in (p["reason"], p["discrimination"]) if x and x not in p["finding"]]
        seeds = "" if p["diff"] is None else (
            f"; {p['seeds']} seeds, {'paired' if p['paired'] else 'Welch'} t")
        lines.append(f"  {p['name']}{where}: {p['verdict']}: {p['finding']}{seeds}"
                     + "".join(f"; {x}" for x in extra))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: dict[str, Any]) -> str:
    """`summarise`'s dict as Markdown tables (the three answers, each world's three words, every
    comparison, then probes):
    what the README pastes, so that its figures are written by a command (`simulacra report DIR
    --markdown`)."""
    jobs = ", ".join(f"{n} {s}" for s, n in summary["jobs"].items()) or "no jobs"
    out = [f"Study `{summary['study']}` ({jobs}); {_cell(_classes_line(summary))}.", "",
           "| question | answer over tension worlds |", "|---|---|"]
    out += [f"| {d['title']} | **{d['overall']['verdict']}** ({_cell(d['overall']['text'])}) |"
            for d in summary["questions"].values()]
    titles = [summary["questions"][q]["title"] for q in QUESTIONS]
    out += ["", f"| world | {' | '.join(titles)} |", "|---|" + "---|" * len(titles)]
    out += [f"| {world} ({w['class']}) | "
            + " | ".join(w["questions"][q]["label"] for q in QUESTIONS) + " |"
            for world, w in summary["worlds"].items()]
    out += ["", "| world | question | comparison | matched capability c* | harm learner / "
            "baseline | baseline − learner [95% CI] | verdict |", "|---|---|---|---|---|---|---|"]
    for world, w in summary["worlds"].items():
        where = f"{world} ({w['class']})"
        for q in QUESTIONS:
            a, title = w["questions"][q], summary["questions"][q]["title"]
            for c in a["comparisons"]:
                what = (f"{c['learner']} vs {c['baseline'] or 'RL'}, {MEASURES[c['measure']]}"
                        + (" (beside)" if c["role"] == "beside" else ""))
                if c["diff"] is None:
                    out.append(f"| {where} | {title} | {_cell(what)} | — | — | — | "
                               f"{c['label']}: {_cell(c['reason'])} |")
                    continue
                harms = f"{_num(c['harm_learner'], 2)} / {_num(c['harm_baseline'], 2)}"
                ci = f"{_num(c['diff'], 2)} [{_num(c['low'], 2)}, {_num(c['high'], 2)}]"
                out.append(f"| {where} | {title} | {_cell(what)} | {_num(c['capability'], 2)} "
                           f"| {harms} | {ci} | {_cell(c['label'])} |")
            why = "; ".join(x for x in (a["reason"], *a["notes"]) if x)
            out.append(f"| {where} | {title} | **answer** | | | | **{a['label']}**"
                       + (f": {_cell(why)}" if why else "") + " |")
    if summary["probes"]:
        out += ["", "| probe | world | difference [95% CI] | outcome | finding |",
                "|---|---|---|---|---|"]
    for p in summary["probes"]:
        ci = "—" if p["diff"] is None else (
            f"{_num(p['diff'])} [{_num(p['low'])}, {_num(p['high'])}]")
        out.append(f"| {p['name']} | {p['world'] or 'every world'} | {ci} | {p['verdict']} | "
                   f"{_cell(p['finding'])} |")
    out += composition_markdown(summary.get("composition") or {})
    return "\n".join(out)


def composition_markdown(worlds: dict[str, dict[str, list[dict[str, Any]]]]) -> list[str]:
    """One table per world: each series' safety gap (mean over seeds [95% CI]) at each shortcut
    share; RL, trained without the data, in one column."""
    out: list[str] = []
    for world, series in worlds.items():
        # RL's points have no share (None in the JSON, NaN before it)
        shares = sorted({p["share"] for pts in series.values() for p in pts
                         if p["share"] is not None and p["share"] == p["share"]})
        if not shares:  # a study run in pieces: only RL has rows on this world so far
            out += ["", f"Harm against the shortcut share, {world}: no learner trained on the "
                    "compositions has finished here yet."]
            continue
        out += ["", f"Harm (safety gap G − P) against the shortcut share of the data's top "
                f"episodes, {world}:", "",
                "| learner | " + " | ".join(f"share {x:g}" for x in shares) + " |",
                "|---|" + "---|" * len(shares)]
        for name, pts in series.items():
            at = {p["share"]: p for p in pts}
            if name.startswith("RL"):
                (p,) = pts
                cells = [f"{_interval(p)} (no data)"] + [""] * (len(shares) - 1)
            else:
                cells = [_interval(at[x]) if x in at else "—" for x in shares]
            out.append(f"| {_cell(name)} | " + " | ".join(cells) + " |")
    return out


def _interval(p: dict[str, Any]) -> str:
    if p["mean"] is None:
        return "—"
    ci = "" if p["low"] is None else f" [{_num(p['low'], 1)}, {_num(p['high'], 1)}]"
    return f"{_num(p['mean'], 1)}{ci}"
