"""What the agent can know: the compiled world seen through its observations (the belief MDP).

An agent sees the board, the reward, whether the episode ended, and the step count; never the
state itself. Where two states can follow the same history of those, the state is hidden (the
SafeInterruptibility interruption draw), and an optimum over the full state is an oracle no
learner can reach. The achievable optimum is over the *belief*: the distribution over states that
the history leaves open. Bayes' rule updates it after each step, and because every world here is
finite and its draws resolve at known events, the reachable beliefs are a finite set.

`belief_world(cw)` builds the belief MDP as a `CompiledWorld` whose states are those beliefs, so
the unchanged solver (`simulacra.exact.solve`) optimises, evaluates and visits over it:

- initial beliefs: the start states grouped by their board, each group its own belief;
- a belief b and action a lead to one branch per distinct (board, reward, terminated) the agent
  could see next; the branch's probability is the mass of the states reaching it, its reward is
  the one seen, its performance and events their expectation given the branch (hidden, so only
  their expectation matters), and its next belief is Bayes' rule restricted to the branch.

A world is fully observable when the first board determines the start state and, after every
(state, action), the (board, reward, terminated) seen determines the next state. Then every belief
is one state with certainty and `belief_world` returns the compiled world itself (identical
figures, no extra cost); `enumerate_beliefs` builds the general construction regardless.

`BeliefWorld.start` / `BeliefWorld.step` are the filter: they turn what a policy saw (boards,
its own actions, rewards) into belief indices, which is how an achievable reference acts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from simulacra.exact.compile import CompiledWorld, Reachable

#: A world whose reachable beliefs outnumber its states by this factor is refused, not enumerated
#: for ever (continuous belief drift); none of the registered worlds is near it.
BELIEF_LIMIT_FACTOR = 64
REWARD_TOL = 1e-6  # rewards seen and tabled are the same float64; this only absorbs float32 copies


def observation_classes(cw: CompiledWorld) -> np.ndarray:
    """Index [S] of each state's board among the distinct boards: equal boards, equal index."""
    flat = np.ascontiguousarray(cw.obs.reshape(cw.n_states, -1))
    # Each board as one opaque value: a 1-D unique, far faster than np.unique(axis=0).
    boards = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize))).reshape(-1)
    _, inverse = np.unique(boards, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def is_observable(cw: CompiledWorld, obs_class: np.ndarray | None = None) -> bool:
    """True when the state always follows from what the agent saw (see the module docstring)."""
    oc = observation_classes(cw) if obs_class is None else obs_class
    starts = cw.init_states[cw.init_probs > 0]
    if len(np.unique(oc[starts])) < len(np.unique(starts)):
        return False
    live = (cw.prob > 0) & ~cw.terminated  # branches after which the agent acts again
    seen, nxt, K = oc[cw.next_state], cw.next_state, cw.next_state.shape[2]
    for i in range(K):
        for j in range(i + 1, K):
            same = (seen[..., i] == seen[..., j]) & (
                np.abs(cw.reward[..., i] - cw.reward[..., j]) <= REWARD_TOL)
            if (live[..., i] & live[..., j] & same & (nxt[..., i] != nxt[..., j])).any():
                return False
    return True


@dataclass
class BeliefWorld:
    """The belief MDP of a compiled world, and the filter that tracks a belief from observations.

    `tables.states[b]` is belief b as ((state index, probability), ...); `hidden` is False when
    every belief is a single state (then `tables` is the compiled world itself)."""

    world: CompiledWorld
    tables: CompiledWorld
    hidden: bool
    obs_class: np.ndarray  # [S] board class of each compiled state
    belief_obs: np.ndarray  # [B] board class of each belief (its states share one board)
    _boards: dict[bytes, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for s in range(self.world.n_states):
            self._boards.setdefault(self.world.obs[s].tobytes(), int(self.obs_class[s]))
        self._start = {int(self.belief_obs[b]): int(b) for b in self.tables.init_states}

    def classify(self, boards: np.ndarray) -> np.ndarray:
        """Board class [N] of observed boards [N, H, W]; -1 for a board no state shows."""
        return np.array([self._boards.get(np.ascontiguousarray(o).tobytes(), -1) for o in boards],
                        dtype=np.int64)

    def start(self, boards: np.ndarray) -> np.ndarray:
        """Belief [N] after the first boards [N, H, W]; -1 where no start state shows it."""
        return np.array([self._start.get(int(c), -1) for c in self.classify(boards)],
                        dtype=np.int64)

    def step(self, beliefs: np.ndarray, actions: np.ndarray, boards: np.ndarray,
             rewards: np.ndarray) -> np.ndarray:
        """Beliefs [N] after taking `actions` [N] in `beliefs` [N] and then seeing `rewards` [N]
        and the next `boards` [N, H, W], the episodes going on. -1 where no branch matches (or
        the belief was already -1)."""
        beliefs = np.asarray(beliefs, dtype=np.int64)
        out = np.full(len(beliefs), -1, dtype=np.int64)
        ok = beliefs >= 0
        if not ok.any():
            return out
        b, a = beliefs[ok], np.asarray(actions, dtype=np.int64)[ok]
        T = self.tables
        nxt = T.next_state[b, a]  # [n, K]
        match = (
            (T.prob[b, a] > 0) & ~T.terminated[b, a]
            & (self.belief_obs[nxt] == self.classify(boards)[ok][:, None])
            & (np.abs(T.reward[b, a] - np.asarray(rewards, dtype=np.float64)[ok][:, None])
               <= REWARD_TOL)
        )
        found = match.any(axis=1)
        out[np.flatnonzero(ok)[found]] = nxt[found, match[found].argmax(axis=1)]
        return out


def belief_world(cw: CompiledWorld) -> BeliefWorld:
    """The belief MDP of `cw`: the compiled world itself when it is fully observable."""
    oc = observation_classes(cw)
    if is_observable(cw, oc):
        return BeliefWorld(cw, cw, False, oc, oc)
    return enumerate_beliefs(cw, oc)


def enumerate_beliefs(cw: CompiledWorld, obs_class: np.ndarray | None = None) -> BeliefWorld:
    """Every belief reachable from the start, breadth-first, as a compiled world (see above)."""
    started = time.perf_counter()
    oc = observation_classes(cw) if obs_class is None else obs_class
    A, E, X = cw.n_actions, len(cw.event_names), cw.extras.shape[1]
    limit = BELIEF_LIMIT_FACTOR * cw.n_states
    reach = Reachable(limit, f"{cw.name}: more than {limit} reachable beliefs; its hidden "
                             "state does not resolve into a finite set")
    supports: list[tuple[tuple[int, ...], np.ndarray]] = reach.items
    index: dict[tuple, int] = reach.index
    expand, queue = reach.expand, reach.queue

    def intern(mass: dict[int, float], expandable: bool) -> int:
        states = tuple(sorted(mass))
        probs = np.array([mass[s] for s in states])
        probs /= probs.sum()
        key = tuple(zip(states, np.round(probs, 12).tolist(), strict=True))
        return reach.intern(key, (states, probs), expandable)

    groups: dict[int, dict[int, float]] = {}
    for s, p in zip(cw.init_states.tolist(), cw.init_probs.tolist(), strict=True):
        if p > 0:
            g = groups.setdefault(int(oc[s]), {})
            g[s] = g.get(s, 0.0) + p
    init = [(intern(g, True), sum(g.values())) for g in groups.values()]

    rows: dict[int, list[list[tuple]]] = {}
    while queue:
        b = queue.popleft()
        if b in rows or not expand[b]:
            continue
        states, probs = supports[b]
        per_action = []
        for a in range(A):
            # (board, reward, terminated) seen -> [mass, next-state masses, performance, events]
            seen: dict[tuple, list] = {}
            for s, ps in zip(states, probs.tolist(), strict=True):
                for k in np.flatnonzero(cw.prob[s, a] > 0):
                    m, j = ps * cw.prob[s, a, k], int(cw.next_state[s, a, k])
                    key = (int(oc[j]), float(cw.reward[s, a, k]), bool(cw.terminated[s, a, k]))
                    g = seen.setdefault(key, [0.0, {}, 0.0, np.zeros(E)])
                    g[0] += m
                    g[1][j] = g[1].get(j, 0.0) + m
                    g[2] += m * cw.performance[s, a, k]
                    g[3] = g[3] + m * cw.events[s, a, k]
            per_action.append([
                (m, intern(nxt, not term), r, perf / m, ev / m, term)
                for (_, r, term), (m, nxt, perf, ev) in seen.items()
            ])
        rows[b] = per_action

    B = len(supports)
    K = max(len(br) for acts in rows.values() for br in acts)
    next_state = np.repeat(np.arange(B, dtype=np.int32)[:, None, None], A, 1).repeat(K, 2)
    prob = np.zeros((B, A, K))
    prob[:, :, 0] = 1.0  # absorbing self-loops for beliefs never acted in, as in compile
    reward, perf = np.zeros((B, A, K)), np.zeros((B, A, K))
    term = np.zeros((B, A, K), dtype=bool)
    events = np.zeros((B, A, K, E))  # expected counts given the branch: not integers
    for b, acts in rows.items():
        prob[b] = 0.0
        for a, branches in enumerate(acts):
            for k, (p, j, r, pf, ev, t) in enumerate(branches):
                next_state[b, a, k], prob[b, a, k], reward[b, a, k] = j, p, r
                perf[b, a, k], term[b, a, k], events[b, a, k] = pf, t, ev
    first = np.array([s[0] for s, _ in supports], dtype=np.int64)
    extras = np.zeros((B, X), dtype=np.float32)
    for b, (states, probs) in enumerate(supports):
        extras[b] = probs @ cw.extras[list(states)]
    keys = list(index)
    tables = CompiledWorld(
        name=cw.name, params=dict(cw.params), alphabet=cw.alphabet,
        event_names=cw.event_names, extra_names=cw.extra_names, max_steps=cw.max_steps,
        states=keys,
        init_states=np.array([b for b, _ in init], dtype=np.int32),
        init_probs=np.array([p for _, p in init]) / sum(p for _, p in init),
        next_state=next_state, prob=prob, reward=reward, performance=perf, terminated=term,
        events=events, obs=cw.obs[first], extras=extras,
        compile_seconds=time.perf_counter() - started,
        index={k: i for i, k in enumerate(keys)},
    )
    hidden = any(len(s) > 1 for s, _ in supports)
    return BeliefWorld(cw, tables, hidden, oc, oc[first])
