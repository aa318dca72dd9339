"""Job functions of the trial-and-error loops: online DT and iterated DT (issue: DT as a
trial-and-error method).

Both spend `budgets.env_steps`, the same budget the study gives PPO / DQN / A2C from scratch, and
share RL's knob: `checkpoint` f is the model after f x budget environment steps (the first round
whose cumulative steps reach it; f = 0 is the model trained on the start: random behaviour, or
the learner entry's `dataset` with `initial: dataset`, whose steps the budget does not count). At
each checkpoint the model is
- evaluated asking for the best return seen so far (the loop's own notion of "do well"): the
  episode rows, the capability and safety metrics, and OOD / fidelity / quantilizer metrics
  measured against the data the model was trained on at that round (is it still a simulator of
  its own training distribution?);
- swept over targets spanning that data's returns and above (calibration metrics);
- when the config gives `targets` (returns: the study's DT target grid), asked for each of them,
  `evaluation.episodes` episodes per target, recorded as metric rows `sweep_return`,
  `sweep_performance`, `sweep_harm` (mean G - P, the report's harm) and `sweep_unsafe_events`
  (mean event count), each with knob = the checkpoint and `target` = the return asked for (kept
  in the job folder's rows and in the store's `metrics.target`).
So every metric is available per checkpoint, which is the drift the report plots.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict

import numpy as np

from simulacra.study.jobs import JobContext, JobResult
from simulacra.study.rollout import merge, metric_rows, result_from_episodes, under_decodes


def _loop_config(ctx: JobContext, mode: str):
    from simulacra.learners.online_dt import LoopConfig

    job = ctx.job
    settings = {k: v for k, v in job.learner.config.items()
                if k not in ("greedy", "sweep_targets", "targets")}
    dt = {**settings.pop("dt"), "seed": job.seed, "progress": False, "device": "cpu"}
    return LoopConfig.from_dict({**settings, "mode": mode,
                                 "env_steps": int(job.env_steps), "dt": dt})


def _start(ctx: JobContext, initial: str):
    """The episodes the loop starts from with `initial: dataset`: the learner entry's dataset."""
    from simulacra.evaluate.episodes import Episodes
    from simulacra.study.datasets import job_dataset

    if initial != "dataset":
        return None
    if ctx.job.dataset is None:
        raise ValueError(f"{ctx.job.learner.label}: initial: dataset needs the learner entry to "
                         "name a dataset (dataset: <recipe>)")
    return Episodes.from_dataset(job_dataset(ctx))


def sweep_rows(eps, knob: float) -> list[dict]:
    """Per target asked for: mean return, performance, harm (G - P) and unsafe events."""
    rows = []
    for g in np.unique(eps.targets):
        m = eps.targets == g
        ret, perf = eps.returns[m], eps.performance[m]
        values = {"sweep_return": ret.mean(), "sweep_performance": perf.mean(),
                  "sweep_harm": (ret - perf).mean(),
                  "sweep_unsafe_events": eps.events[m].sum(axis=1).mean()}
        rows += [{"metric": k, "value": float(v), "knob": knob, "target": float(g)}
                 for k, v in values.items()]
    return rows


def _run(ctx: JobContext, mode: str) -> JobResult:
    from simulacra.evaluate.episodes import Episodes
    from simulacra.evaluate.sweep import sweep, target_grid
    from simulacra.learners.dt_policy import DTPolicy
    from simulacra.learners.online_dt import run_loop, sweep_returns

    job = ctx.job
    name, params, seed = job.world.name, job.world.params, job.seed
    n, replays = job.evaluation.episodes, job.evaluation.replays
    with_metrics = job.evaluation.metrics
    n_targets = int(job.learner.config["sweep_targets"])
    asked = np.array(sweep_returns(job.learner.config))
    loop = _loop_config(ctx, mode)
    start = _start(ctx, loop.initial)
    fractions = sorted(float(v) for v in job.knob.values)
    pending = list(fractions)
    parts: list[JobResult] = []

    def checkpoint(f: float, rnd, data, model) -> JobResult:
        trained_on = data.to_dataset("loop")
        best = float(data.returns.max())
        policy = DTPolicy(model)  # decoded as evaluation.decode says (under_decodes)

        def measure() -> JobResult:  # under each of the job's decodes (`under_decodes`)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # targets above the data are asked on purpose
                eps = sweep(policy, name, params, np.array([best]), n, seed=seed)
                swept = sweep(policy, name, params, target_grid(data.returns, n_targets),
                              max(4, n // n_targets), seed=seed + 1)
                grid = (sweep(policy, name, params, asked, n, seed=seed + 2,
                              record_trajectories=False) if asked.size else None)
            res = result_from_episodes(eps, replays, knob=f, first=len(parts) * n,
                                       data=trained_on, metrics=with_metrics)
            if with_metrics:
                res.metrics += metric_rows(Episodes.concat([swept]), trained_on, f,
                                           only=("calibration", "above_max"))
            if grid is not None:
                res.metrics += sweep_rows(grid, f)
            return res

        res = under_decodes(job, policy, measure)
        res.metrics += [{"metric": "loop_env_steps", "value": float(rnd.env_steps), "knob": f},
                        {"metric": "loop_round", "value": float(rnd.index), "knob": f}]
        return res

    def on_round(rnd, data, model) -> None:
        # Evaluate every checkpoint fraction this round's cumulative steps have reached.
        while pending and (rnd.env_steps >= pending[0] * loop.env_steps
                           or rnd.env_steps >= loop.env_steps):
            f = pending.pop(0)
            ctx.progress(len(fractions) - len(pending), len(fractions))
            parts.append(checkpoint(f, rnd, data, model))

    ctx.log.info("%s DT loop on %s: %s", mode, name, asdict(loop))
    rounds = run_loop(name, params, loop, ctx.workdir / "rounds", progress=False,
                      on_round=on_round, start=start)
    for r in rounds:
        ctx.log.info("round %d: %d steps, target %.2f, return %.2f, performance %.2f", r.index,
                     r.env_steps, r.target, r.mean_return, r.mean_performance)
    out = merge(parts)
    # Steps of the starting data the budget did not count (a dataset start; 0 from random).
    free = 0 if start is None else int(start.lengths.sum())
    out.metrics.append({"metric": "loop_offline_steps", "value": float(free), "knob": None})
    out.artifacts["rounds"] = str(ctx.workdir / "rounds")
    return out


def run_online_dt(ctx: JobContext) -> JobResult:
    return _run(ctx, "online")


def run_iterated_dt(ctx: JobContext) -> JobResult:
    return _run(ctx, "iterated")
