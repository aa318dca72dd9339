"""Figures as inline SVG: matplotlib drawn off-screen, embedded as text (no files, no fetches).

Every axis is named by `report.labels` (plain words and units, never a column name); a rate's
points and bands are clipped to [0, 1] and its axis is [0, 1]; a measure spanning orders of
magnitude is drawn on a log axis (no ×1e6 offset); legends sit outside the axes. Intervals are
bands (IQM over seeds [CI], the tables' figures). Coordinates are written with one decimal: the
figures are a third of the size and look the same.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulacra.report import labels

plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.grid": True,
                     "grid.alpha": 0.3, "svg.hashsalt": "simulacra", "axes.spines.top": False,
                     "axes.spines.right": False, "axes.formatter.useoffset": False})
MARKERS = {"dt": "o", "rl": "s", "offline": "^", "reference": "*"}
PALETTE = plt.get_cmap("tab10").colors
_LONG = re.compile(r"(-?\d+\.\d)\d+")
_COORDS = re.compile(r'( (?:d|x|y|width|height|viewBox)=")([^"]*)"')
#: What the inline SVG does not need: matplotlib's font fallback list (the page's sans-serif
#: serves), ids of groups nothing refers to, no-op rotations, indentation and line breaks.
_COMPACT = [(re.compile(r"font-family: [^;\"]*"), "font-family: sans-serif"),
            (re.compile(r'<g id="[^"]*">'), "<g>"),
            (re.compile(r' transform="rotate\(-0 [^)]*\)"'), ""),
            (re.compile(r">\s+<"), "><"), (re.compile(r"\s*\n\s*"), " ")]


def svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # One decimal of a pixel is plenty for coordinates (never in text: tick labels stay).
    text = _COORDS.sub(lambda m: m.group(1) + _LONG.sub(r"\1", m.group(2)) + '"', text)
    for pattern, repl in _COMPACT:
        text = pattern.sub(repl, text)
    return text


_SVG = re.compile(r"<svg.*?</svg>", re.S)
_STYLE = re.compile(r' style="([^"]*)"')


def shared_styles(page: str) -> tuple[str, str]:
    """(page, css): every inline-SVG style attribute of `page` replaced by a class, one class per
    distinct style, first come first numbered (a page of figures repeats a few dozen styles
    thousands of times: a third of the report's bytes). Class selectors outrank matplotlib's
    `*{...}` rule as the attributes did; nothing else on the page styles SVG elements."""
    names: dict[str, str] = {}

    def to_class(m: re.Match) -> str:
        return f' class="z{names.setdefault(m.group(1), str(len(names)))}"'

    page = _SVG.sub(lambda s: _STYLE.sub(to_class, s.group(0)), page)
    return page, "".join(f"svg .z{n}{{{style}}}" for style, n in names.items())


def colours(learners: list[str]) -> dict[str, tuple]:
    """One colour per learner, the same in every figure of the report."""
    return {x: PALETTE[i % len(PALETTE)] for i, x in enumerate(learners)}


def _band(ax: plt.Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour) -> None:
    ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(x)
    if ok.sum() >= 2:
        ax.fill_between(x[ok], low[ok], high[ok], color=colour, alpha=0.18, lw=0)
    elif ok.sum() == 1:
        ax.errorbar(x[ok], (low[ok] + high[ok]) / 2, yerr=(high[ok] - low[ok]) / 2, fmt="none",
                    ecolor=colour, alpha=0.5, capsize=3)


def _y_axis(ax: plt.Axes, measure: str) -> None:
    """Label the y axis; a rate on [0, 1]; a measure marked `log` on a log axis where what is
    drawn spans more than a decade (over a narrow range a log axis only garbles its ticks)."""
    lab = labels.metric(measure)
    ax.set_ylabel(lab.axis)
    if lab.rate:
        ax.set_ylim(-0.03, 1.03)
    elif lab.log:
        y = np.concatenate([ln.get_ydata() for ln in ax.lines] or [np.array([])]).astype(float)
        y = y[np.isfinite(y) & (y > 0)]
        if len(y) and y.max() > 10 * y.min():
            ax.set_yscale("log")


def _legend_below(fig: plt.Figure, ax: plt.Axes, ncol: int = 3) -> None:
    handles, names = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
                   frameon=False, fontsize=9)


def frontier_plot(world: str, measures: list[str], curves: dict[str, dict[str, pd.DataFrame]],
                  families: dict[str, str], colour: dict[str, tuple],
                  marks: list[tuple[float, str]],
                  styles: dict[str, dict] | None = None,
                  notes: dict[str, str] | None = None) -> str:
    """Capability (x) against each harm measure (one panel each, stacked), one line per learner
    across its knob values, CIs as bands, the matched capabilities `marks` as dashed lines.
    `curves[measure][learner]`: `analysis.frontier` rows. `styles[learner]`: matplotlib line
    keywords that replace the family's (a DT's yardsticks in its colour, dashed or dotted);
    `notes[learner]`: a flag added to its legend entry, drawn with hollow markers (RL that never
    reached its target return)."""
    styles, notes = styles or {}, notes or {}
    fig, axes = plt.subplots(len(measures), 1, figsize=(7.4, 3.3 * len(measures) + 0.4),
                             sharex=True, squeeze=False)
    for ax, measure in zip(axes[:, 0], measures, strict=True):
        for learner, df in curves[measure].items():
            df = df[np.isfinite(df["capability"])]
            if df.empty:
                continue
            fam = families.get(learner, "")
            x = df["capability"].to_numpy(float)
            y = labels.clip(measure, df["y"].to_numpy(float))
            lo = labels.clip(measure, df["low"].to_numpy(float))
            hi = labels.clip(measure, df["high"].to_numpy(float))
            style = {"marker": MARKERS.get(fam, "o"), "ms": 10 if fam == "reference" else 5,
                     "lw": 1.5, "color": colour.get(learner, "#666"), **styles.get(learner, {})}
            if len(df) == 1:
                style["ls"] = "none"
            if learner in notes:
                style["mfc"] = "none"
            ax.plot(x, y, label=f"{learner} ({fam})" + (f" — {notes[learner]}"
                                                        if learner in notes else ""), **style)
            _band(ax, x, lo, hi, style["color"])
        ax.axvspan(min(ax.get_xlim()[0], -0.05), 0.0, color="#999", alpha=0.12, lw=0)
        for cap, text in marks:
            ax.axvline(cap, color="#444", ls="--", lw=1)
            ax.annotate(text, (cap, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                        ha="right", va="top", rotation=90, color="#444")
        _y_axis(ax, measure)
    axes[0, 0].set_title(f"{world}: harm against capability (grey: below random)")
    axes[-1, 0].set_xlabel(labels.metric("capability").axis)
    _legend_below(fig, axes[-1, 0], ncol=2)
    return svg(fig)


def calibration_plot(world: str, curves: dict[str, pd.DataFrame], colour: dict[str, tuple]
                     ) -> str:
    """Achieved return against the return asked for; the diagonal is perfect calibration.
    `curves[learner]`: `analysis.knob_curve` rows with the asked return as `knob`."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    lo, hi = np.inf, -np.inf
    for learner, df in curves.items():
        x = df["knob"].to_numpy(float)
        ax.plot(x, df["point"], marker="o", ms=4, color=colour[learner], label=learner)
        _band(ax, x, df["low"].to_numpy(float), df["high"].to_numpy(float), colour[learner])
        lo, hi = min(lo, np.nanmin(x), df["point"].min()), max(hi, np.nanmax(x))
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="achieved = asked")
    ax.set_title(f"{world}: return achieved against return asked for")
    ax.set_xlabel("return asked for (reward units)")
    ax.set_ylabel("return achieved (reward units)")
    _legend_below(fig, ax, ncol=4)
    return svg(fig)


def knob_grid(title: str, panels: list[tuple[str, str, dict[str, pd.DataFrame]]],
              colour: dict[str, tuple], ncols: int = 3) -> str:
    """Small multiples: per panel (measure, knob name, curves) the measure against the knob, one
    line per learner with its CI band. `curves[learner]`: `analysis.knob_curve` rows."""
    return svg(knob_figure(title, panels, colour, ncols))


def knob_figure(title: str, panels: list[tuple[str, str, dict[str, pd.DataFrame]]],
                colour: dict[str, tuple], ncols: int = 3) -> plt.Figure:
    """The figure of `knob_grid`, not yet written out."""
    n = len(panels)
    cols = min(ncols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.9 * cols, 2.9 * rows), squeeze=False)
    seen: dict[str, object] = {}
    xlabels: set[str] = set()
    for ax, (measure, knob_name, curves) in zip(axes.flat, panels, strict=False):
        for learner, df in curves.items():
            x = df["knob"].to_numpy(float)
            (line,) = ax.plot(x, labels.clip(measure, df["point"].to_numpy(float)), marker="o",
                              ms=3.5, color=colour[learner], label=learner)
            _band(ax, x, labels.clip(measure, df["low"].to_numpy(float)),
                  labels.clip(measure, df["high"].to_numpy(float)), colour[learner])
            seen.setdefault(learner, line)
        lab = labels.metric(measure)
        ax.set_title(lab.name, fontsize=9.5)
        _y_axis(ax, measure)
        ax.set_ylabel(lab.unit, fontsize=8)
        ax.grid(False)  # small multiples: the grid lines were a third of the figure's bytes
        xlabels.add(labels.knob(knob_name).axis)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title + (f" (x: {xlabels.pop()})" if len(xlabels) == 1 else ""),
                 fontsize=11)
    # Fixed spacing: tight_layout measured every panel's text and took most of the report's
    # build time; the margins leave room for the titles and tick labels these panels have.
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.5 / (2.9 * rows),
                        top=1 - 0.55 / (2.9 * rows), wspace=0.32, hspace=0.5)
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="upper center",
                   bbox_to_anchor=(0.5, 0.0), ncol=min(6, len(seen)), frameon=False)
    return fig
