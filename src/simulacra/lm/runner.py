"""Runs an LM study unit by unit ((method, seed)), storing each finished unit, and summarises the
store as the --json result: methods.<name>.points, fits.<method>, questions.<q>."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulacra.lm import store
from simulacra.lm.config import ConfigError, Study
from simulacra.lm.fits import fit
from simulacra.lm.measure import FIELDS
from simulacra.lm.methods import best_of_n, conditional, filtered, iterated, rl
from simulacra.lm.questions import base_gold, questions
from simulacra.lm.seed import prepare

RUNNERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "conditional": conditional.run, "filtered": filtered.run, "best_of_n": best_of_n.run,
    "rl": rl.run, "iterated": iterated.run,
}


def run(study: Study, out: Path, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Run every unfinished (method, seed) of `study` into folder `out`; return the summary."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing is downloaded: every model is made here
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # stderr carries the run's own progress lines
    con = store.connect(out)
    try:
        held = store.study_config(con)
        if held is not None and held != study.as_json():
            raise ConfigError(f"{out} holds another LM study's results: use another --out")
        store.set_study(con, study.name, study.as_json())
        done = store.finished(con)
        for seed in study.seeds:
            todo = [m for m in study.methods if (m, seed) not in done]
            if not todo:
                log(f"seed {seed}: all methods finished, skipped")
                continue
            t0 = time.perf_counter()
            s = prepare(study, seed, out / "models")
            log(f"seed {seed}: data, proxy (held-out accuracy {s.ctx.proxy.accuracy:.3f}) and "
                f"base ready in {time.perf_counter() - t0:.1f} s")
            for method in todo:
                t0 = time.perf_counter()
                pts = RUNNERS[method](s, _settings(study, method))
                seconds = time.perf_counter() - t0
                store.save_unit(con, method, seed, seconds, pts)
                log(f"seed {seed}: {method} ({len(pts)} points) in {seconds:.1f} s")
        return summary(study, store.points(con))
    finally:
        con.close()


def _settings(study: Study, method: str) -> dict[str, Any]:
    settings = dict(study.methods[method])
    if method == "best_of_n":  # n = 1 is the base itself, every question's reference
        settings["n"] = sorted({1, *settings["n"]})
    return settings


def method_points(pts: pd.DataFrame) -> dict[str, Any]:
    """Per method, its points averaged over seeds (one per variant and knob)."""
    out: dict[str, Any] = {}
    for method, rows in pts.groupby("method", sort=True):
        agg = rows.groupby(["variant", "knob"], sort=True)
        means = agg[["queries", *FIELDS]].mean()
        counts = agg.size()
        points = []
        for (variant, knob), r in means.iterrows():
            p = {"variant": variant, "knob": knob, "seeds": int(counts[(variant, knob)]),
                 **{k: float(r[k]) for k in ("queries", *FIELDS)}}
            p["sqrt_kl"] = math.sqrt(max(p["kl"], 0.0))
            points.append(p)
        out[str(method)] = {"points": points}
    return out


def fits(pts: pd.DataFrame) -> dict[str, Any]:
    base = base_gold(pts)
    out: dict[str, Any] = {}
    for method in ("best_of_n", "rl"):
        rows = pts[(pts.method == method) & pts.seed.isin(list(base))]
        if rows.empty:
            continue
        gain = rows.gold.to_numpy() - np.array([base[int(s)] for s in rows.seed])
        out[method] = fit(method, rows.kl.to_numpy(), gain)
        if method == "rl":
            out[method]["by_variant"] = {
                v: fit(method, g.kl.to_numpy(), g.gold.to_numpy()
                       - np.array([base[int(s)] for s in g.seed]))
                for v, g in rows.groupby("variant")}
    return out


def summary(study: Study, pts: pd.DataFrame) -> dict[str, Any]:
    q = study["questions"]
    return {"study": study.name, "seeds": list(study.seeds), "methods": method_points(pts),
            "fits": fits(pts), "questions": questions(pts, q["margin"], q["confidence"])}
