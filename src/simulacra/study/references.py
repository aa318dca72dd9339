"""Job functions of the references: the exact ones (reward-optimal, performance-optimal, random)
and the data yardsticks (quantilizer, best-of-n, target-matched simulator, the data itself).

They need no training: the policy comes from `simulacra.learners.references.make_reference`, is
rolled out like any learner (`simulacra.evaluate.rollout`) for the episode rows, and on compiled
worlds is also evaluated exactly, so each job carries its exact expected figures as metric rows
(`exact_return`, `exact_performance`, `exact_<event>`): a check on the sampled ones. The optimal
references are optimal over what a learner sees (`simulacra.exact.belief`), so these are the
achievable optima, the same figures `simulacra.exact.references` normalises by.
"""

from __future__ import annotations

from simulacra.exact.solve import UniformPolicy, evaluate
from simulacra.learners.references import ExactPolicy, make_reference
from simulacra.study.datasets import job_dataset
from simulacra.study.jobs import JobContext, JobResult, for_decodes
from simulacra.study.rollout import (
    evaluate_policy,
    measure_policy,
    result_from_episodes,
    under_decodes,
)
from simulacra.worlds.registry import compiled, make_world


def _exact_rows(policy, name: str, params: dict) -> list[dict]:
    """Exact figures of the policy as it acts now (its decode): the optimal ones over its beliefs
    (what it sees), the random one over the states."""
    if isinstance(policy, ExactPolicy):
        exact = evaluate(policy.beliefs.tables, policy.acting)
    else:
        cw = compiled(name, **params)
        exact = evaluate(cw, UniformPolicy(cw.n_actions))
    return [
        {"metric": "exact_return", "value": exact.ret, "knob": None},
        {"metric": "exact_performance", "value": exact.performance, "knob": None},
    ] + [{"metric": f"exact_{k}", "value": v, "knob": None} for k, v in exact.events.items()]


def _run(ctx: JobContext, reference: str) -> JobResult:
    job = ctx.job
    name, params = job.world.name, job.world.params
    seed, n = job.seed, job.evaluation.episodes
    policy = make_reference(reference, name, params, seed=seed)
    data = job_dataset(ctx) if job.dataset else None
    exact = make_world(name, **params).compilable

    def measure() -> JobResult:  # under each decode: the optimal ones break ties two ways
        out = measure_policy(job, policy, data=data)
        if exact:
            out.metrics += _exact_rows(policy, name, params)
        return out

    ctx.progress(0, n)
    result = under_decodes(job, policy, measure)
    ctx.progress(n, n)
    for d in job.evaluation.decode:
        ret = [r["return"] for r in result.episodes if r["decode"] == d]
        perf = [r["performance"] for r in result.episodes if r["decode"] == d]
        ctx.log.info("%s on %s (%s): mean return %.3f, mean performance %.3f over %d episodes",
                     reference, name, d, sum(ret) / len(ret), sum(perf) / len(perf), len(ret))
    return result


def run_reward_optimal(ctx: JobContext) -> JobResult:
    return _run(ctx, "reward-optimal")


def run_performance_optimal(ctx: JobContext) -> JobResult:
    return _run(ctx, "performance-optimal")


def run_random(ctx: JobContext) -> JobResult:
    return _run(ctx, "random")


def _run_from_data(ctx: JobContext, reference: str, kw: str) -> JobResult:
    """A data reference (quantilizer: knob q; best-of-n: knob n; simulator: knob target, a
    return), each knob value evaluated, with its `yardstick_fallback_rate` (the share of
    episodes whose history held no qualifying data episode: `learners.replay`) as a metric row."""
    from simulacra.study.rollout import merge

    job = ctx.job
    name, params = job.world.name, job.world.params
    seed, n = job.seed, job.evaluation.episodes
    data = job_dataset(ctx)
    values = job.knob.values
    if not values:
        raise ValueError(f"{reference} needs knob_values ({kw})")
    parts = []
    for i, k in enumerate(values):
        ctx.progress(i, len(values))
        policy = make_reference(reference, name, params, seed=seed, data=data, **{kw: float(k)})
        part = evaluate_policy(job, policy, [float(k)], first=i * n, data=data)
        # Rolled out once (nothing to decode): its fallback share, stored under every decode.
        row = {"metric": "yardstick_fallback_rate", "value": policy.fallback_rate,
               "knob": float(k)}
        part.metrics += for_decodes(JobResult(episodes=[], metrics=[row]),
                                    job.evaluation.decode).metrics
        parts.append(part)
    ctx.progress(len(values), len(values))
    return merge(parts)


def run_quantilizer(ctx: JobContext) -> JobResult:
    return _run_from_data(ctx, "quantilizer", "q")


def run_best_of_n(ctx: JobContext) -> JobResult:
    return _run_from_data(ctx, "best-of-n", "n")


def run_simulator(ctx: JobContext) -> JobResult:
    """The target-matched simulator of the job's dataset at each knob value (a target return)."""
    return _run_from_data(ctx, "simulator", "target")


def run_data(ctx: JobContext) -> JobResult:
    """The dataset itself, measured like a learner: for each target return g (the knob, in
    return units like DT's, resolved before the run: `simulacra.study.targets`), the data's
    episodes with G >= g, i.e. the behaviour beta(. | G >= g) that a perfect return-conditioned
    model of a deterministic world would reproduce (a q-quantilizer with q = P_data(G >= g)).
    Targets with no such episode (above the data's maximum) give no rows."""
    from simulacra.evaluate.episodes import Episodes
    from simulacra.study.rollout import merge

    job = ctx.job
    data = job_dataset(ctx)
    eps = Episodes.from_dataset(data)
    parts, first = [], 0
    for g in job.knob.values:
        keep = eps.returns >= float(g) - 1e-9
        if not keep.any():
            continue
        chosen = eps.select(keep)
        parts.append(result_from_episodes(chosen, job.evaluation.replays, knob=float(g),
                                          first=first, data=data,
                                          metrics=job.evaluation.metrics))
        first += chosen.n
    return merge(parts) if parts else JobResult(episodes=[])
