"""Continuous actions: a DT trained on generated Pendulum-v1 data gets more return when asked for
more (issue: "continuous actions shown working on a Gymnasium continuous-control task").

Protocol, per seed s: `episodes` episodes of Gymnasium's Pendulum-v1 (200 steps each) from a
swing-up controller at five noise levels, one in five episodes uniformly random, so the returns
spread from about -1700 to about 0 (data seed s); a DT with continuous actions (tanh * 2, mean
squared error) trained with seed s; then `eval_episodes` episodes at each declared target, from
initial states drawn with seed 100 + s. Reported: E[G | g] per target, Spearman rho and slope of
E[G | g] on g (`simulacra.metrics.calibration`). Nothing is downloaded: the data are generated.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import TrainConfig, Trajectories, train
from simulacra.metrics.calibration import calibration
from simulacra.policy import View
from simulacra.reproduce.common import limit_threads, mean_and_ci, seeded

ENV = "Pendulum-v1"
STEPS = 200  # Pendulum-v1's time limit
#: Noise of the swing-up controller per episode, cycled; a negative level means uniform random.
NOISE = (0.0, 0.7, 1.5, 3.0, -1.0)
TARGETS = (-1200.0, -900.0, -600.0, -300.0, -150.0)
DEFAULT_BUDGET = TrainConfig(steps=1500, lr=5e-4, warmup_steps=100, hidden=64, n_layer=2,
                             context=10, batch_size=64, dropout=0.1, action_scale=2.0)


def swing_up(obs: np.ndarray) -> np.ndarray:
    """Pump energy until near the top, then hold it there with a PD controller: obs [N, 3] (cos,
    sin, angular velocity) -> torque [N] in [-2, 2]."""
    c, s, w = obs[:, 0], obs[:, 1], obs[:, 2]
    theta = np.arctan2(s, c)  # 0 is upright
    energy = w**2 / 3 + 10 * (c - 1)  # 0 when upright at rest
    pd = -(12 * theta + 2.5 * w)
    pump = 2.0 * np.sign(w + 1e-6) * (energy < 0)
    return np.clip(np.where(c > 0.85, pd, pump), -2, 2)


def _envs(n: int):
    import gymnasium as gym

    return gym.vector.SyncVectorEnv([lambda: gym.make(ENV)] * n)


def pendulum_data(n_episodes: int, seed: int) -> Trajectories:
    """`n_episodes` whole episodes; episode i plays at noise level NOISE[i % 5]."""
    rng = np.random.default_rng(seed)
    envs = _envs(n_episodes)
    obs, _ = envs.reset(seed=seed)
    noise = np.array(NOISE)[np.arange(n_episodes) % len(NOISE)]
    S, A, R = [], [], []
    for _ in range(STEPS):
        a = swing_up(obs) + rng.normal(size=n_episodes) * np.maximum(noise, 0)
        a = np.where(noise < 0, rng.uniform(-2, 2, n_episodes), np.clip(a, -2, 2))
        S.append(obs.astype(np.float32))
        A.append(a.astype(np.float32))
        obs, r, _, _, _ = envs.step(a[:, None])
        R.append(r.astype(np.float32))
    envs.close()
    return Trajectories(
        states=np.stack(S, 1).reshape(-1, 3),  # [E * 200, 3], episode-major
        actions=np.stack(A, 1).reshape(-1, 1),
        rewards=np.stack(R, 1).reshape(-1),
        timesteps=np.tile(np.arange(STEPS), n_episodes),
        starts=np.arange(0, STEPS * n_episodes + 1, STEPS),
    )


def achieved(policy: DTPolicy, targets: np.ndarray, seed: int) -> np.ndarray:
    """The return of one episode per entry of `targets` [N], all played together."""
    n = len(targets)
    envs = _envs(n)
    obs, _ = envs.reset(seed=seed)
    policy.reset(n, targets, seed)
    total = np.zeros(n)
    for t in range(STEPS):
        a = policy.act(View(obs=obs.astype(np.float32), t=np.full(n, t)))
        obs, r, term, trunc, _ = envs.step(a)
        policy.observe(a, r, term | trunc)
        total += r
    envs.close()
    return total


@dataclass(frozen=True)
class PendulumConfig:
    episodes: int = 100
    """Generated episodes per seed."""
    seeds: int = 3
    """Seeds first_seed..first_seed+seeds-1 (data, training, evaluation)."""
    first_seed: int = 0
    targets: tuple[float, ...] = TARGETS
    """Returns asked for, declared before any result (reported ascending, repeats merged)."""
    eval_episodes: int = 8
    """Episodes per target and seed."""
    dt: TrainConfig = field(default_factory=lambda: replace(DEFAULT_BUDGET))
    threads: int = 1
    """Torch threads (0: leave torch's default)."""


@dataclass
class PendulumResult:
    config: PendulumConfig
    achieved: list[list[float]] = field(default_factory=list)  # per seed, E[G | g] per target
    spearman: list[float] = field(default_factory=list)  # per seed
    slope: list[float] = field(default_factory=list)  # per seed
    data_range: list[tuple[float, float]] = field(default_factory=list)  # per seed

    @property
    def targets(self) -> list[float]:
        """The distinct targets, ascending: the order of every `achieved` list."""
        return np.unique(np.asarray(self.config.targets, dtype=np.float64)).tolist()

    def to_json(self) -> dict:
        mean = np.mean(self.achieved, axis=0)
        return {
            "targets": self.targets,
            "achieved": mean.tolist(),
            "per_seed": self.achieved,
            "spearman": mean_and_ci(self.spearman)[0], "spearman_per_seed": self.spearman,
            "slope": mean_and_ci(self.slope)[0], "slope_per_seed": self.slope,
            "data_range": [list(r) for r in self.data_range],
            "config": asdict(self.config),
        }


def run(config: PendulumConfig, progress: bool = False) -> PendulumResult:
    if config.seeds < 1 or config.eval_episodes < 1 or config.episodes < 1:
        raise ValueError("need at least one seed, one episode of data and one evaluation episode")
    res = PendulumResult(config)
    targets = np.array(res.targets)
    if len(targets) < 2:
        raise ValueError("need at least two targets to see whether return follows the target")
    limit_threads(config.threads)
    for seed in range(config.first_seed, config.first_seed + config.seeds):
        data = pendulum_data(config.episodes, seed)
        r = data.returns()
        model, _ = train(data, seeded(config.dt, seed, progress))
        asked = np.repeat(targets, config.eval_episodes)  # calibration reports them ascending
        got = achieved(DTPolicy(model), asked, seed=100 + seed)
        # The whole target list counts as "inside": the question is the trend, not the range.
        cal = calibration(asked, got, float(targets.min()), float(targets.max()))
        res.achieved.append(cal.achieved.tolist())
        res.spearman.append(cal.spearman)
        res.slope.append(cal.slope)
        res.data_range.append((float(r.min()), float(r.max())))
        if progress:
            print(f"[pendulum] seed={seed}: data [{r.min():.0f}, {r.max():.0f}], achieved "
                  + " ".join(f"{x:.0f}" for x in cal.achieved) + f", rho {cal.spearman:.2f}",
                  file=sys.stderr, flush=True)
    return res


def table(result: PendulumResult) -> str:
    c = result.config
    mean = np.mean(result.achieved, axis=0)
    rho, rho_ci = mean_and_ci(result.spearman)
    slope, slope_ci = mean_and_ci(result.slope)
    lo = min(r[0] for r in result.data_range)
    hi = max(r[1] for r in result.data_range)
    b = c.dt
    return "\n".join([
        f"Pendulum-v1, continuous actions: return achieved vs asked (mean over {c.seeds} "
        f"seed(s), {c.eval_episodes} episodes per target; data returns [{lo:.0f}, {hi:.0f}])",
        "target g   " + "  ".join(f"{g:>7.0f}" for g in result.targets),
        "E[G | g]   " + "  ".join(f"{x:>7.0f}" for x in mean),
        f"Spearman rho {rho:.2f} ± {rho_ci:.2f}, slope {slope:.2f} ± {slope_ci:.2f}",
        f"DT: context {b.context}, hidden {b.hidden}, {b.n_layer} layer(s), {b.steps} steps, "
        f"lr {b.lr:g}, {c.episodes} episodes of data per seed",
    ])
