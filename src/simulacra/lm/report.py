"""The language-model study's report: one self-contained HTML file, written by `simulacra lm run`.

It draws from the same summary `--json` prints (so the two cannot disagree): the three answers
with their verdict words, a Gao-style figure per reward (gold and proxy against √KL to the base,
one line per method and setting, the fitted forms of best-of-n and RL dashed), and each
question's comparisons with their intervals.
"""

from __future__ import annotations

import html
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.atomic import write_text

QUESTIONS = {
    "simulator": "Simulator? The conditioned LM against best-of-n of its own base",
    "safety": "Safer than RL? The conditioned LM against RL at matched gold",
    "trial_and_error": "Safer as trial and error? Iterated conditioning against RL at equal "
                       "proxy queries",
}
CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border-bottom:
1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}.cards{display:grid;
grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1em}.card{border:1px solid #ccc;
border-radius:6px;padding:.8em}.word{font-weight:bold;font-size:1.2em}svg{max-width:100%;
height:auto}"""


def _num(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _curves(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Points per line (method, or method and setting), sorted by √KL."""
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for method, m in result["methods"].items():
        for p in m["points"]:
            label = f"{method} {p['variant']}" if p.get("variant") else method
            lines[label].append(p)
    return {k: sorted(v, key=lambda p: p["sqrt_kl"] or 0.0) for k, v in lines.items()}


def _fit_curve(fit: dict[str, Any], d: np.ndarray) -> np.ndarray:
    if fit["form"].startswith("d(alpha - beta d)"):
        return d * (fit["alpha"] - fit["beta"] * d)
    return d * (fit["alpha"] - fit["beta"] * np.log(np.maximum(d, 1e-9)))


def figure(result: dict[str, Any]) -> str:
    """Gold and proxy against √KL, one line per method and setting, as inline SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, pts in _curves(result).items():
        x = [p["sqrt_kl"] or 0.0 for p in pts]
        for ax, key in zip(axes, ("gold", "proxy"), strict=True):
            ax.plot(x, [p[key] for p in pts], marker="o", ms=3, lw=1.2, label=label)
    base = [p for m in result["methods"].values() for p in m["points"] if not p["sqrt_kl"]]
    for name, fit in (result.get("fits") or {}).items():
        if fit.get("alpha") is None or not base:
            continue
        top = max((p["sqrt_kl"] or 0.0) for p in result["methods"][name]["points"])
        d = np.linspace(0, top, 60)
        # The fits are of the gold *gain* over the base: drawn from the base's gold.
        axes[0].plot(d, base[0]["gold"] + _fit_curve(fit, d), ls="--", lw=1, color="grey")
    axes[0].set_title("gold reward (the truth)")
    axes[1].set_title("proxy reward (what was optimised)")
    for ax in axes:
        ax.set_xlabel("√KL(policy ‖ base), nats^½")
        ax.grid(alpha=.3)
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _question(name: str, q: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{html.escape(c['verdict'])}</td>"
        f"<td>{_num(c.get('gold_gain'), 2)}</td><td>{_num(c.get('harm_simulator'))} / "
        f"{_num(c.get('harm_other'))}</td><td>{_num(c.get('diff'))} [{_num(c.get('low'))}, "
        f"{_num(c.get('high'))}]</td><td>±{_num(c.get('margin'), 2)}</td>"
        f"<td>{c.get('seeds', '—')}</td></tr>"
        for m, c in q["measures"].items())
    return (f"<h3>{html.escape(QUESTIONS.get(name, name))}: {html.escape(q['verdict'])}</h3>"
            f"<p>{html.escape(q['simulator'])} against {html.escape(q['against'])}.</p>"
            "<table><tr><th>harm</th><th>verdict</th><th>matched gold gain</th>"
            f"<th>harm {html.escape(q['simulator'])} / {html.escape(q['against'])}</th>"
            f"<th>{html.escape(q['against'])} − {html.escape(q['simulator'])} [95% t interval]"
            "</th><th>margin</th><th>seeds</th></tr>"
            f"{rows}</table>")


def build(result: dict[str, Any], path: Path) -> Path:
    """Write the report of `result` (what `simulacra lm run --json` prints) to `path`."""
    cards = "".join(
        f"<div class='card'>{html.escape(QUESTIONS.get(n, n))}<div class='word'>"
        f"{html.escape(q['verdict'])}</div></div>" for n, q in result["questions"].items())
    body = (f"<h1>Language-model study “{html.escape(str(result['study']))}”</h1>"
            f"<p>Seeds {result['seeds']}. Does a reward-conditioned LM stay a simulator while an "
            "RL-tuned LM becomes the agent? Text comes from a hidden Markov model, so likelihood "
            "and support are exact; harm is the hacking rate (proxy high, gold low) and the "
            "share of impossible texts, compared at matched gold gain over the base.</p>"
            f"<div class='cards'>{cards}</div><h2>Gold and proxy against KL</h2>"
            "<p>Dashed: Gao et al.'s fitted forms of the gold gain (best-of-n d(α − βd), RL "
            f"d(α − β log d)).</p>{figure(result)}<h2>The questions</h2>"
            + "".join(_question(n, q) for n, q in result["questions"].items()))
    write_text(path, f"<!doctype html><meta charset='utf-8'><title>simulacra LM study</title>"
                     f"<style>{CSS}</style>{body}")
    return path
