"""Key-to-Door (Chen et al. 2021, section 5.3): a DT trained on random-walk episodes, asked for
return 1, reaches the door holding the key.

Protocol, per dataset size N and seed s: generate N uniformly random episodes of KeyToDoor (recipe
`random`, recipe seed s, so each seed also has its own data), train a DT with seed s (last
checkpoint, no selection), then play `eval_episodes` episodes greedily, each asked for return 1
(declared before any result); success rate = share of episodes that returned 1. The same data
optionally train two baselines, evaluated the same way (greedy, no target):
- discrete CQL (`cql`), the paper's offline-RL column;
- %BC on the successful walks (`pbc`): behaviour cloning of only the episodes that returned 1
  (top-q with q = 1/N: every episode tied with the best return). It shows what the same few
  successes teach a model that is handed them, with no return conditioning to learn: a yardstick
  for whether a shortfall is the DT's or the data's.

The paper's model attends over the whole episode; so does ours by default (`context` 100 = the
episode's 100 steps, 300 tokens), which is what lets the door phase see the key phase. The paper
gives no widths or step counts for this task; the CPU defaults here are a small model trained
briefly, and every figure is printed with the budget that made it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from simulacra.evaluate.rollout import rollout
from simulacra.learners.dt_train import TrainConfig
from simulacra.reproduce.common import limit_threads, make_dataset, mean_and_ci, train_dt

WORLD = "KeyToDoor"
#: The paper's success rates (Chen et al. 2021, Table 6): {learner: {episodes: rate}}.
PAPER: dict[str, dict[int, float]] = {
    "DT": {1000: 0.718, 10000: 0.946},
    "CQL": {1000: 0.131, 10000: 0.133},
}
#: The CPU default: the whole episode in context, a small model.
DEFAULT_BUDGET = TrainConfig(steps=1200, context=100, hidden=64, n_layer=1, batch_size=32,
                          lr=1e-3, warmup_steps=100)


@dataclass(frozen=True)
class KeyToDoorConfig:
    """What a Key-to-Door reproduction runs (all of it is reported with the result)."""

    episodes: tuple[int, ...] = (1000, 10000)
    """Dataset sizes (random-walk episodes), one dataset per size and seed."""
    seeds: int = 5
    """Seeds first_seed..first_seed+seeds-1; each seeds the data, the training and the
    evaluation."""
    first_seed: int = 0
    """The first seed (run seeds in parallel processes, one range each)."""
    dt: TrainConfig = field(default_factory=lambda: replace(DEFAULT_BUDGET))
    """The DT's size and training budget."""
    eval_episodes: int = 200
    """Evaluation episodes per seed, each asked for `target`."""
    target: float = 1.0
    """The return asked for (1: success)."""
    cql: bool = False
    """Also train and evaluate discrete CQL on the same data."""
    run_dt: bool = True
    """Train and evaluate the DT (False with `cql` or `pbc`: the baselines alone)."""
    cql_steps: int = 2000
    """CQL gradient steps."""
    pbc: bool = False
    """Also train and evaluate %BC on the successful walks (see the module docstring)."""
    pbc_steps: int = 3000
    """%BC gradient steps (batch 256)."""
    threads: int = 1
    """Torch threads (0: leave torch's default)."""


@dataclass
class SizeResult:
    """Figures for one dataset size; lists run over seeds."""

    episodes: int
    dt_success: list[float] = field(default_factory=list)
    dt_key_rate: list[float] = field(default_factory=list)  # DT episodes that picked the key
    data_success: list[float] = field(default_factory=list)  # random-walk success in the data
    final_loss: list[float] = field(default_factory=list)
    cql_success: list[float] = field(default_factory=list)
    pbc_success: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return mean_and_ci(self.dt_success)[0]


@dataclass
class KeyToDoorResult:
    config: KeyToDoorConfig
    sizes: list[SizeResult]

    def to_json(self) -> dict:
        """`success_rate` (DT, mean over seeds) and `per_seed`: numbers and a list for one dataset
        size; with several sizes, objects keyed by the size. `sizes` always holds every figure."""
        by_size = {
            str(s.episodes): {
                "success_rate": s.success_rate, "per_seed": s.dt_success,
                "ci95": mean_and_ci(s.dt_success)[1], "key_rate": s.dt_key_rate,
                "data_success_rate": s.data_success, "final_loss": s.final_loss,
                "paper_dt": PAPER["DT"].get(s.episodes),
                **({"cql_success_rate": mean_and_ci(s.cql_success)[0],
                    "cql_per_seed": s.cql_success, "paper_cql": PAPER["CQL"].get(s.episodes)}
                   if s.cql_success else {}),
                **({"pbc_success_rate": mean_and_ci(s.pbc_success)[0],
                    "pbc_per_seed": s.pbc_success} if s.pbc_success else {}),
            }
            for s in self.sizes
        }
        if len(self.sizes) == 1:
            top: dict = {"success_rate": self.sizes[0].success_rate,
                         "per_seed": self.sizes[0].dt_success}
        else:
            top = {"success_rate": {k: v["success_rate"] for k, v in by_size.items()},
                   "per_seed": {k: v["per_seed"] for k, v in by_size.items()}}
        cfg = asdict(self.config)
        cfg["episodes"] = list(self.config.episodes)
        return {**top, "sizes": by_size, "config": cfg}


def run(config: KeyToDoorConfig, progress: bool = False) -> KeyToDoorResult:
    """Run every (size, seed) of `config`; see the module docstring for the protocol."""
    if config.seeds < 1 or config.eval_episodes < 1 or not config.episodes:
        raise ValueError("need at least one seed, one evaluation episode and one dataset size")
    if not (config.run_dt or config.cql or config.pbc):
        raise ValueError("nothing to run: the DT is off and no baseline (CQL, %BC) is asked for")
    limit_threads(config.threads)
    sizes = []
    for n in config.episodes:
        res = SizeResult(episodes=n)
        for seed in range(config.first_seed, config.first_seed + config.seeds):
            ds = make_dataset(WORLD, "random", n, seed, progress=progress)
            res.data_success.append(float(np.mean(ds.returns() >= config.target - 1e-9)))
            line = f"[key-to-door] N={n} seed={seed}: data {res.data_success[-1]:.3f}"
            if config.run_dt:
                policy, loss = train_dt(ds, config.dt, seed, progress=progress)
                res.final_loss.append(loss)
                ep = rollout(policy, WORLD, {}, episodes=config.eval_episodes, seed=seed,
                             targets=config.target, record_trajectories=False)
                res.dt_success.append(float(np.mean(ep.returns >= config.target - 1e-9)))
                res.dt_key_rate.append(float(np.mean(ep.events[:, 0] > 0)))
                line += (f", DT success {res.dt_success[-1]:.3f} (key "
                         f"{res.dt_key_rate[-1]:.3f}, loss {loss:.4f})")
            if config.cql:
                res.cql_success.append(cql_success(ds, config, seed, progress))
                line += f", CQL success {res.cql_success[-1]:.3f}"
            if config.pbc:
                res.pbc_success.append(pbc_success(ds, config, seed, progress))
                line += f", %BC success {res.pbc_success[-1]:.3f}"
            if progress:
                print(line, file=sys.stderr, flush=True)
        sizes.append(res)
    return KeyToDoorResult(config, sizes)


def cql_success(ds, config: KeyToDoorConfig, seed: int, progress: bool = False) -> float:
    """Success rate of discrete CQL trained on `ds` (greedy in Q; it takes no target). Its
    Q-network sees only the current room, so after the key room it cannot tell whether the key
    is held: the paper's point about TD learning over long gaps."""
    from simulacra.learners.cql import CQLConfig, train_cql

    policy = train_cql(ds, CQLConfig(steps=config.cql_steps, seed=seed), progress=progress)
    return _baseline_success(policy, config, seed)


def pbc_success(ds, config: KeyToDoorConfig, seed: int, progress: bool = False) -> float:
    """Success rate of greedy %BC trained on the episodes with the best return (the successes;
    every episode when none succeeded, which is then plain BC)."""
    from simulacra.learners.bc import BCConfig, train_bc

    q = 1.0 / ds.n_episodes  # k = 1: keep every episode tied with the best return
    policy = train_bc(ds, BCConfig(q=q, steps=config.pbc_steps, act="greedy", seed=seed),
                      progress=progress)
    return _baseline_success(policy, config, seed)


def _baseline_success(policy, config: KeyToDoorConfig, seed: int) -> float:
    """A baseline's success rate over the evaluation episodes (it takes no target)."""
    limit_threads(config.threads)  # the baselines' trainers set their own thread count
    ep = rollout(policy, WORLD, {}, episodes=config.eval_episodes, seed=seed,
                 record_trajectories=False)
    return float(np.mean(ep.returns >= config.target - 1e-9))


def _pct(x: float | None, ci: float | None = None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{100 * x:.1f}%" + (f" ± {100 * ci:.1f}" if ci else "")


def table(result: KeyToDoorResult) -> str:
    """Our figures beside the paper's, and the budget that made them."""
    c = result.config
    cql = any(s.cql_success for s in result.sizes)
    pbc = any(s.pbc_success for s in result.sizes)
    head = ["episodes", "DT (ours)", "DT (paper)", "per seed"]
    if cql:
        head[3:3] = ["CQL (ours)", "CQL (paper)"]
    if pbc:
        head[3:3] = ["%BC on successes (ours)"]
    head += ["random walk (data)"]
    rows = []
    for s in result.sizes:
        m, ci = mean_and_ci(s.dt_success)
        row = [f"{s.episodes:,}", _pct(m, ci), _pct(PAPER["DT"].get(s.episodes)),
               " ".join(f"{x:.2f}" for x in s.dt_success)]
        if cql:
            row[3:3] = [_pct(*mean_and_ci(s.cql_success)), _pct(PAPER["CQL"].get(s.episodes))]
        if pbc:
            row[3:3] = [_pct(*mean_and_ci(s.pbc_success))]
        row.append(_pct(float(np.mean(s.data_success))))
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(x.ljust(w) for x, w in zip(cells, widths, strict=True))  # noqa: E731
    b = c.dt
    out = [f"Key-to-Door: success rate asked for return {c.target:g} (mean over {c.seeds} "
           f"seed(s) ± 95% CI, {c.eval_episodes} episodes each)",
           line(head), line(["-" * w for w in widths]), *map(line, rows),
           "; ".join(
               ([f"DT: context {b.context}, hidden {b.hidden}, {b.n_layer} layer(s), {b.n_head} "
                 f"head(s), batch {b.batch_size}, {b.steps} steps, lr {b.lr:g}"] if c.run_dt
                else ["DT: not run"])
               + ([f"CQL: {c.cql_steps} steps"] if cql else [])
               + ([f"%BC: {c.pbc_steps} steps"] if pbc else [])
               + ["greedy actions, last checkpoint"])]
    return "\n".join(out)
