"""Key-to-Door (Chen et al. 2021, section 5.3): a DT trained on random-walk episodes, asked for
return 1, reaches the door holding the key.

Protocol, per dataset size N and seed s: generate N uniformly random episodes of KeyToDoor (recipe
`random`, recipe seed s, so each seed also has its own data), train a DT with seed s (last
checkpoint, no selection), then play `eval_episodes` episodes asked for return 1 (declared before
any result) twice: with greedy actions and with sampled ones (the reference DT samples); success
rate = share of episodes that returned 1. The same data optionally train two baselines, evaluated
greedily with no target:
- discrete CQL (`cql`), the paper's offline-RL column;
- %BC on the successful walks (`pbc`): behaviour cloning of only the episodes that returned 1
  (top-q with q = 1/N: every episode tied with the best return). It shows what the same few
  successes teach a model that is handed them, with no return conditioning to learn: a yardstick
  for whether a shortfall is the DT's or the data's.

Diagnostic: the training loss says nothing here (random-walk actions are uniform, so it sits
within 10^-3 nats of ln 4). During training, every `nll_every` steps, the DT's negative
log-likelihood of the key-room moves (those before the key is picked up) of held-out random walks
is read: of the walks that succeeded, given their return-to-go 1, and of failed ones, given 0. A
DT that has learnt what return 1 asks for puts the first below ln 4. Two floors are printed
beside it: the NLL of the exact conditional of a random walk that will pick up the key
(`walk_conditional`: what a perfect return-conditioned model predicts, a function of where the
agent and the key are and of the time left) and the position-blind floor (the entropy of those
moves' own action frequencies, the best a model that ignores the board can do). A DT between the
two has learnt only the moves' overall bias ("go up"), not where the key is.

The paper's model attends over the whole episode; the default here is the recipe the README
reports (context 20, which the door phase does not need: asked for 1 it goes to the door whether
or not it holds the key). The paper gives no widths or step counts for this task; every figure is
printed with the budget that made it.

Why the default recipe differs from the original DT's sampling (README, Decision Transformer
reproductions, has the measurements): the moves that decide success are 0.2% of the predictions,
and every other prediction is of a uniformly random move, which only adds gradient noise.
Together, windows that hold every step in K of them (`both`, so the first key-room moves are not
the least trained), four times the batch, no dropout (at 10,000 episodes nothing can be
memorised, so dropout only adds noise) and a cosine decay (the last checkpoint settles) move the
key-room NLL below the position-blind floor, which the original recipe at the same number of
predictions never left. Of the four, dropout mattered most, then the windows.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.evaluate.rollout import rollout
from simulacra.learners.dt_policy import DTPolicy
from simulacra.learners.dt_train import TrainConfig, Trajectories, step_nll
from simulacra.reproduce.common import limit_threads, make_dataset, mean_and_ci, train_dt
from simulacra.worlds.grid import find_all
from simulacra.worlds.key_to_door import KEY, KEY_STEPS, KeyToDoor

WORLD = "KeyToDoor"
#: The paper's success rates (Chen et al. 2021, Table 6): {learner: {episodes: rate}}.
PAPER: dict[str, dict[int, float]] = {
    "DT": {1000: 0.718, 10000: 0.946},
    "CQL": {1000: 0.131, 10000: 0.133},
}
#: The default: the recipe whose figures the README reports (context 20, every step in K windows,
#: hidden 64, 1 layer, no dropout, batch 256, AdamW lr 1e-3 with a cosine decay, 10,000 steps:
#: the same 51M action predictions as the earlier 40,000 steps at batch 64, in half the time),
#: so that the README's command without flags reproduces them.
DEFAULT_BUDGET = TrainConfig(steps=10000, context=20, hidden=64, n_layer=1, batch_size=256,
                             lr=1e-3, warmup_steps=100, dropout=0.0, window="both",
                             lr_schedule="cosine")


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
    """Evaluation episodes per seed, each asked for `target`; played twice, with greedy and
    with sampled actions (the reference DT samples)."""
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
    heldout_episodes: int = 2000
    """Random walks of the key-room NLL diagnostic, drawn apart from every seed's training data
    (recipe seed HELDOUT_SEED + seed); 0: no diagnostic."""
    nll_every: int = 1000
    """Training steps between two readings of the diagnostic (and one at the end)."""


#: Recipe seeds of the held-out walks start here, far from the training seeds 0, 1, ...
HELDOUT_SEED = 1_000_000
#: Failed held-out walks read by the diagnostic (the first ones; successes are all read).
HELDOUT_FAILURES = 300


@dataclass
class KeyRoomSteps:
    """The held-out key-room steps the diagnostic reads: steps of the key room taken before the
    key was picked up (the moves that decide success), in walks that succeeded (return-to-go 1)
    and in walks that failed (0)."""

    data: Trajectories
    success: np.ndarray  # global step indices
    failure: np.ndarray

    @classmethod
    def of(cls, ds: Dataset, target: float = 1.0) -> KeyRoomSteps:
        ep = ds.episode_ids()
        picked = ds.events[:, 0] > 0
        held_before = np.zeros(len(ep), dtype=bool)  # the key was picked up at an earlier step
        for i in range(ds.n_episodes):
            a, b = ds.starts[i], ds.starts[i + 1]
            held_before[a + 1:b] = np.cumsum(picked[a:b - 1]) > 0
        key_room = (ds.timesteps < KEY_STEPS) & ~held_before
        won = ds.returns() >= target - 1e-9
        fail_eps = np.flatnonzero(~won)[:HELDOUT_FAILURES]
        return cls(Trajectories.from_dataset(ds), np.flatnonzero(key_room & won[ep]),
                   np.flatnonzero(key_room & np.isin(ep, fail_eps)))

    def floors(self) -> tuple[float, float]:
        """(exact, position-blind): the NLL of the successful walks' key-room moves under the
        exact conditional of a walk that picks up the key (`walk_conditional`), and the entropy
        of those moves' own action frequencies (in-sample: the best a model that does not read
        the board can do on them)."""
        steps = self.success
        if len(steps) == 0:
            return math.nan, math.nan
        table, (agent, key) = walk_conditional(), board_cells(self.data.states[steps])
        p = table[self.data.timesteps[steps], agent, key, self.data.actions[steps]]
        freq = np.bincount(self.data.actions[steps], minlength=table.shape[-1]) / len(steps)
        blind = -float(np.sum(freq[freq > 0] * np.log(freq[freq > 0])))
        return float(-np.mean(np.log(p))), blind

    def nll(self, model) -> tuple[float, float]:
        """Mean NLL (nats) of the successful and of the failed walks' key-room actions, each
        given its own return-to-go (1 and 0); ln 4 = 1.386 is a uniform guess."""
        return (float(np.mean(step_nll(model, self.data, self.success))),
                float(np.mean(step_nll(model, self.data, self.failure))))


AGENT, KEY_SYMBOL = KeyToDoor.alphabet.index("A"), KeyToDoor.alphabet.index("K")


def board_cells(boards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flat cells (row * width + column) of the agent and of the lying key on each key-room
    board [N, H, W]."""
    flat = boards.reshape(len(boards), -1)
    return np.argmax(flat == AGENT, 1), np.argmax(flat == KEY_SYMBOL, 1)


def walk_conditional() -> np.ndarray:
    """P(action | t, agent cell, key cell, the walk picks up the key within the key room) for a
    uniformly random walk: [KEY_STEPS, cells, cells, 4], cells flat as in `board_cells`. By
    Bayes, P(a | s, t, success) is proportional to P(success | s, t, a), the chance that after
    move a the walk steps onto the key before the room's time is up (reaching the door then no
    longer depends on the key room). The exact answer a return-conditioned model asked for 1
    should give there; sampling from it picks up the key in every episode."""
    world = KeyToDoor()
    w, n = len(world.rooms[KEY][0]), len(world.rooms[KEY]) * len(world.rooms[KEY][0])
    # One key-room move by the world's own rules: where it leaves the agent, and whether it
    # picks up the key (the same at every step but the last, whose later chance is 0 anyway).
    nxt = np.repeat(np.arange(n)[:, None], 4, axis=1)  # [cells, 4]; wall cells never occupied
    hit = np.zeros((n, 4, n), dtype=bool)  # [agent, a, key] the move picks up the key
    for agent in find_all(world.bases[KEY], " "):
        for key in world.key_cells:
            for a in range(4):
                [out] = world.outcomes((KEY, 0, agent, key, False), a)
                nxt[agent[0] * w + agent[1], a] = out.state[2][0] * w + out.state[2][1]
                hit[agent[0] * w + agent[1], a, key[0] * w + key[1]] = bool(out.events)
    later = np.zeros((n, n))  # P(picks it up in the steps after this one | agent, key)
    table = np.zeros((KEY_STEPS, n, n, 4))
    for t in range(KEY_STEPS - 1, -1, -1):
        chance = np.where(hit, 1.0, later[nxt])  # [agent, a, key]
        total = chance.sum(1)  # [agent, key]
        table[t] = np.divide(chance, total[:, None, :], out=np.full_like(chance, 0.25),
                             where=total[:, None, :] > 0).transpose(0, 2, 1)
        later = total / 4
    return table


@dataclass
class SizeResult:
    """Figures for one dataset size; lists run over seeds."""

    episodes: int
    dt_success: list[float] = field(default_factory=list)  # greedy actions
    dt_key_rate: list[float] = field(default_factory=list)  # DT episodes that picked the key
    dt_success_sampled: list[float] = field(default_factory=list)  # sampled actions
    dt_key_rate_sampled: list[float] = field(default_factory=list)
    # Per seed, the key-room diagnostic during training: [step, NLL success | 1, NLL failure | 0]
    key_room_nll: list[list[list[float]]] = field(default_factory=list)
    # Per seed, the floors of the diagnostic (`KeyRoomSteps.floors`): [exact, position-blind]
    key_room_floor: list[list[float]] = field(default_factory=list)
    data_success: list[float] = field(default_factory=list)  # random-walk success in the data
    final_loss: list[float] = field(default_factory=list)
    cql_success: list[float] = field(default_factory=list)
    pbc_success: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return mean_and_ci(self.dt_success)[0]

    @property
    def success_rate_sampled(self) -> float:
        return mean_and_ci(self.dt_success_sampled)[0]


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
                "success_rate_sampled": s.success_rate_sampled,
                "per_seed_sampled": s.dt_success_sampled,
                "ci95_sampled": mean_and_ci(s.dt_success_sampled)[1],
                "key_rate_sampled": s.dt_key_rate_sampled,
                "key_room_nll": [[{"step": int(st), "success_given_1": a, "failure_given_0": b}
                                  for st, a, b in curve] for curve in s.key_room_nll],
                "key_room_nll_floor": [{"exact": a, "position_blind": b}
                                       for a, b in s.key_room_floor],
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
        keys = ("success_rate", "per_seed", "success_rate_sampled", "per_seed_sampled")
        if len(self.sizes) == 1:
            top: dict = {k: by_size[str(self.sizes[0].episodes)][k] for k in keys}
        else:
            top = {k: {n: v[k] for n, v in by_size.items()} for k in keys}
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
                line += run_dt_seed(ds, config, seed, res, progress)
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


def run_dt_seed(ds: Dataset, config: KeyToDoorConfig, seed: int, res: SizeResult,
                progress: bool = False) -> str:
    """Train the DT of one seed (reading the key-room diagnostic on the way), evaluate it
    greedily and sampling, append its figures to `res`; returns its progress line's part."""
    curve: list[list[float]] = []
    monitor = None
    if config.heldout_episodes > 0:
        held = KeyRoomSteps.of(make_dataset(WORLD, "random", config.heldout_episodes,
                                            HELDOUT_SEED + seed), config.target)
        exact, blind = held.floors()
        res.key_room_floor.append([exact, blind])
        if progress:
            print(f"[key-to-door] N={ds.n_episodes} seed={seed}: key-room NLL floors "
                  f"{exact:.4f} (exact conditional), {blind:.4f} (position-blind)",
                  file=sys.stderr, flush=True)

        def monitor(step: int, model) -> None:
            curve.append([step, *held.nll(model)])
            if progress:
                print(f"[key-to-door] N={ds.n_episodes} seed={seed} step {step}: key-room NLL "
                      f"{curve[-1][1]:.4f} (successes | 1), {curve[-1][2]:.4f} (failures | 0)"
                      f", ln 4 = {math.log(4):.4f}", file=sys.stderr, flush=True)

    policy, loss = train_dt(ds, config.dt, seed, progress=progress, monitor=monitor,
                            every=config.nll_every)
    res.final_loss.append(loss)
    res.key_room_nll.append(curve)
    for greedy, rates, keys in ((True, res.dt_success, res.dt_key_rate),
                                (False, res.dt_success_sampled, res.dt_key_rate_sampled)):
        ep = rollout(DTPolicy(policy.model, greedy=greedy, return_range=policy.return_range),
                     WORLD, {}, episodes=config.eval_episodes, seed=seed,
                     targets=config.target, record_trajectories=False)
        rates.append(float(np.mean(ep.returns >= config.target - 1e-9)))
        keys.append(float(np.mean(ep.events[:, 0] > 0)))
    nll = f", key-room NLL {curve[-1][1]:.4f} | 1" if curve else ""
    return (f", DT success {res.dt_success[-1]:.3f} greedy (key {res.dt_key_rate[-1]:.3f}), "
            f"{res.dt_success_sampled[-1]:.3f} sampled, loss {loss:.4f}{nll}")


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
    head = ["episodes", "DT greedy (ours)", "DT sampled (ours)", "DT (paper)", "per seed (greedy)"]
    if cql:
        head[4:4] = ["CQL (ours)", "CQL (paper)"]
    if pbc:
        head[4:4] = ["%BC on successes (ours)"]
    head += ["random walk (data)"]
    rows = []
    for s in result.sizes:
        m, ci = mean_and_ci(s.dt_success)
        row = [f"{s.episodes:,}", _pct(m, ci), _pct(*mean_and_ci(s.dt_success_sampled)),
               _pct(PAPER["DT"].get(s.episodes)), " ".join(f"{x:.2f}" for x in s.dt_success)]
        if cql:
            row[4:4] = [_pct(*mean_and_ci(s.cql_success)), _pct(PAPER["CQL"].get(s.episodes))]
        if pbc:
            row[4:4] = [_pct(*mean_and_ci(s.pbc_success))]
        row.append(_pct(float(np.mean(s.data_success))))
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(x.ljust(w) for x, w in zip(cells, widths, strict=True))  # noqa: E731
    b = c.dt
    out = [f"Key-to-Door: success rate asked for return {c.target:g} (mean over {c.seeds} "
           f"seed(s) ± 95% CI, {c.eval_episodes} episodes each)",
           line(head), line(["-" * w for w in widths]), *map(line, rows),
           "; ".join(
               ([f"DT: context {b.context} ({b.window} windows), hidden {b.hidden}, "
                 f"{b.n_layer} layer(s), {b.n_head} head(s), dropout {b.dropout:g}, batch "
                 f"{b.batch_size}, {b.steps} steps, lr {b.lr:g} ({b.lr_schedule})"]
                if c.run_dt else ["DT: not run"])
               + ([f"CQL: {c.cql_steps} steps"] if cql else [])
               + ([f"%BC: {c.pbc_steps} steps, greedy"] if pbc else [])
               + ["last checkpoint"])]
    for s in result.sizes:
        finals = [curve[-1] for curve in s.key_room_nll if curve]
        if finals:
            ok, bad = np.mean([f[1] for f in finals]), np.mean([f[2] for f in finals])
            exact, blind = np.mean(s.key_room_floor, axis=0)
            out.append(f"{s.episodes:,} episodes: held-out key-room NLL at the end {ok:.4f} "
                       f"(successful walks, asked 1), {bad:.4f} (failed walks, asked 0); "
                       f"floors {exact:.4f} (exact conditional) and {blind:.4f} "
                       f"(position-blind); ln 4 = {math.log(4):.4f}")
    return "\n".join(out)
