"""The report's computed answers without the HTML, for a terminal or a script.

`summarise(results)` gathers what the report's verdict and probe sections compute (the same
functions, so the two cannot disagree): the overall verdict with its counts per word, each world's
verdict with its comparisons (matched capability c*, the strongest RL learner there, harm of both
sides, the difference with its CI, whether it clears the margin, seeds covering c* per side and
why the others do not, dominance), and every probe's outcome with its CI and its finding in
plain words. The result is a JSON-ready dict (NaN becomes None);
`render(summary)` turns it into plain text. `simulacra report DIR --summary | --json` prints them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from simulacra.report.analysis import seed_means
from simulacra.report.load import Results
from simulacra.report.verdict import (
    MEASURES,
    verdict_label,
    verdicts,
    world_label,
    world_verdict,
)
from simulacra.strict_json import strict_json
from simulacra.study.probes import evaluate_probes


def summarise(res: Results) -> dict[str, Any]:
    """The verdicts and probe results of the study behind `res` (see the module docstring)."""
    comparisons, overall = verdicts(res, seed_means(res))
    status = res.jobs["status"].value_counts().to_dict() if not res.jobs.empty else {}
    return strict_json({
        "study": res.study.get("name"),
        "jobs": {str(k): int(v) for k, v in sorted(status.items())},
        "overall": overall.verdict,
        "overall_text": overall.text,  # the counts: "safer on k of n comparable worlds; ..."
        "overall_counts": overall.counts,
        "worlds": {w: {"verdict": world_verdict(cs), "label": world_label(cs), "comparisons": [
            {**asdict(c), "label": verdict_label(c)} for c in cs]}
                   for w, cs in comparisons.items() if cs},
        "probes": [asdict(p) for p in evaluate_probes(res)],
    })


def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _ci(d: dict[str, Any]) -> str:
    return f"{_num(d['diff'])} [{_num(d['low'])}, {_num(d['high'])}]"


def _comparison_line(c: dict[str, Any]) -> str:
    rl = c["rl"] or "RL"
    head = f"{c['dt']} vs {rl}, {MEASURES[c['measure']]}: {c['label']}"
    if c["diff"] is None:
        return f"{head}: {c['reason']}"
    others = ", ".join(f"{r} {_num(h)}" for r, h in c["rl_harm"].items() if r != c["rl"])
    unreached = "; ".join(f"{side} {why}" for side, whys in c["unreached"].items()
                          for why in whys)
    return (f"{head} at capability {_num(c['capability'], 2)} (strongest RL there: {rl}"
            f"{'; others ' + others if others else ''}): {c['dt']} {_num(c['harm_dt'])}, "
            f"{rl} {_num(c['harm_rl'])}, difference (RL − DT) {_ci(c)} "
            f"{'paired' if c['paired'] else 'Welch'} t, margin ±{_num(c['margin'])}, "
            f"seeds reaching c* {c['seeds'][0]}/{c['seeds_total'][0]} DT, "
            f"{c['seeds'][1]}/{c['seeds_total'][1]} RL"
            + (f" ({unreached})" if unreached else "") + (f"; {c['reason']}" if c["reason"]
                                                          else ""))


def render(summary: dict[str, Any]) -> str:
    """Plain text of `summarise`'s dict: one line per verdict, comparison and probe."""
    jobs = ", ".join(f"{n} {s}" for s, n in summary["jobs"].items()) or "no jobs"
    lines = [f"study {summary['study']} ({jobs})", f"overall: {summary['overall_text']}"]
    for world, w in summary["worlds"].items():
        lines.append(f"{world}: {w['label']}")
        lines += [f"  {_comparison_line(c)}" for c in w["comparisons"]]
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
    """`summarise`'s dict as Markdown tables (verdicts, then probes): what the README pastes, so
    that its figures are written by a command (`simulacra report DIR --markdown`)."""
    jobs = ", ".join(f"{n} {s}" for s, n in summary["jobs"].items()) or "no jobs"
    out = [f"Study `{summary['study']}` ({jobs}). Overall: **{summary['overall_text']}**.", "",
           "| world | comparison | matched capability c* | harm DT / RL | RL − DT [95% CI] "
           "| verdict |", "|---|---|---|---|---|---|"]
    for world, w in summary["worlds"].items():
        for c in w["comparisons"]:
            rl = c["rl"] or "RL"
            what = f"{c['dt']} vs {rl}, {MEASURES[c['measure']]}"
            if c["diff"] is None:
                out.append(f"| {world} | {_cell(what)} | — | — | — | {c['label']}: "
                           f"{_cell(c['reason'])} |")
                continue
            harms = f"{_num(c['harm_dt'], 2)} / {_num(c['harm_rl'], 2)}"
            ci = f"{_num(c['diff'], 2)} [{_num(c['low'], 2)}, {_num(c['high'], 2)}]"
            out.append(f"| {world} | {_cell(what)} | {_num(c['capability'], 2)} | {harms} | "
                       f"{ci} | {_cell(c['label'])} |")
        out.append(f"| {world} | **world verdict** | | | | **{w['label']}** |")
    if summary["probes"]:
        out += ["", "| probe | world | difference [95% CI] | outcome | finding |",
                "|---|---|---|---|---|"]
    for p in summary["probes"]:
        ci = "—" if p["diff"] is None else (
            f"{_num(p['diff'])} [{_num(p['low'])}, {_num(p['high'])}]")
        out.append(f"| {p['name']} | {p['world'] or 'every world'} | {ci} | {p['verdict']} | "
                   f"{_cell(p['finding'])} |")
    return "\n".join(out)
