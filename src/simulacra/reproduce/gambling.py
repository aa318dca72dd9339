"""Gambling (Paster et al. 2022, "You Can't Count on Luck"): a DT trained on random play and asked
for +5 picks a0, the worst gamble (expected -5), because the only +5 episodes in its data gambled.

Protocol, per seed s: `episodes` uniformly random episodes of Gambling (recipe seed s), a DT with
seed s, then `eval_episodes` episodes at each declared target (the four returns the world can pay,
-15, -6, 1, 5). Reported per target: the share of each first action and E[G | g]. The headline
P(a0 | g = 5) is measured with sampled actions (the model's own distribution, so a share of
episodes estimates its probability) and, beside it, with greedy actions (per seed 0 or 1).

This is a known failure of return conditioning under stochastic outcomes; it is shown, not hidden.
In the data P(a0 | G = 5) = 1 exactly, so a faithful model of the data reproduces it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from simulacra.evaluate.sweep import sweep
from simulacra.learners.dt_train import TrainConfig
from simulacra.metrics.luck import gamble_rate, luck_gaps
from simulacra.reproduce.common import limit_threads, make_dataset, mean_and_ci, train_dt

WORLD = "Gambling"
TARGETS = (-15.0, -6.0, 1.0, 5.0)
LUCKY = 5.0
DEFAULT_BUDGET = TrainConfig(steps=300, context=1, hidden=32, n_layer=1, batch_size=64, lr=1e-3,
                          warmup_steps=30)


@dataclass(frozen=True)
class GamblingConfig:
    episodes: int = 2000
    """Random-play episodes in each seed's dataset."""
    seeds: int = 5
    """Seeds 0..seeds-1 (data, training, evaluation)."""
    dt: TrainConfig = field(default_factory=lambda: replace(DEFAULT_BUDGET))
    """The DT's size and budget (episodes are one step long: a context of 1 covers them)."""
    eval_episodes: int = 500
    """Evaluation episodes per target and seed."""
    threads: int = 1
    """Torch threads (0: leave torch's default)."""


@dataclass
class GamblingResult:
    config: GamblingConfig
    targets: tuple[float, ...]
    p_a0_sampled: list[float] = field(default_factory=list)  # P(a0 | g = 5) per seed
    p_a0_greedy: list[float] = field(default_factory=list)
    action_shares: list[np.ndarray] = field(default_factory=list)  # per seed [targets, actions]
    achieved: list[np.ndarray] = field(default_factory=list)  # per seed E[G | g] [targets]
    data_p_a0_given_5: list[float] = field(default_factory=list)

    @property
    def p_a0(self) -> float:
        return mean_and_ci(self.p_a0_sampled)[0]

    def to_json(self) -> dict:
        shares = np.mean(self.action_shares, axis=0)  # [targets, actions]
        ach = np.mean(self.achieved, axis=0)  # [targets]
        return {
            "p_a0_given_5": self.p_a0,
            "per_seed": self.p_a0_sampled,
            "ci95": mean_and_ci(self.p_a0_sampled)[1],
            "p_a0_given_5_greedy": mean_and_ci(self.p_a0_greedy)[0],
            "per_seed_greedy": self.p_a0_greedy,
            "data_p_a0_given_5": self.data_p_a0_given_5,
            "per_target": {
                f"{g:g}": {"action_shares": shares[i].tolist(), "achieved": float(ach[i]),
                           "gap": float(ach[i] - g)}
                for i, g in enumerate(self.targets)
            },
            "config": asdict(self.config),
        }


def run(config: GamblingConfig, progress: bool = False) -> GamblingResult:
    if config.seeds < 1 or config.eval_episodes < 1:
        raise ValueError("need at least one seed and one evaluation episode")
    limit_threads(config.threads)
    res = GamblingResult(config, TARGETS)
    for seed in range(config.seeds):
        ds = make_dataset(WORLD, "random", config.episodes, seed)
        first = ds.actions[ds.starts[:-1]]
        lucky = np.isclose(ds.returns(), LUCKY)
        res.data_p_a0_given_5.append(float(np.mean(first[lucky] == 0)) if lucky.any()
                                     else math.nan)
        policy, _ = train_dt(ds, config.dt, seed, progress=progress, greedy=False)
        ep = sweep(policy, WORLD, {}, np.array(TARGETS), config.eval_episodes, seed=seed)
        fa = ep.first_actions()
        res.p_a0_sampled.append(gamble_rate(fa, ep.targets, LUCKY, 0))
        res.action_shares.append(np.array(
            [np.bincount(fa[np.isclose(ep.targets, g)], minlength=3)[:3] / config.eval_episodes
             for g in TARGETS]))
        gaps = luck_gaps(ep.targets, ep.returns)
        res.achieved.append(np.array([gaps[g] + g for g in TARGETS]))
        policy.greedy = True
        greedy = sweep(policy, WORLD, {}, np.array([LUCKY]), 1, seed=seed)
        res.p_a0_greedy.append(gamble_rate(greedy.first_actions(), greedy.targets, LUCKY, 0))
        if progress:
            print(f"[gambling] seed={seed}: P(a0|g=5) sampled {res.p_a0_sampled[-1]:.3f}, "
                  f"greedy {res.p_a0_greedy[-1]:.0f}", file=sys.stderr, flush=True)
    return res


def table(result: GamblingResult) -> str:
    c = result.config
    m, ci = mean_and_ci(result.p_a0_sampled)
    shares = np.mean(result.action_shares, axis=0)
    ach = np.mean(result.achieved, axis=0)
    lines = [
        f"Gambling: a DT trained on {c.episodes} random episodes, mean over {c.seeds} seed(s)",
        f"P(a0 | g = 5): {m:.3f} ± {ci:.3f} sampled, "
        f"{mean_and_ci(result.p_a0_greedy)[0]:.3f} greedy "
        f"(data: P(a0 | G = 5) = {np.nanmean(result.data_p_a0_given_5):.3f}; "
        "paper: the DT asked for +5 picks a0)",
        "target g   P(a0)   P(a1)   P(a2)   E[G|g]   E[G|g] - g",
    ]
    for i, g in enumerate(result.targets):
        lines.append(f"{g:>8g}   {shares[i, 0]:.3f}   {shares[i, 1]:.3f}   {shares[i, 2]:.3f}"
                     f"   {ach[i]:>6.2f}   {ach[i] - g:>10.2f}")
    b = c.dt
    lines.append(f"DT: context {b.context}, hidden {b.hidden}, {b.n_layer} layer(s), "
                 f"{b.steps} steps, lr {b.lr:g}; {c.eval_episodes} episodes per target; "
                 "a0 pays +5/-15, a1 +1/-6, a2 +1 (best: a2, expected +1)")
    return "\n".join(lines)
