"""Exact reference policies, computed from a compiled world or a dataset, never trained.

`make_reference(name, world, params, **kw) -> Policy`:

- `reward-optimal`: the perfect agent. The exact finite-horizon optimum for the visible reward
  over what an agent sees (`simulacra.exact.belief`: the belief MDP, which is the full state
  where nothing is hidden), ties spread uniformly (the max-entropy optimum). It is achievable by
  construction: on SafeInterruptibility it cannot see the interruption draw, so it always takes
  the button detour (38 on level 1), never the oracle's draw-dependent route (40).
- `performance-optimal`: the perfectly safe agent, the same for the hidden performance.
- `random`: uniform over actions (the only reference that also runs on uncompiled worlds).
- `quantilizer` (kw `data: Dataset`, `q: float`): the exact q-quantilizer (Taylor 2016) of the
  data's empirical behaviour distribution β, utility = the episode's return. Construction: with n
  episodes each of mass 1/n, sort by return; every episode strictly above the threshold return
  g_q (the largest g with P_β(G ≥ g) ≥ q) gets mass 1/(q n), and the episodes exactly at g_q share
  the rest of the mass q equally, so the weights sum to 1 and no episode gets more than 1/q times
  its base mass (Taylor's bound holds with equality at the top). `episode_weights()` returns them.
- `best-of-n` (kw `data`, `n: int`): the best of n episodes drawn from β with replacement, ties
  uniform. Its exact distribution over the data's episodes is P(max = g) = F(g)^n − F(g⁻)^n,
  shared equally by the episodes of return g (`episode_weights()`).

How the two data references act: at reset each copy draws an episode from the weights and
replays its actions while the world stays on that episode's states (compiled indices at the same
step). On a deterministic world with one start state the replay reproduces the episode exactly.
Where the world branches off (a stochastic outcome, or a start state the episode did not have),
the copy redraws, among episodes weighted as above, one that was in the current state at the
current step, and replays that one; this is the quantilizer conditioned on what has happened, i.e.
a perfect model of β(a | s_t, t, G in the top set). If no weighted episode ever was there, the
copy acts uniformly at random for the rest of the episode (`off_data_steps` counts these steps;
it stays 0 on deterministic worlds).

The two optimal references act on what a learner sees: the boards (`View.obs`), the step count,
their own actions and the rewards (`observe`), filtered into a belief (`BeliefWorld.step`). The
data references act on `View.states` (compiled indices) and `View.t`, which evaluation fills in
for compiled worlds: they replay data episodes, which were recorded on true states.
"""

from __future__ import annotations

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.exact.belief import BeliefWorld, belief_world
from simulacra.exact.solve import OptimalPolicy, TabularPolicy, optimal_policy
from simulacra.learners.features import sample_rows
from simulacra.policy import View

REFERENCES = ("reward-optimal", "performance-optimal", "random", "quantilizer", "best-of-n")


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
    if name in ("quantilizer", "best-of-n"):
        data = kw.pop("data", None)
        if not isinstance(data, Dataset):
            raise ValueError(f"reference {name!r} needs data=<Dataset>")
        from simulacra.worlds.registry import make_world

        if data.world != world or data.params != make_world(world, **params).params():
            raise ValueError(
                f"dataset is of {data.world} {data.params}, not of {world} {params}"
            )
        if name == "quantilizer":
            weights = quantilizer_weights(data.returns(), float(kw.pop("q", 0.1)))  # type: ignore[arg-type]
        else:
            weights = best_of_n_weights(data.returns(), int(kw.pop("n", 10)))  # type: ignore[arg-type]
        return ReplayPolicy(data, weights, seed=seed)  # type: ignore[arg-type]
    raise UnknownReferenceError(f"unknown reference {name!r}; known: {', '.join(REFERENCES)}")


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


class ExactPolicy:
    """An exact optimal policy over beliefs (`simulacra.exact.belief`), acting on what a learner
    sees and sampling uniformly among tied best actions. `policy` is optimal over
    `beliefs.tables`; each copy's belief is filtered from its boards, actions and rewards."""

    def __init__(self, beliefs: BeliefWorld, policy: OptimalPolicy,
                 seed: int | None = None) -> None:
        if policy.cw is not beliefs.tables:
            raise ValueError("the policy must be optimal over the beliefs' tables")
        self.beliefs = beliefs
        self.policy = policy
        self.n_actions = policy.n_actions
        self.rng = np.random.default_rng(seed)
        self._belief = np.zeros(0, dtype=np.int64)
        self._ended = np.zeros(0, dtype=bool)
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def tabular(self) -> TabularPolicy | None:
        """The same policy over compiled states and steps, where nothing is hidden (then every
        belief is a state); None where it is, as the policy depends on the history there."""
        return None if self.beliefs.hidden else self.policy

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
        return sample_rows(p, self.rng)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        self._last = (np.asarray(actions, dtype=np.int64), np.asarray(reward, dtype=np.float64))
        self._ended |= np.asarray(done, dtype=bool)


class ReplayPolicy:
    """Replays data episodes drawn from `weights` (see the module docstring)."""

    def __init__(self, data: Dataset, weights: np.ndarray, seed: int | None = None) -> None:
        if (data.states < 0).any():
            raise ValueError(f"{data.world}: the dataset has no compiled states to replay on")
        self.data = data
        self.weights = weights / weights.sum()  # [n_episodes]
        self.n_actions = data.n_actions
        self.rng = np.random.default_rng(seed)
        self.off_data_steps = 0
        # Steps of weighted episodes keyed by (t, state), for redrawing after a branch.
        ep = data.episode_ids()
        keep = self.weights[ep] > 0
        self._keys = data.timesteps[keep].astype(np.int64) * (int(data.states.max()) + 1) + \
            data.states[keep]
        order = np.argsort(self._keys, kind="stable")
        self._sorted_keys = self._keys[order]
        self._sorted_eps = ep[keep][order]
        self._stride = int(data.states.max()) + 1
        self.chosen = np.zeros(0, dtype=np.int64)  # [N] episode each copy replays, -1 off data

    def episode_weights(self) -> np.ndarray:
        return self.weights.copy()

    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.chosen = self.rng.choice(len(self.weights), size=n, p=self.weights)
        self.active = np.ones(n, dtype=bool)  # copies whose episode has not ended

    def _redraw(self, t: int, state: int) -> int:
        key = t * self._stride + state
        lo, hi = np.searchsorted(self._sorted_keys, [key, key + 1])
        if lo == hi:
            return -1
        eps = self._sorted_eps[lo:hi]
        w = self.weights[eps]
        return int(eps[self.rng.choice(len(eps), p=w / w.sum())])

    def act(self, view: View) -> np.ndarray:
        states = _need_states(view)
        t = np.asarray(view.t, dtype=np.int64)
        d = self.data
        out = np.empty(len(states), dtype=np.int64)
        out[:] = 0  # copies whose episode ended act too (evaluation ignores them)
        for i in np.flatnonzero(self.active):
            e = self.chosen[i]
            if e >= 0:
                step = d.starts[e] + t[i]
                if t[i] >= d.lengths[e] or d.states[step] != states[i]:
                    e = self.chosen[i] = self._redraw(int(t[i]), int(states[i]))
            if e < 0:
                self.off_data_steps += 1
                out[i] = self.rng.integers(self.n_actions)
            else:
                out[i] = d.actions[d.starts[e] + t[i]]
        return out

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        self.active &= ~np.asarray(done, dtype=bool)


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
    LearnerSpec("data", "reference", f"{_JOBS}:run_data", knob="target_fraction",
                knob_values=(0.0, 0.25, 0.5, 0.75, 1.0), needs_dataset=True,
                doc="the job's dataset itself: its episodes with return >= the knob's target (as "
                    "DT's knob), i.e. the behaviour a perfect return-conditioned model would "
                    "reproduce"),
)
