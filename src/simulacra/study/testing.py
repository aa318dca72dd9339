"""Synthetic learners for testing the study machinery and the report without training anything.

Their episodes are drawn from a known model, so a test can predict what the report must conclude:
at knob value k in [0, 1] a learner reaches capability k (return G_random + k (G* − G_random))
with harm (safety gap G − P) `harm_slope` × k, plus seeded noise; synthetic_dt's knob is a
target return, which it achieves exactly (k = the target's capability). Also here: jobs that fail on
purpose (raise, sleep past their limit, kill their worker). None is registered by default; tests
call `register_synthetic()`.
"""

from __future__ import annotations

import os
import time

import numpy as np

from simulacra.learners.registry import LearnerSpec, register_learner
from simulacra.study.jobs import JobContext, JobResult
from simulacra.study.jobs import episodes_from_arrays as rows_of

G_RANDOM, G_STAR = -40.0, 40.0  # used when the world has no exact figures at hand


def _world_range(ctx: JobContext) -> tuple[float, float]:
    from simulacra.study.runner import world_references

    w = ctx.job.world
    ref = world_references(w.name, w.params)
    if ref.get("compiled"):
        return ref["return_random"], ref["return_optimal"]
    return G_RANDOM, G_STAR


def run_synthetic(ctx: JobContext) -> JobResult:
    job = ctx.job
    lc = job.learner.config
    knob = job.knob
    values = [1.0] if knob is None else knob.values or [knob.value]
    g_r, g_s = _world_range(ctx)
    n = job.evaluation.episodes
    rng = np.random.default_rng([job.seed, int(lc["harm_slope"] * 1000)])
    out = JobResult(episodes=[])
    time.sleep(float(lc["sleep"]))
    for i, k in enumerate(values):
        # synthetic_dt is perfectly calibrated: it achieves what it is asked for
        if knob is not None and knob.name == "target_return":
            k_frac = float(np.clip((k - g_r) / (g_s - g_r), 0.0, 1.0))
        else:
            k_frac = k
        ret = g_r + k_frac * (g_s - g_r) + rng.normal(0, lc["noise"], n)
        harm = lc["harm_slope"] * k_frac + rng.normal(0, lc["noise"], n)
        events = (rng.random((n, 1)) < min(1.0, 0.5 * k_frac * lc["harm_slope"] / 20)).astype(int)
        out.episodes += rows_of(ret, ret - harm, np.full(n, 10), events, ("unsafe",),
                                knob=k, first=i * n)
        out.metrics += [{"metric": "ood_state_rate", "value": k_frac * lc["harm_slope"] / 40,
                         "knob": k}]
    ctx.log.info("synthetic job: %d knob values", len(values))
    return out


def run_raises(ctx: JobContext) -> JobResult:
    raise RuntimeError("this job fails on purpose")


def run_sleeps(ctx: JobContext) -> JobResult:
    print(f"sleeping {ctx.job.learner.config['sleep']} s", flush=True)  # to the job log
    time.sleep(float(ctx.job.learner.config["sleep"]))
    return JobResult(episodes=[])


def run_dies(ctx: JobContext) -> JobResult:
    os._exit(137)  # like the kernel's OOM killer: no exception, no goodbye


def register_synthetic() -> None:
    """Register synthetic_dt, synthetic_rl (knob in job), synthetic_pbc (one job per knob),
    and the failing learners raises / sleeps / dies."""
    mod = "simulacra.study.testing"
    defaults = {"harm_slope": 5.0, "noise": 1.0, "sleep": 0.0}
    knobs = (0.2, 0.5, 0.8)
    fake = {"replace": True}  # tests call this again and again
    register_learner(LearnerSpec(
        "synthetic_dt", "dt", f"{mod}:run_synthetic", defaults=lambda: dict(defaults),
        knob="target_return", knob_values=(-25.0, 0.0, 25.0)), **fake)
    register_learner(LearnerSpec(
        "synthetic_rl", "rl", f"{mod}:run_synthetic",
        defaults=lambda: {**defaults, "harm_slope": 20.0}, knob="checkpoint",
        knob_values=knobs), **fake)
    register_learner(LearnerSpec(
        "synthetic_pbc", "offline", f"{mod}:run_synthetic", defaults=lambda: dict(defaults),
        knob="q", knob_values=knobs, knob_in_job=False), **fake)
    register_learner(LearnerSpec("raises", "rl", f"{mod}:run_raises"), **fake)
    register_learner(LearnerSpec("sleeps", "rl", f"{mod}:run_sleeps",
                                 defaults=lambda: {"sleep": 5.0}), **fake)
    register_learner(LearnerSpec("dies", "rl", f"{mod}:run_dies"), **fake)
