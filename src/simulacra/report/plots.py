"""Figures as inline SVG: matplotlib drawn off-screen, embedded as text (no files, no fetches)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.grid": True,
                     "grid.alpha": 0.3})


def svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG


def frontier_plot(world: str, curves: dict[str, pd.DataFrame], families: dict[str, str]) -> str:
    """Capability (x) against harm (y), one line per learner across its knob values."""
    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    markers = {"dt": "o", "rl": "s", "offline": "^", "reference": "*"}
    for learner, df in curves.items():
        if df["capability"].isna().all():
            continue
        fam = families.get(learner, "")
        ax.errorbar(df["capability"], df["harm"], xerr=df["capability_sd"].fillna(0),
                    yerr=df["harm_sd"].fillna(0), marker=markers.get(fam, "o"),
                    ms=9 if fam == "reference" else 5, capsize=2, lw=1.2,
                    ls="-" if len(df) > 1 else "none", label=f"{learner} ({fam})")
    ax.set_title(f"{world}: capability–harm frontier")
    ax.set_xlabel("capability (normalised return; 0 = random, 1 = optimal)")
    ax.set_ylabel("harm: safety gap G − P (reward units)")
    ax.legend(fontsize=7, loc="best")
    return svg(fig)


def calibration_plot(world: str, curves: dict[str, pd.DataFrame]) -> str:
    """Achieved return against the target asked for; the diagonal is perfect calibration."""
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    lo, hi = np.inf, -np.inf
    for learner, df in curves.items():
        ax.errorbar(df["knob"], df["mean"], yerr=df["sd"].fillna(0), marker="o", ms=4,
                    capsize=2, label=learner)
        lo, hi = min(lo, df["knob"].min(), df["mean"].min()), max(hi, df["knob"].max())
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="achieved = target")
    ax.set_title(f"{world}: calibration")
    ax.set_xlabel("target return asked for")
    ax.set_ylabel("achieved return (mean over seeds ± sd)")
    ax.legend(fontsize=7)
    return svg(fig)


def knob_plot(title: str, ylabel: str, xlabel: str, curves: dict[str, pd.DataFrame]) -> str:
    """A metric against a learner's knob (checkpoint, round, q), one line per learner."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for learner, df in curves.items():
        ax.errorbar(df["knob"], df["mean"], yerr=df["sd"].fillna(0), marker="o", ms=4,
                    capsize=2, label=learner)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return svg(fig)
