"""The report's HTML pieces: escaping, badges, tables that wrap, folded sections, the style sheet.

Tables fit the page: a figure with its interval is two lines in one cell (the value, then the
interval in small grey type) instead of one long unbreakable line, and text cells wrap anywhere.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from simulacra.report import labels
from simulacra.report.analysis import Estimate
from simulacra.report.verdict import DOMINATED, EQUIVALENT, INCONCLUSIVE, LESS_SAFE, SAFER
from simulacra.study.probes import CANNOT, COUNTER, HYPOTHESIS, NO_DIFFERENCE, OTHER_WAY

NOT_MEASURED_HTML = '<p class="nm">not measured in this study</p>'

#: Badge colours: verdict words, and probe outcomes (green where the hypothesis's prediction
#: held, red the counter-claim's, purple a departure neither side predicted, blue no difference,
#: grey where the probe could not fail or was not measured).
CLASSES = {SAFER: "v-safer", LESS_SAFE: "v-not", INCONCLUSIVE: "v-inc", EQUIVALENT: "v-eq",
           DOMINATED: "v-dom", HYPOTHESIS: "v-safer", COUNTER: "v-not", OTHER_WAY: "v-dom",
           NO_DIFFERENCE: "v-eq", CANNOT: "v-nm"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1320px;
 margin:20px auto;padding:0 20px;color:#222;line-height:1.45;font-size:15px}
h1{font-size:24px;margin:0 0 4px 0}h2{border-bottom:2px solid #eee;padding-bottom:4px;
 margin-top:34px}h3{margin:18px 0 6px 0}
.tw{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:8px 0;max-width:100%}
th,td{border:1px solid #ddd;padding:4px 7px;text-align:left;vertical-align:top;
 overflow-wrap:break-word}
th{background:#f4f4f4;font-weight:600;overflow-wrap:normal}td.num{font-variant-numeric:tabular-nums}
.ci{display:block;color:#777;font-size:11px;white-space:nowrap}
.verdict{display:inline-block;padding:1px 9px;border-radius:12px;font-weight:bold;
 white-space:nowrap}
td .verdict{white-space:normal}
.v-safer{background:#d7f5d7}.v-not{background:#f9d6d6}.v-inc{background:#f6ecc4}
.v-nm{background:#e6e6e6}.v-eq{background:#d6e6f9}.v-dom{background:#e9d6f5}
.pred{display:flex;gap:14px;flex-wrap:wrap}.pred>div{flex:1 1 300px;border:1px solid #ddd;
 border-radius:6px;padding:8px 10px;font-size:14px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:14px;
 margin:14px 0}
.card{border:1px solid #ccc;border-radius:8px;padding:10px 14px;background:#fcfcfc}
.card h3{margin:0 0 6px 0;font-size:16px}.card .word{font-size:20px}
.card .tally .verdict{font-size:13px;margin:0 4px 4px 0}
.card .count{margin:6px 0;font-weight:600}.card .why{font-size:13.5px;color:#333}
.glance{display:flex;flex-wrap:wrap;gap:8px 18px;padding:0;list-style:none;font-size:14px}
.wgrid{display:grid;grid-template-columns:minmax(0,1.7fr) minmax(280px,1fr);gap:18px;
 align-items:start}
.wgrid .fig svg{width:100%}
@media (max-width:1000px){.wgrid{grid-template-columns:1fr}}
.story{font-size:14.5px;background:#f8fafc;border-left:4px solid #9bb;padding:8px 12px}
.kind{font-size:13px;font-weight:normal;color:#666}
.nm{color:#888;font-style:italic}.fig svg{max-width:100%;height:auto}
.small{font-size:12.5px;color:#555}
details{margin:8px 0}summary{cursor:pointer;color:#235;font-weight:600}
details.appendix>summary{font-size:20px}
pre.cfg{background:#f7f7f7;padding:8px;font-size:11px;overflow:auto;max-height:300px}
"""


def esc(x: Any) -> str:
    return html.escape(str(x))


def badge(word: str, text: str | None = None) -> str:
    """A verdict word or probe outcome as a coloured badge (`text`: with its qualifier)."""
    return f'<span class="verdict {CLASSES.get(word, "v-nm")}">{esc(text or word)}</span>'


def num(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}" if x is not None and np.isfinite(x) else "—"


def cell(e: Estimate, measure: str = "", digits: int = 2, style: str = "f") -> str:
    """An estimate as a table cell: the value, and its interval below it (a rate's clipped).
    `style` "f": `digits` decimals; "g": `digits` significant figures (measures whose scale
    varies, such as the quantilizer factor, stay narrow)."""
    if e.n == 0 or math.isnan(e.point):
        return "—"
    f = f"{{:.{digits}{style}}}".format
    point = float(labels.clip(measure, e.point))
    if e.n == 1 or math.isnan(e.low):
        return f(point)
    lo, hi = (float(labels.clip(measure, v)) for v in (e.low, e.high))
    return f"{f(point)}<span class='ci'>[{f(lo)}, {f(hi)}]</span>"


def table(head: list[str], rows: list[list[str]], num_from: int = 1) -> str:
    """A table whose `head` is escaped and whose cells are HTML already; cells from column
    `num_from` on are figures."""
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i >= num_from else f"<td>{c}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<div class='tw'><table><tr>{th}</tr>{body}</table></div>"


def details(summary: str, body: str, cls: str = "", open_: bool = False) -> str:
    """A folded section (`summary` is HTML)."""
    c = f" class='{cls}'" if cls else ""
    return f"<details{c}{' open' if open_ else ''}><summary>{summary}</summary>{body}</details>"


def figure(svg: str) -> str:
    return f"<div class='fig'>{svg}</div>"
