"""Return calibration: asked for g, does the DT achieve about g, over the whole range of its data
and above the data's maximum? (STUDY.md metric 3, the simulator's signature.)

Protocol, per world and seed s: a dataset from a mixed recipe (skilled and unskilled behaviour,
so returns spread; recipe seed s), a DT with seed s, then `episodes_per_target` greedy episodes at
each target of `simulacra.evaluate.sweep.target_grid`: `n_inside` targets evenly over the data's
return range (low end included) and targets above its maximum, plus the exact optimum when it
lies above. Targets are declared from the data alone, before any result. Reported: Spearman rho
and least-squares slope of E[G | g] on g inside the range, mean |E[G | g] - g|, and the gain
above the maximum (`simulacra.metrics.calibration`). A simulator tracks g inside the range (rho
near 1, slope near 1) and stops improving above it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from simulacra.evaluate.sweep import sweep, target_grid
from simulacra.learners.dt_train import TrainConfig
from simulacra.metrics.calibration import Calibration, calibration
from simulacra.metrics.capability import references
from simulacra.reproduce.common import limit_threads, make_dataset, mean_and_ci, train_dt
from simulacra.worlds.registry import compiled

WORLDS = ("AbsentSupervisor", "SafeInterruptibility", "WhiskyGold")
#: The quick study's mixed recipe (configs/quick.yaml): a spread of returns.
RECIPE = "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,random:0.3"
#: The recipe of the README's table (400 steps; the default was 500, so the README's command
#: needed --steps 400 to give its figures).
DEFAULT_BUDGET = TrainConfig(steps=400, context=10, hidden=64, n_layer=2, batch_size=64, lr=1e-3,
                             warmup_steps=50)


@dataclass(frozen=True)
class CalibrationConfig:
    worlds: tuple[str, ...] = WORLDS
    """Compiled worlds (the exact optimum is added to the targets)."""
    recipe: str = RECIPE
    """Behaviour composition of every dataset."""
    episodes: int = 500
    """Episodes per dataset."""
    seeds: int = 5
    """Seeds 0..seeds-1 (data, training, evaluation)."""
    dt: TrainConfig = field(default_factory=lambda: replace(DEFAULT_BUDGET))
    """The DT's size and budget."""
    n_inside: int = 7
    """Targets spread over the data's return range."""
    above: tuple[float, ...] = (0.1, 0.25)
    """Targets max + f * (max - min) above the data's maximum."""
    episodes_per_target: int = 50
    """Evaluation episodes per target and seed."""
    threads: int = 1
    """Torch threads (0: leave torch's default)."""


@dataclass
class WorldCalibration:
    world: str
    data_min: list[float] = field(default_factory=list)  # per seed
    data_max: list[float] = field(default_factory=list)
    optimum: float = math.nan  # exact reward-optimal expected return
    per_seed: list[Calibration] = field(default_factory=list)

    def summary(self) -> dict:
        def agg(name: str) -> tuple[float, float]:
            vals = [getattr(c, name) for c in self.per_seed]
            vals = [v for v in vals if not math.isnan(v)]
            return mean_and_ci(vals)

        return {
            "spearman": agg("spearman")[0], "spearman_ci95": agg("spearman")[1],
            "slope": agg("slope")[0], "slope_ci95": agg("slope")[1],
            "mean_abs_error": agg("mean_abs_error")[0],
            "above_max_gain": agg("above_max_gain")[0],
            "above_max_exceed": agg("above_max_exceed")[0],
            "data_min": float(np.mean(self.data_min)), "data_max": float(np.mean(self.data_max)),
            "optimum": self.optimum,
            "curves": [{"targets": c.targets.tolist(), "achieved": c.achieved.tolist()}
                       for c in self.per_seed],
        }


@dataclass
class CalibrationResult:
    config: CalibrationConfig
    worlds: list[WorldCalibration]

    def to_json(self) -> dict:
        return {"worlds": {w.world: w.summary() for w in self.worlds},
                "config": asdict(self.config)}


def run(config: CalibrationConfig, progress: bool = False) -> CalibrationResult:
    if config.seeds < 1 or not config.worlds or config.episodes_per_target < 1:
        raise ValueError("need at least one world, one seed and one episode per target")
    limit_threads(config.threads)
    out = []
    for world in config.worlds:
        wc = WorldCalibration(world, optimum=references(compiled(world)).optimal_return)
        for seed in range(config.seeds):
            ds = make_dataset(world, config.recipe, config.episodes, seed)
            r = ds.returns()
            lo, hi = float(r.min()), float(r.max())
            wc.data_min.append(lo)
            wc.data_max.append(hi)
            targets = target_grid(r, config.n_inside, config.above, optimum=wc.optimum)
            policy, _ = train_dt(ds, config.dt, seed, progress=progress)
            ep = sweep(policy, world, {}, targets, config.episodes_per_target, seed=seed,
                       record_trajectories=False)
            cal = calibration(ep.targets, ep.returns, lo, hi)
            wc.per_seed.append(cal)
            if progress:
                print(f"[calibration] {world} seed={seed}: rho {cal.spearman:.3f}, "
                      f"slope {cal.slope:.3f}", file=sys.stderr, flush=True)
        out.append(wc)
    return CalibrationResult(config, out)


def table(result: CalibrationResult) -> str:
    c = result.config
    lines = [f"Return calibration: DT on {c.episodes} episodes of `{c.recipe}`, "
             f"mean over {c.seeds} seed(s), {c.episodes_per_target} episodes per target",
             f"{'world':<22} {'data range':>16} {'G*':>6} {'rho':>6} {'slope':>6} "
             f"{'|E[G|g]-g|':>10} {'gain>max':>8}"]
    for w in result.worlds:
        s = w.summary()
        rng = f"[{s['data_min']:.1f}, {s['data_max']:.1f}]"
        lines.append(
            f"{w.world:<22} {rng:>16} "
            f"{s['optimum']:>6.1f} {s['spearman']:>6.2f} {s['slope']:>6.2f} "
            f"{s['mean_abs_error']:>10.2f} {s['above_max_gain']:>8.2f}")
    for w in result.worlds:
        tg = w.per_seed[0].targets
        if all(np.array_equal(cal.targets, tg) for cal in w.per_seed):
            curves = [("mean", tg, np.mean([cal.achieved for cal in w.per_seed], axis=0))]
        else:  # each seed's data has its own range, hence its own targets
            curves = [(f"seed {i}", cal.targets, cal.achieved) for i, cal in enumerate(w.per_seed)]
        for label, t, a in curves:
            pts = ", ".join(f"{g:.0f}->{x:.0f}" for g, x in zip(t, a, strict=True))
            lines.append(f"  {w.world} ({label}) target->achieved: {pts}")
    b = c.dt
    lines.append(f"DT: context {b.context}, hidden {b.hidden}, {b.n_layer} layer(s), "
                 f"{b.steps} steps, lr {b.lr:g}; greedy; rho and slope over targets inside the "
                 "data's range; gain>max = E[G | g > max] - E[G | highest g inside]")
    return "\n".join(lines)
