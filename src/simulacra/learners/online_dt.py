"""The Decision Transformer as a trial-and-error method: online and iterated DT.

Both loops start from random behaviour (or from a given dataset) and spend a budget of
environment steps, like RL from scratch, so the two can be compared at equal experience:

    data <- episodes of uniformly random behaviour (`initial: random`, the default; these steps
            count against the budget) or the episodes given (`initial: dataset`: offline data
            the offline DT gets for free too, so they do not count)
    model <- DT trained on data
    repeat until the step budget is spent:
        collect episodes with the model, conditioned on the exploration target
        relabel them with the returns they actually got (hindsight: returns-to-go are always
            recomputed from the rewards received, so a failed try is data for a lower target)
        add them to the data (online: a replay buffer of the most recent whole trajectories)
        update the model

The exploration target (`explore`): `best_seen` (the default) asks for the best return in the
training data + `target_margin` x max(|best|, 1), so the loop chases its own record (and from round
0 imitates, filtered by reward, whatever first scored highest); `fixed` asks for `explore_target`
every round (e.g. the return of the safe route), so the loop steers towards a declared return.

What the training data holds: in `iterated` mode every episode (the start and all collections).
In `online` mode a buffer of the most recent `buffer_episodes` episodes, the start included, so
the start is dropped as the loop collects; with `keep_offline` the start is kept for good, on top
of the most recent `buffer_episodes` collected episodes.

Modes:
- `online` (after Zheng et al. 2022, "Online Decision Transformer"): a stochastic policy (actions
  sampled from the categorical head) trained with an entropy bonus whose weight is tuned so that
  the policy's entropy stays near `entropy_target` (a fraction of log |A|), a replay buffer of
  whole trajectories, and a fixed number of gradient updates per round that continue one optimiser.
- `iterated` (the "collect -> add -> retrain" loop of the study): actions sampled without an
  entropy bonus; after each round the model is retrained on all data, from scratch
  (`retrain="scratch"`) or fine-tuned from the last round's weights (`retrain="finetune"`).

Every round leaves a checkpoint folder (`round_<i>/`, loadable by `simulacra.learners.
load_policy`) and a record of what it collected, so that drift can be measured per round. Round 0
is the model trained offline on the random start, before it has collected anything itself.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from simulacra.data.behaviour import UniformBehaviour
from simulacra.data.episodes import Episodes
from simulacra.data.rollout import rollout
from simulacra.learners.dt import DecisionTransformer
from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import (
    Sampler,
    TrainConfig,
    Trajectories,
    action_loss,
    make_optimizer,
    save_checkpoint,
    train,
    train_step,
)
from simulacra.progress_bar import progress_bar
from simulacra.worlds.registry import make_world

#: The loops' own model and optimiser defaults: the online DT's (Zheng et al. 2022) rate 1e-4 on
#: the gym size, not the offline recipe that `TrainConfig`'s defaults hold.
LOOP_DT = {"steps": 0, "warmup_steps": 100, "lr": 1e-4, "hidden": 128, "n_layer": 3}


@dataclass
class LoopConfig:
    """One trial-and-error run; saved, resolved, with every round's checkpoint."""

    mode: Literal["online", "iterated"] = "online"
    """`online` (entropy-regularised, replay buffer) or `iterated` (retrain on all data)."""
    env_steps: int = 20_000
    """Budget of environment steps, the random start included (give RL the same)."""
    initial_episodes: int = 200
    """Episodes of uniformly random behaviour the loop starts from."""
    episodes_per_round: int = 100
    """Episodes collected by the model in each round (at least; see `min_steps_per_round`)."""
    min_steps_per_round: int = 1000
    """More episodes when they are short: a round collects at least about this many steps
    (estimated from the last collection's mean length), so worlds with one-step episodes
    (Gambling) do not spend the budget in hundreds of tiny rounds."""
    pretrain_steps: int = 1000
    """Gradient steps on the random data before the first round."""
    updates_per_round: int = 300
    """Gradient steps after each round (online, and iterated with `finetune`)."""
    retrain: Literal["scratch", "finetune"] = "finetune"
    """Iterated mode: retrain each round from scratch (`pretrain_steps` steps) or fine-tune."""
    target_margin: float = 0.1
    """`explore: best_seen`'s delta: best return seen + margin x max(|best return seen|, 1)."""
    explore: Literal["best_seen", "fixed"] = "best_seen"
    """Exploration target: `best_seen` (+ `target_margin`) or `fixed` (`explore_target`)."""
    explore_target: float | None = None
    """`explore: fixed`: the return every round's episodes are asked for."""
    keep_offline: bool = False
    """Online mode: the starting episodes stay in the buffer for good (beside the most recent
    `buffer_episodes` collected ones) instead of being dropped as it fills."""
    initial: Literal["random", "dataset"] = "random"
    """Start from `initial_episodes` of random behaviour (their steps count against the budget)
    or from the episodes `run_loop` is given (`dataset`: not counted)."""
    buffer_episodes: int = 2000
    """Online mode: the replay buffer keeps the most recent whole trajectories."""
    entropy_target: float = 0.3
    """Online mode: target policy entropy as a fraction of log |A|."""
    entropy_lr: float = 1e-3
    """Online mode: learning rate of the entropy weight's logarithm."""
    dt: TrainConfig = field(default_factory=lambda: TrainConfig(**LOOP_DT))
    """The model and optimiser (its `steps` is unused here; `seed` seeds the whole loop)."""

    def __post_init__(self) -> None:
        if self.mode not in ("online", "iterated"):
            raise ValueError(f"mode must be 'online' or 'iterated', got {self.mode!r}")
        if self.retrain not in ("scratch", "finetune"):
            raise ValueError(f"retrain must be 'scratch' or 'finetune', got {self.retrain!r}")
        for name in ("env_steps", "initial_episodes", "episodes_per_round"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.entropy_target <= 1:
            raise ValueError(f"entropy_target is a fraction of log|A| in [0, 1], "
                             f"got {self.entropy_target}")
        if self.explore not in ("best_seen", "fixed"):
            raise ValueError(f"explore must be 'best_seen' or 'fixed', got {self.explore!r}")
        fixed = self.explore == "fixed"
        if fixed and (isinstance(self.explore_target, bool)
                      or not isinstance(self.explore_target, int | float)
                      or not math.isfinite(self.explore_target)):
            raise ValueError(f"explore: fixed needs explore_target, a finite return; got "
                             f"{self.explore_target!r}")
        if not fixed and self.explore_target is not None:
            raise ValueError("explore_target is read only with explore: fixed "
                             f"(explore is {self.explore!r})")
        if not isinstance(self.keep_offline, bool):
            raise ValueError(f"keep_offline must be true or false, got {self.keep_offline!r}")
        if self.initial not in ("random", "dataset"):
            raise ValueError(f"initial must be 'random' or 'dataset', got {self.initial!r}")

    @classmethod
    def from_dict(cls, d: dict) -> LoopConfig:
        d = dict(d)
        dt = TrainConfig.from_dict({**LOOP_DT, **dict(d.pop("dt", {}) or {})})
        known = {f for f in cls.__dataclass_fields__} - {"dt"}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown loop options: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d, dt=dt)


@dataclass
class Round:
    """What one round did: its collection, the target it asked for, the budget spent so far."""

    index: int
    env_steps: int
    target: float
    mean_return: float
    mean_performance: float
    event_rates: dict[str, float]
    best_return_seen: float
    checkpoint: str
    entropy: float = math.nan
    loss: float = math.nan


class EntropyTuner:
    """Lagrangian weight of the entropy bonus (Online DT): raised while the policy's entropy
    is below target, lowered above it. loss_alpha = alpha * (H - target), alpha = exp(log_alpha),
    starting at 0.1 (Online DT's initial temperature)."""

    def __init__(self, target: float, lr: float, device: torch.device) -> None:
        self.target = target
        self.log_alpha = torch.full((), math.log(0.1), device=device, requires_grad=True)
        self.opt = torch.optim.Adam([self.log_alpha], lr=lr)

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp().detach()

    def update(self, entropy: torch.Tensor) -> None:
        loss = self.log_alpha.exp() * (entropy.detach() - self.target)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()


class Updater:
    """Gradient steps on a growing dataset, one optimiser across rounds."""

    def __init__(self, model: DecisionTransformer, cfg: LoopConfig, rng: np.random.Generator,
                 n_actions: int) -> None:
        self.model, self.cfg, self.rng = model, cfg, rng
        self.device = next(model.parameters()).device
        self.opt, self.sched = make_optimizer(model, cfg.dt, self.device)
        self.tuner = (EntropyTuner(cfg.entropy_target * math.log(n_actions), cfg.entropy_lr,
                                   self.device) if cfg.mode == "online" else None)
        if self.tuner is not None and not model.cfg.discrete:
            raise ValueError("online mode's entropy bonus needs discrete actions")

    def run(self, data: Trajectories, steps: int) -> tuple[float, float]:
        """`steps` updates on `data`; returns the last loss and the last mean entropy."""
        sampler = Sampler(data, self.cfg.dt.context, self.rng)
        self.model.train()
        loss_v = ent_v = math.nan
        for _ in range(steps):
            batch = sampler.sample(self.cfg.dt.batch_size, self.device)
            nll, pred = action_loss(self.model, batch)  # any action space
            entropy = None
            if self.model.cfg.discrete:  # the policy's entropy over its discrete actions
                logp = F.log_softmax(pred, -1)  # [M, A]
                entropy = -(logp.exp() * logp).sum(-1).mean()
            loss = nll if self.tuner is None else nll - self.tuner.alpha * entropy
            train_step(self.model, self.opt, self.sched, loss, self.cfg.dt.grad_clip)
            if self.tuner is not None:
                self.tuner.update(entropy)
            loss_v = float(nll.detach())
            ent_v = math.nan if entropy is None else float(entropy.detach())
        self.model.eval()
        return loss_v, ent_v


def _keep_recent(buffer: Episodes, limit: int, keep_first: int = 0) -> Episodes:
    """The most recent `limit` episodes of `buffer` after its first `keep_first`, which stay."""
    if buffer.n <= keep_first + limit:
        return buffer
    mask = np.zeros(buffer.n, dtype=bool)
    mask[:keep_first] = True
    mask[buffer.n - limit:] = True
    return buffer.select(mask)


def exploration_target(cfg: LoopConfig, data: Episodes) -> float:
    """The return the next round's episodes are asked for (see the module docstring)."""
    if cfg.explore == "fixed":
        assert cfg.explore_target is not None  # LoopConfig checked it
        return float(cfg.explore_target)
    best = float(data.returns.max())
    return best + cfg.target_margin * max(abs(best), 1.0)


RoundHook = Callable[[Round, Episodes, DecisionTransformer], None]


def run_loop(world: str, params: dict, cfg: LoopConfig, out: str | Path,
             progress: bool = True, on_round: RoundHook | None = None,
             start: Episodes | None = None) -> list[Round]:
    """Run the loop on `world` until `cfg.env_steps` are spent; checkpoints go under `out`.

    `start`: the episodes to start from, given exactly when `cfg.initial` is "dataset" (with
    recorded steps, of this world). `on_round(round, data, model)` is called after every round
    (round 0 included) with the data the model was trained on and the model itself (in eval
    mode), e.g. to evaluate it."""
    w = make_world(world, **params)
    out = Path(out)
    seed = cfg.dt.seed
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if cfg.initial == "dataset":
        if start is None or start.n == 0 or not start.has_steps:
            raise ValueError("initial: dataset needs the starting episodes, with their steps")
        if start.world != world:
            raise ValueError(f"the starting episodes are of {start.world}, not {world}")
        # Offline data, given for free to the offline DT too: these steps do not count.
        data, spent, start_name = start, 0, "dataset"
    else:
        if start is not None:
            raise ValueError("starting episodes were given but initial is 'random'")
        # Random start: the same budget accounting as RL (these steps count).
        data = rollout(UniformBehaviour(w.n_actions), world, params, cfg.initial_episodes,
                       seed=seed)
        spent, start_name = int(data.lengths.sum()), "random"
    n_start = data.n
    mean_length = float(data.lengths.mean())
    dt_cfg = TrainConfig(**{**asdict(cfg.dt), "steps": cfg.pretrain_steps, "progress": False,
                            "max_timestep": cfg.dt.max_timestep or w.max_steps})
    model, _ = train(Trajectories.from_dataset(data.to_dataset(start_name)), dt_cfg)
    updater = Updater(model, cfg, rng, w.n_actions)
    bar = progress_bar(total=cfg.env_steps, desc=f"{cfg.mode} DT", unit="step",
                       disable=not progress)
    bar.update(min(spent, cfg.env_steps))

    def record(i: int, collected: Episodes, target: float, traj: Trajectories,
               loss: float, ent: float) -> Round:
        folder = out / f"round_{i:03d}"
        save_checkpoint(folder, model, dt_cfg, world, dict(w.params()), traj, extra={
            "learner": "online_dt", "alphabet": w.alphabet, "n_actions": w.n_actions,
            "loop": {**asdict(cfg), "dt": asdict(cfg.dt)}, "round": i, "env_steps": spent,
        })
        ev = collected.events.mean(axis=0) if collected.events.size else np.zeros(0)
        return Round(
            index=i, env_steps=spent, target=target,
            mean_return=float(collected.returns.mean()),
            mean_performance=float(collected.performance.mean()),
            event_rates={n: float(v) for n, v in zip(w.event_names, ev, strict=True)},
            best_return_seen=float(data.returns.max()), checkpoint=str(folder),
            entropy=ent, loss=loss,
        )

    # Round 0 is the offline DT of the starting data: where the loop starts from.
    rounds = [record(0, data, math.nan, Trajectories.from_dataset(data.to_dataset(start_name)),
                     math.nan, math.nan)]
    if on_round is not None:
        on_round(rounds[0], data, model)
    i = 1
    while spent < cfg.env_steps:
        target = exploration_target(cfg, data)
        policy = DTPolicy(model, greedy=False)
        n = max(cfg.episodes_per_round, math.ceil(cfg.min_steps_per_round / mean_length))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # asking above the data is the point of exploring
            new = rollout(policy, world, params, n, seed=seed * 1_000_003 + i, targets=target)
        mean_length = float(new.lengths.mean())
        spent += int(new.lengths.sum())
        bar.update(int(new.lengths.sum()))
        data = Episodes.concat([data, new])
        if cfg.mode == "online":
            data = _keep_recent(data, cfg.buffer_episodes,
                                keep_first=n_start if cfg.keep_offline else 0)
        traj = Trajectories.from_dataset(data.to_dataset("loop"))
        if cfg.mode == "iterated" and cfg.retrain == "scratch":
            model, losses = train(traj, TrainConfig(**{**asdict(dt_cfg), "seed": seed + i}))
            updater = Updater(model, cfg, rng, w.n_actions)
            loss, ent = (losses[-1] if losses else math.nan), math.nan
        else:
            loss, ent = updater.run(traj, cfg.updates_per_round)
        rounds.append(record(i, new, target, traj, loss, ent))
        if on_round is not None:
            on_round(rounds[-1], data, model)
        bar.set_postfix(ret=f"{rounds[-1].mean_return:.1f}", target=f"{target:.1f}")
        i += 1
    bar.close()
    return rounds


# ---- registry (simulacra.learners.registry): the trial-and-error loops ---------------------
from simulacra.learners.dt_policy import load_policy  # noqa: E402  (the spec block closes the file)
from simulacra.learners.registry import LearnerSpec  # noqa: E402

#: How the study evaluates, not how the loop trains. `targets`: returns every checkpoint is also
#: asked for (the study's DT target grid), beside the best return seen. `greedy` decides nothing
#: since evaluation.decode sets the decode (study/rollout.under_decodes); it stays in the
#: defaults only so that the loops' job keys, and the folders measured with them, stay valid.
_STUDY_ONLY = ("greedy", "sweep_targets", "targets")
#: Settings added after studies ran: a study names them only when it changes them, so the job
#: keys of loops that do not stay what they were (LearnerSpec.optional). The defaults reproduce
#: the loops from before they existed.
_ADDED = ("explore", "explore_target", "keep_offline", "initial")


def _loop_defaults() -> dict:
    """LoopConfig's fields less those the job sets (mode, the env_steps budget) and the added
    ones, its DT's fields less those the job sets, and the study's evaluation switches."""
    cfg = LoopConfig()
    out = {f: getattr(cfg, f) for f in LoopConfig.__dataclass_fields__
           if f not in ("mode", "env_steps", "dt", *_ADDED)}
    dt = {k: v for k, v in asdict(cfg.dt).items()
          if k not in ("seed", "progress", "device", "steps")}
    return {**out, "dt": dt, "greedy": True, "sweep_targets": 5}


def _loop_optional() -> dict:
    cfg = LoopConfig()
    return {**{f: getattr(cfg, f) for f in _ADDED}, "targets": None}


def sweep_returns(settings: dict) -> list[float]:
    """The `targets` setting as returns ([] when absent); ValueError unless a list of numbers."""
    targets = settings.get("targets")
    if targets is None:
        return []
    if (not isinstance(targets, list | tuple) or not targets
            or any(isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t)
                   for t in targets)):
        raise ValueError(f"targets must be a non-empty list of returns, got {targets!r}")
    return sorted({float(t) for t in targets})


def _check_loop(settings: dict) -> None:
    sweep_returns(settings)
    LoopConfig.from_dict({k: v for k, v in settings.items() if k not in _STUDY_ONLY})


SPECS = tuple(
    LearnerSpec(
        f"{mode}_dt", "dt", f"simulacra.study.loop_jobs:run_{mode}_dt", config=LoopConfig,
        defaults=_loop_defaults, optional=_loop_optional, check=_check_loop,
        load=load_policy if mode == "online" else None,  # both save "online_dt" checkpoints
        knob="checkpoint", knob_values=(0.0, 0.25, 0.5, 0.75, 1.0),
        doc=f"{mode} DT from random behaviour (or a dataset) for budgets.env_steps (the "
            "trial-and-error loop); knob: the model after that fraction of the steps, asked for "
            "the best return seen (and swept over `targets` when given)")
    for mode in ("online", "iterated")
)
