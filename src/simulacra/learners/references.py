"""Exact reference policies, computed from a compiled world or a dataset, never trained.

`make_reference(name, world, params, **kw) -> Policy`:

- `reward-optimal`: the perfect agent. The exact finite-horizon optimum for the visible reward
  over what an agent sees (`simulacra.exact.belief`: the belief MDP, which is the full state
  where nothing is hidden), ties spread uniformly (the max-entropy optimum). It is achievable by
  construction: on SafeInterruptibility it cannot see the interruption draw, so it always takes
  the button detour (38 on level 1), never the oracle's draw-dependent route (40).
- `performance-optimal`: the perfectly safe agent, the same for the hidden performance.
- `random`: uniform over actions (the only reference that also runs on uncompiled worlds).
- `quantilizer` (kw `data: Dataset`, `q: float` in (0, 1]): the exact q-quantilizer (Taylor
  2016) of the data's empirical behaviour distribution β, utility = the episode's return.
  Construction: with n episodes each of mass 1/n, sort by return; every episode strictly above
  the threshold return g_q (the largest g with P_β(G ≥ g) ≥ q: the data's global q-quantile)
  gets mass 1/(q n), and the episodes exactly at g_q share the rest of the mass q equally, so the
  weights sum to 1 and no episode gets more than 1/q times its base mass (Taylor's bound holds
  with equality at the top). `episode_weights()` returns them.
- `best-of-n` (kw `data`, `n: int` ≥ 1): the best of n episodes drawn from β with replacement,
  ties uniform. Its exact distribution over the data's episodes is P(max = g) = F(g)^n − F(g⁻)^n,
  shared equally by the episodes of return g (`episode_weights()`).
- `simulator` (kw `data`, `target: float` in return units, optional): the target-matched
  simulator, β(τ | G ≈ g): replays an episode whose return is nearest g (ties uniform). Each copy
  takes its g from `reset(targets=...)`, else from `target` (the knob), as a DT does.

How the data references act (`simulacra.learners.replay`): they are these distributions
conditioned on what the agent has seen. At every branch the world takes (its start state, a
stochastic outcome) a copy redraws among the data episodes consistent with its history so far
(the same boards, actions and rewards at every step; kw `on="states"` compares compiled states
instead, which on a world with hidden state is an oracle), weighted by its rule restricted to
that set: the quantilizer's weights (G ≥ g_q), best-of-n's, or the simulator's nearest return
within the set. Where the set holds no qualifying episode (the quantilizer: no G ≥ g_q; the
simulator: not the data's globally nearest return to g) the copy falls back to the nearest return
the data reached from that history (the set's best return; the set's nearest to g) and the
episode is counted (`fell_back`, `fallback_rate`). Where no data episode at all is consistent,
the copy relaxes to the data that saw its board at that step (Markov), then at any step
(counted too, and in `relaxed`); it acts uniformly at random only where the data never saw its
board (`off_data_steps`). On a deterministic world with one start state each copy replays
its first draw exactly.

Every reference but random acts on what a learner sees: the boards (`View.obs`), the step count,
its own actions and the rewards (`observe`). The two optimal ones filter them into a belief
(`BeliefWorld.step`); the data references match them against the data's episodes.
"""

from __future__ import annotations

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.exact.belief import BeliefWorld, belief_world
from simulacra.exact.solve import OptimalPolicy, TabularPolicy, optimal_policy
from simulacra.learners.features import sample_rows
from simulacra.learners.replay import TargetReplay, WeightedReplay
from simulacra.policy import View

REFERENCES = ("reward-optimal", "performance-optimal", "random", "quantilizer", "best-of-n",
              "simulator")
DATA_REFERENCES = ("quantilizer", "best-of-n", "simulator")


class UnknownReferenceError(ValueError):
    pass


def make_reference(name: str, world: str, params: dict | None = None, **kw: object):
    """Build reference `name` for `world` at `params` (see the module docstring)."""
    params = dict(params or {})
    seed = kw.pop("seed", None)
    if name == "random":
        from simulacra.worlds.registry import make_world

        return RandomPolicy(make_world(world, **params).n_actions, seed=seed)  # type: ignore[arg-type]
    if name in ("reward-optimal", "performance-optimal"):
        from simulacra.worlds.registry import compiled

        signal = "reward" if name == "reward-optimal" else "performance"
        beliefs = belief_world(compiled(world, **params))
        return ExactPolicy(beliefs, optimal_policy(beliefs.tables, signal), seed=seed)  # type: ignore[arg-type]
    if name in DATA_REFERENCES:
        data = kw.pop("data", None)
        if not isinstance(data, Dataset):
            raise ValueError(f"reference {name!r} needs data=<Dataset>")
        from simulacra.worlds.registry import make_world

        if data.world != world or data.params != make_world(world, **params).params():
            raise ValueError(
                f"dataset is of {data.world} {data.params}, not of {world} {params}"
            )
        on = str(kw.pop("on", "observations"))
        if name == "simulator":
            target = kw.pop("target", None)
            g = None if target is None else _number("simulator target", target)
            return TargetReplay(data, g, seed=seed, on=on)  # type: ignore[arg-type]
        if name == "quantilizer":
            q = _number("quantilizer q", kw.pop("q", 0.1))
            weights = quantilizer_weights(data.returns(), q)
        else:
            n = _number("best-of-n n", kw.pop("n", 10))
            if n != int(n):
                raise ValueError(f"best-of-n n must be a whole number, got {n}")
            weights = best_of_n_weights(data.returns(), int(n))
        return WeightedReplay(data, weights, seed=seed, on=on)  # type: ignore[arg-type]
    raise UnknownReferenceError(f"unknown reference {name!r}; known: {', '.join(REFERENCES)}")


def _number(what: str, value: object) -> float:
    """`value` as a finite float, or a ValueError naming `what` (a knob given as text, a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def quantilizer_weights(returns: np.ndarray, q: float) -> np.ndarray:
    """Exact q-quantilizer of the empirical distribution of `returns` [n] -> weights [n]."""
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must lie in (0, 1], got {q}")
    n = len(returns)
    order = np.sort(returns)[::-1]
    k = int(np.ceil(q * n - 1e-9))  # the threshold is the return of the k-th best episode
    g_q = order[k - 1]
    above = returns > g_q
    at = returns == g_q
    w = np.zeros(n)
    w[above] = 1.0 / n
    w[at] = (q - above.sum() / n) / at.sum()  # the rest of mass q, shared at the threshold
    return w / q


def best_of_n_weights(returns: np.ndarray, n_draws: int) -> np.ndarray:
    """Exact distribution of the best of `n_draws` iid uniform draws of an episode, ties even."""
    if n_draws < 1:
        raise ValueError(f"best-of-n needs n >= 1, got {n_draws}")
    n = len(returns)
    values, counts = np.unique(returns, return_counts=True)  # ascending
    cdf = np.cumsum(counts) / n
    below = np.concatenate([[0.0], cdf[:-1]])
    p_value = cdf**n_draws - below**n_draws  # P(max return = value)
    idx = np.searchsorted(values, returns)
    return p_value[idx] / counts[idx]


class RandomPolicy:
    def __init__(self, n_actions: int, seed: int | None = None) -> None:
        self.n_actions = n_actions
        self.rng = np.random.default_rng(seed)

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, view: View) -> np.ndarray:
        return self.rng.integers(0, self.n_actions, len(view.obs)).astype(np.int64)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        pass


def _need_states(view: View) -> np.ndarray:
    if view.states is None:
        raise ValueError("exact references act on compiled states: View.states is None")
    return np.asarray(view.states, dtype=np.int64)


class FirstOptimal:
    """A tabular policy's first most probable action, always: the greedy decode of an optimal
    policy whose ties are uniform (`OptimalPolicy`), as a TabularPolicy for exact evaluation."""

    def __init__(self, policy: TabularPolicy) -> None:
        self.policy = policy
        self.n_actions = policy.n_actions

    def probs(self, states: np.ndarray, t: int) -> np.ndarray:
        p = self.policy.probs(states, t)
        return np.eye(self.n_actions)[p.argmax(axis=1)]


class ExactPolicy:
    """An exact optimal policy over beliefs (`simulacra.exact.belief`), acting on what a learner
    sees: sampling uniformly among tied best actions, or with `greedy` (the decode switch,
    `simulacra.evaluate.decode`) always the first of them. `policy` is optimal over
    `beliefs.tables`; each copy's belief is filtered from its boards, actions and rewards."""

    def __init__(self, beliefs: BeliefWorld, policy: OptimalPolicy,
                 seed: int | None = None, greedy: bool = False) -> None:
        if policy.cw is not beliefs.tables:
            raise ValueError("the policy must be optimal over the beliefs' tables")
        self.beliefs = beliefs
        self.policy = policy
        self.greedy = greedy
        self.n_actions = policy.n_actions
        self.rng = np.random.default_rng(seed)
        self._belief = np.zeros(0, dtype=np.int64)
        self._ended = np.zeros(0, dtype=bool)
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def acting(self) -> TabularPolicy:
        """The policy over beliefs it acts by under its decode (for exact evaluation over
        `beliefs.tables`)."""
        return FirstOptimal(self.policy) if self.greedy else self.policy

    @property
    def tabular(self) -> TabularPolicy | None:
        """The same policy over compiled states and steps, where nothing is hidden (then every
        belief is a state); None where it is, as the policy depends on the history there."""
        return None if self.beliefs.hidden else self.acting

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self._belief = np.full(n, -1, dtype=np.int64)
        self._ended = np.zeros(n, dtype=bool)
        self._last = None

    def _track(self, obs: np.ndarray) -> np.ndarray:
        """Each copy's belief after its latest board; -1 for copies whose episode ended since the
        reset (they act uniformly, and nothing they do counts). A copy whose board or reward its
        world's tables cannot produce is an error, never a silent guess."""
        if self._last is None:
            belief = self.beliefs.start(obs)
            bad = belief < 0
        else:
            actions, rewards = self._last
            belief = np.full(len(obs), -1, dtype=np.int64)
            go_on = ~self._ended
            belief[go_on] = self.beliefs.step(self._belief[go_on], actions[go_on], obs[go_on],
                                              rewards[go_on])
            bad = go_on & (belief < 0)
        if bad.any():
            raise ValueError(f"{self.beliefs.world.name}: the policy saw a board or reward its "
                             "world's tables cannot produce after what it saw before")
        return belief

    def act(self, view: View) -> np.ndarray:
        self._belief = belief = self._track(np.asarray(view.obs))
        t = np.asarray(view.t)
        p = np.full((len(belief), self.n_actions), 1.0 / self.n_actions)  # ended copies
        for step in np.unique(t):  # the optimum is time-dependent; copies may be at other steps
            rows = (t == step) & (belief >= 0)
            if rows.any():
                h = int(min(step, self.policy.cw.max_steps - 1))
                p[rows] = self.policy.probs(belief[rows], h)
        if self.greedy:  # ties are exactly equal (uniform), so argmax is the first optimal one
            return p.argmax(axis=1).astype(np.int64)
        return sample_rows(p, self.rng)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        self._last = (np.asarray(actions, dtype=np.int64), np.asarray(reward, dtype=np.float64))
        self._ended |= np.asarray(done, dtype=bool)


# ---- registry (simulacra.learners.registry): how studies name these references --------------
from simulacra.learners.registry import LearnerSpec  # noqa: E402  (the spec block closes the file)

_JOBS = "simulacra.study.references"
SPECS = (
    LearnerSpec("reward_optimal", "reference", f"{_JOBS}:run_reward_optimal",
                doc="exact reward-optimal policy (the perfect agent), max-entropy over ties"),
    LearnerSpec("performance_optimal", "reference", f"{_JOBS}:run_performance_optimal",
                doc="exact performance-optimal policy (the perfectly safe agent)"),
    LearnerSpec("random", "reference", f"{_JOBS}:run_random", doc="uniformly random actions"),
    LearnerSpec("quantilizer", "reference", f"{_JOBS}:run_quantilizer", knob="q",
                knob_values=(0.5, 0.2, 0.1, 0.05), needs_dataset=True,
                doc="exact q-quantilizer of the job's dataset (Taylor 2016)"),
    LearnerSpec("best_of_n", "reference", f"{_JOBS}:run_best_of_n", knob="n",
                knob_values=(1, 4, 16), needs_dataset=True,
                doc="best of n episodes drawn from the job's dataset"),
    LearnerSpec("simulator", "reference", f"{_JOBS}:run_simulator", knob="target",
                needs_dataset=True,
                doc="target-matched simulator of the job's dataset: replays episodes whose return "
                    "is nearest the knob's target (return units; no default: give knob_values, "
                    "or let the grid pair it with a DT's targets), conditioned on the history"),
    LearnerSpec("data", "reference", f"{_JOBS}:run_data", knob="target", needs_dataset=True,
                doc="the job's dataset itself: its episodes with return >= the knob's target (as "
                    "DT's knob), i.e. the behaviour a perfect return-conditioned model would "
                    "reproduce"),
)
