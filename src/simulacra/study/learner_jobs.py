"""Job functions of the trained learners, one per evaluation protocol: DT, PPO / DQN / A2C, and
every dataset learner evaluated like BC (BC, %BC, CQL: `run_offline`, through the spec's `train`).

Each trains with the learner's own module (checkpoints under the job's folder), then evaluates
through `simulacra.study.rollout.evaluate_policy` (under each of the job's decodes) like every
other learner. Which learner uses which function is its spec's `job`
(`simulacra.learners.registry`). Knobs:

- DT, `target` g: the return asked for, in return units (resolved before the run from the
  study's grid or fractions: `simulacra.study.targets`); one training, every g evaluated.
- PPO / DQN / A2C, `checkpoint` f: the checkpoint after f × budgets.env_steps environment steps;
  one training, every checkpoint evaluated.
- %BC, `q`: the share of best episodes kept; one training per q (a job per value). Any offline
  learner's knob reaches its `train` hook the same way.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict
from pathlib import Path

from simulacra.study.datasets import job_dataset
from simulacra.study.jobs import JobContext, JobResult
from simulacra.study.rollout import evaluate_policy, merge


def run_dt(ctx: JobContext) -> JobResult:
    from simulacra.learners.dt_policy import load_policy
    from simulacra.learners.dt_train import TrainConfig, train_dataset

    job = ctx.job
    seed = job.seed
    settings = dict(job.learner.config)
    data = job_dataset(ctx)
    train_cfg = TrainConfig.from_dict({**settings, "seed": seed, "progress": False,
                                       "device": "cpu"})
    ckpt = ctx.workdir / "checkpoint"
    ctx.log.info("training DT on %d episodes: %s", data.n_episodes, asdict(train_cfg))
    _, losses = train_dataset(data, train_cfg, out=ckpt)
    ctx.log.info("final loss %.4f", losses[-1] if losses else float("nan"))
    policy = load_policy(ckpt, device="cpu")  # decoded as the job says (evaluation.decode)
    targets = [float(g) for g in job.knob.values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # targets above the data are asked for on purpose
        # Every target under each decode; calibration over the whole sweep at once.
        out = evaluate_policy(job, policy, targets, targets, data=data, sweep_metrics=True,
                              progress=ctx.progress)
    out.artifacts["checkpoint"] = str(ckpt)
    return out


def _checkpoint_for(out: Path, fraction: float, total: int) -> Path:
    """The model of knob `fraction`: the first checkpoint saved at or after fraction x total
    steps (`run_rl` plans one exactly there), or the final model when training ended before that
    step (at the budget, or at `stop_at`: the agent then keeps the policy it stopped with)."""
    if fraction >= 1.0:
        return out
    want = round(fraction * total)
    for folder in sorted((out / "checkpoints").glob("step_*")):
        if int(folder.name.removeprefix("step_")) >= want:
            return folder
    return out


def _rl_rows(folder: Path, knob: float, final: dict | None) -> list[dict]:
    """Bookkeeping metric rows of an RL run: the environment steps behind a knob's model, and
    (`final` given, knob None) whether the run reached its `stop_at` target and when, so the
    report can flag RL that never became competent."""
    import json

    steps = json.loads((folder / "config.json").read_text())["steps"]
    rows = [{"metric": "rl_env_steps", "value": float(steps), "knob": knob}]
    target = (final or {}).get("target")
    if target:
        rows += [{"metric": "rl_stop_at", "value": float(target["stop_at"]), "knob": None},
                 {"metric": "rl_reached_target", "value": float(target["reached"]),
                  "knob": None}]
        if target["reached"]:
            rows.append({"metric": "rl_steps_to_target",
                         "value": float(target["steps_to_target"]), "knob": None})
    return rows


def run_rl(ctx: JobContext) -> JobResult:
    from simulacra.learners.rl import load_policy, train_rl

    job = ctx.job
    name, params, seed = job.world.name, job.world.params, job.seed
    algo, n = job.learner.name, job.evaluation.episodes
    steps = int(job.env_steps)
    values = sorted(float(v) for v in job.knob.values)
    hp = dict(job.learner.config.get("hp") or {})
    # A checkpoint exactly at each knob's fraction of the budget: log-spaced knob values give the
    # log-spaced frontier of STUDY.md (version 2); hp `stop_at` ends training at the target.
    hp.setdefault("checkpoints", sorted({round(v * steps) for v in values if v < 1.0}))
    hp.setdefault("checkpoint_every", 0)
    ckpt = ctx.workdir / "checkpoint"
    ctx.log.info("training %s for %d steps, hp %s", algo, steps, hp)
    final = train_rl(algo, name, params, steps=steps, out=ckpt, seed=seed, hp=hp,
                     progress=False).config
    if final.get("target"):
        t = final["target"]
        ctx.log.info("target %.2f of the optimum: %s", t["stop_at"], f"reached at "
                     f"{t['steps_to_target']} steps" if t["reached"] else "never reached")
    data = job_dataset(ctx) if job.dataset else None  # what OOD / fidelity compare with
    parts = []
    for i, f in enumerate(job.knob.values):
        ctx.progress(i, len(values))
        folder = _checkpoint_for(ckpt, float(f), steps)
        policy = load_policy(folder, seed=seed)  # decoded as the job says
        part = evaluate_policy(job, policy, [float(f)], first=i * n, data=data)
        part.metrics += _rl_rows(folder, float(f), final if i == 0 else None)
        parts.append(part)
    out = merge(parts)
    out.artifacts["checkpoint"] = str(ckpt)
    return out


def run_offline(ctx: JobContext) -> JobResult:
    """Any dataset learner evaluated like BC: its spec's `train` hook on the job's dataset (knob
    absent, or one job per value: %BC's q), then one evaluation."""
    from simulacra.learners.registry import get

    job = ctx.job
    seed = job.seed
    spec = get(job.learner.name)
    assert spec.train is not None, f"learner {spec.name} has no train hook for {spec.job}"
    value = None if job.knob is None or job.knob.value is None else float(job.knob.value)
    data = job_dataset(ctx)
    ckpt = ctx.workdir / "checkpoint"
    ckpt.mkdir(parents=True, exist_ok=True)
    policy = spec.train(data, dict(job.learner.config), seed=seed, knob=value, out=ckpt)
    out = evaluate_policy(job, policy, [value], data=data)
    out.artifacts["checkpoint"] = str(ckpt)
    return out
