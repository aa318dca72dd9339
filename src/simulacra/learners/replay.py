"""Data replays conditioned on the history: the machinery behind the data yardsticks.

A data yardstick (quantilizer, best-of-n, target-matched simulator; built by
`simulacra.learners.references.make_reference`) is a distribution over the data's episodes. As a
policy it must be that distribution *conditioned on what the agent has seen*: at step t it acts
like an episode drawn from the episodes consistent with the history h_t (the same board at every
step 0..t, the same action and reward at every step before t), weighted by its rule and
restricted to that set. `HistoryReplay` does this exactly, for N copies at once:

- What counts as "the same" is what the agent sees (`on="observations"`, the default: boards,
  actions, rewards), so the yardstick asks what a learner can ask. On SafeInterruptibility the
  interruption draw is in the compiled state but never on the board: a replay on compiled states
  (`on="states"`) would know the draw from step 0, an oracle no learner can match (where nothing
  is hidden the two histories are the same).
- Each copy keeps its consistent set as (copy, data step) pairs, sorted by copy: a pointer to the
  step of each consistent episode that corresponds to the copy's step t. After each step the
  pairs whose action or reward differ from what the copy did, or whose episode ended, are
  dropped and the rest advance; before acting, those whose board differs from the copy's new
  board are dropped. All of it is vectorised numpy over the pairs of every copy.
- Each copy replays one chosen episode (its pointer is one of the pairs) and redraws by its
  rule only when the world leaves that episode (a start or a stochastic outcome the episode did
  not have). Keeping the draw while the world agrees with it is exact: an episode drawn from the
  rule restricted to C_t and still consistent at t+1 is distributed as the rule restricted to
  C_{t+1}.
- The rule (`_pair_weights`) says which consistent episodes qualify and with what weight; where
  none qualifies it falls back to the consistent episodes nearest what was asked, and the copy's
  episode is counted in `fell_back` (the yardstick was asked the impossible from this history).
- Where no data episode at all is consistent with the history (the world went where the data
  never went from there), the copy relaxes its history: to the data steps that saw its current
  board at the same step t (Markov), else at any step; it then conditions on the history from
  there on. Such an episode also counts as fallen back (`relaxed` says which). Only when the data
  never saw the current board does the copy act uniformly at random, each such step counted in
  `off_data_steps`: a copy never acts at random while some data episode is consistent with its
  history.

On a deterministic world with one start state nothing branches: each copy replays its first draw
exactly. Same seed, same draws.
"""

from __future__ import annotations

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.policy import View

#: Returns closer than this are the same return (they are sums of float32 rewards).
RETURN_TOL = 1e-6
#: A recorded reward and an observed one closer than this are the same reward.
REWARD_TOL = 1e-4


def _ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenation of arange(lo[i], hi[i]) over i, vectorised."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return first + np.arange(total, dtype=np.int64)


#: What a replay's history is made of, besides actions and rewards: the boards the agent saw
#: (the default: a yardstick for a learner must see what the learner sees; on SafeInterruptibility
#: the hidden draw is in the state, never on the board), or the compiled states (an oracle
#: wherever part of the state is hidden; the same history wherever nothing is).
SEEN = ("observations", "states")


def _rows(obs: np.ndarray) -> list[bytes]:
    """Each board of `obs` [N, H, W] as bytes (a dict key)."""
    flat = np.ascontiguousarray(np.asarray(obs, dtype=np.uint8).reshape(len(obs), -1))
    return flat.view(np.dtype((np.void, flat.shape[1]))).ravel().tolist()


def _board_ids(obs: np.ndarray) -> tuple[dict[bytes, int], np.ndarray]:
    """Each distinct board of `obs` [T, H, W] numbered in order of appearance: (board bytes ->
    id, ids [T]). A dict, not np.unique(axis=0), whose sort of raw rows is 70 times slower."""
    ids: dict[bytes, int] = {}
    rows = _rows(obs)
    keys = np.fromiter((ids.setdefault(r, len(ids)) for r in rows), np.int64, count=len(rows))
    return ids, keys


class _StepIndex:
    """Data steps sorted by an integer key, for looking up every step with given keys."""

    def __init__(self, keys: np.ndarray) -> None:
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def lookup(self, copies: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(copy, data step) pairs: for each copies[i], every step whose key is keys[i]."""
        lo = np.searchsorted(self.keys, keys, side="left")
        hi = np.where(keys >= 0, np.searchsorted(self.keys, keys, side="right"), lo)
        return np.repeat(copies, hi - lo), self.order[_ranges(lo, hi)]


class HistoryReplay:
    """Replays data episodes drawn by a rule among those consistent with each copy's history (see
    the module docstring). Subclasses give the rule: `_pair_weights`."""

    def __init__(self, data: Dataset, seed: int | None = None, on: str = "observations") -> None:
        if on not in SEEN:
            raise ValueError(f"a replay conditions on {' or '.join(SEEN)}, not {on!r}")
        if data.n_episodes == 0:
            raise ValueError(f"{data.world}: the dataset holds no episode to replay")
        self.on = on
        if on == "states":
            if (data.states < 0).any():
                raise ValueError(f"{data.world}: the dataset has no compiled states to replay on")
            keys = data.states.astype(np.int64)
        else:
            self._boards, keys = _board_ids(data.obs)
        self.data = data
        self.n_actions = data.n_actions
        self.rng = np.random.default_rng(seed)
        self.returns = data.returns()  # [n_episodes]
        self._episode = data.episode_ids()  # [T]
        self._end = data.episode_end()  # [T]
        self._keys = keys  # [T] what the agent saw before each step's action, as an id
        self._stride = stride = int(keys.max()) + 1
        self._by_step_seen = _StepIndex(data.timesteps.astype(np.int64) * stride + keys)
        self._by_seen = _StepIndex(keys)
        # Running totals over every episode played since construction (all waves).
        self.episodes_played = 0
        self.fallback_episodes = 0
        self.relaxed_episodes = 0
        self.off_data_steps = 0
        self.reset(0)

    # ---- the rule ---------------------------------------------------------------------------
    def _pair_weights(self, pc: np.ndarray, ep: np.ndarray, bounds: np.ndarray,
                      copies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the pairs (pc, ep) of `copies` (pairs sorted by copy, group g being
        bounds[g]:bounds[g + 1]): each pair's weight (every group's sum > 0) and, per copy,
        whether it fell back (no qualifying episode in its group)."""
        raise NotImplementedError

    def _start(self, n: int, targets: np.ndarray | None) -> None:
        """Per-batch setup of the rule (the simulator reads its targets here)."""

    # ---- Policy protocol ---------------------------------------------------------------------
    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self._start(n, targets)
        self.active = np.ones(n, dtype=bool)  # copies whose episode has not ended
        self._ptr = np.full(n, -1, dtype=np.int64)  # data step each copy replays, -1: none
        self._pc = np.zeros(0, dtype=np.int64)  # consistent pairs: copy (sorted) ...
        self._pp = np.zeros(0, dtype=np.int64)  # ... and data step
        self._begun = False
        #: Per copy of this batch: it fell back / relaxed its history at least once.
        self.fell_back = np.zeros(n, dtype=bool)
        self.relaxed = np.zeros(n, dtype=bool)
        self.episodes_played += n

    @property
    def chosen(self) -> np.ndarray:
        """The data episode each copy replays now, -1 where none (off data, or not started)."""
        return np.where(self._ptr >= 0, self._episode[np.maximum(self._ptr, 0)], -1)

    @property
    def fallback_rate(self) -> float:
        """The share of episodes played so far that fell back (NaN before any)."""
        return self.fallback_episodes / self.episodes_played if self.episodes_played else \
            float("nan")

    def _seen(self, view: View) -> np.ndarray:
        """What each copy sees now, as ids comparable with `_keys` (-1: never in the data)."""
        if self.on == "states":
            if view.states is None:
                raise ValueError("this replay acts on compiled states: View.states is None")
            return np.asarray(view.states, dtype=np.int64)
        rows = _rows(view.obs)
        return np.fromiter((self._boards.get(r, -1) for r in rows), np.int64, count=len(rows))

    def act(self, view: View) -> np.ndarray:
        seen = self._seen(view)
        t = np.asarray(view.t, dtype=np.int64)
        n = len(seen)
        live = self.active
        if not self._begun:  # the history is the first thing seen
            self._begun = True
            copies = np.flatnonzero(live)
            self._pc, self._pp = self._by_step_seen.lookup(copies, self._key(t, seen, copies))
        else:
            keep = self._keys[self._pp] == seen[self._pc]
            self._pc, self._pp = self._pc[keep], self._pp[keep]
        self._relax(live, seen, t)
        ptr = self._ptr
        ok = ptr >= 0
        ok[ok] = self._keys[ptr[ok]] == seen[ok]
        need = live & ~ok
        ptr[need] = -1
        if need.any():
            self._draw(need)
        out = np.zeros(n, dtype=np.int64)  # copies whose episode ended act too (ignored)
        on = live & (ptr >= 0)
        out[on] = self.data.actions[ptr[on]]
        off = live & (ptr < 0)
        if off.any():
            self.off_data_steps += int(off.sum())
            out[off] = self.rng.integers(0, self.n_actions, int(off.sum()))
        return out

    def _key(self, t: np.ndarray, seen: np.ndarray, copies: np.ndarray) -> np.ndarray:
        """(step, seen) keys of `copies` for `_by_step_seen`; -1 where seen is not in the data."""
        return np.where(seen[copies] >= 0, t[copies] * self._stride + seen[copies], -1)

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        actions = np.asarray(actions, dtype=np.int64)
        reward = np.asarray(reward, dtype=np.float64)
        go_on = self.active & ~np.asarray(done, dtype=bool)
        d = self.data

        def follows(copy: np.ndarray, step: np.ndarray) -> np.ndarray:
            # The episode did what the copy did and goes on after it.
            return (go_on[copy] & (d.actions[step] == actions[copy])
                    & (np.abs(d.rewards[step] - reward[copy]) < REWARD_TOL)
                    & (step + 1 < self._end[step]))

        keep = follows(self._pc, self._pp)
        self._pc, self._pp = self._pc[keep], self._pp[keep] + 1
        copies = np.flatnonzero(self._ptr >= 0)
        on = follows(copies, self._ptr[copies])
        self._ptr[copies] = np.where(on, self._ptr[copies] + 1, -1)
        self.active = go_on

    # ---- internals ---------------------------------------------------------------------------
    def _relax(self, live: np.ndarray, seen: np.ndarray, t: np.ndarray) -> None:
        """Copies with no consistent episode left drop their history: the data steps that saw
        what they see at step t, else at any step (see the module docstring)."""
        has = np.zeros(len(seen), dtype=bool)
        has[self._pc] = True
        lost = np.flatnonzero(live & ~has)
        if len(lost) == 0:
            return
        self._note(lost, relaxed=True)
        pc, pp = self._by_step_seen.lookup(lost, self._key(t, seen, lost))
        found = np.zeros(len(seen), dtype=bool)
        found[pc] = True
        rest = lost[~found[lost]]
        pc2, pp2 = self._by_seen.lookup(rest, seen[rest])
        pc = np.concatenate([self._pc, pc, pc2])
        pp = np.concatenate([self._pp, pp, pp2])
        order = np.argsort(pc, kind="stable")
        self._pc, self._pp = pc[order], pp[order]

    def _note(self, copies: np.ndarray, relaxed: bool = False) -> None:
        """Mark `copies` as fallen back (and as relaxed), counting each episode once."""
        new = copies[~self.fell_back[copies]]
        self.fell_back[new] = True
        self.fallback_episodes += len(new)
        if relaxed:
            new = copies[~self.relaxed[copies]]
            self.relaxed[new] = True
            self.relaxed_episodes += len(new)

    def _draw(self, need: np.ndarray) -> None:
        """A new episode for every copy in `need` that has consistent pairs, by the rule."""
        sel = need[self._pc]
        pc, pp = self._pc[sel], self._pp[sel]
        if len(pc) == 0:
            return
        copies, first = np.unique(pc, return_index=True)
        bounds = np.append(first, len(pc))
        w, fell = self._pair_weights(pc, self._episode[pp], bounds, copies)
        self._note(copies[fell])
        group = np.repeat(np.arange(len(copies)), np.diff(bounds))
        # Normalise within each group before the running sum, so one group's tiny weights
        # (best-of-n's tail) are not lost against another's: group g's key runs from g to g + 1.
        wn = w / np.add.reduceat(w, first)[group]
        cs = np.cumsum(wn)
        key = cs - (cs[first] - wn[first])[group] + group
        u = np.arange(len(copies)) + self.rng.random(len(copies))
        idx = np.searchsorted(key, u, side="right")
        # Rounding can land on a zero-weight pair or the next group: take the group's last
        # pair with weight instead.
        last = np.maximum.reduceat(np.where(w > 0, np.arange(len(w)), -1), first)
        bad = (idx < first) | (idx >= bounds[1:]) | (w[np.minimum(idx, len(w) - 1)] <= 0)
        idx = np.where(bad, last, idx)
        self._ptr[copies] = pp[idx]

    @staticmethod
    def _group_max(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(x, bounds[:-1])

    @staticmethod
    def _group_min(x: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(x, bounds[:-1])


class WeightedReplay(HistoryReplay):
    """The rule of a distribution over episodes (quantilizer, best-of-n): `weights` [n_episodes]
    restricted to the consistent set; where it gives the set no weight, the set's best return
    (the nearest to what the rule asked for that the data reached from this history)."""

    def __init__(self, data: Dataset, weights: np.ndarray, seed: int | None = None,
                 on: str = "observations") -> None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (data.n_episodes,) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("replay weights must be one non-negative weight per episode, "
                             "not all zero")
        self.weights = weights / weights.sum()
        super().__init__(data, seed=seed, on=on)

    def episode_weights(self) -> np.ndarray:
        """The unconditional distribution over the data's episodes."""
        return self.weights.copy()

    def _pair_weights(self, pc, ep, bounds, copies):
        w = self.weights[ep]
        fell = np.add.reduceat(w, bounds[:-1]) <= 0
        if fell.any():
            g = self.returns[ep]
            best = self._group_max(g, bounds)
            group = np.repeat(np.arange(len(copies)), np.diff(bounds))
            w = np.where(fell[group], (g >= best[group] - RETURN_TOL).astype(np.float64), w)
        return w, fell


class TargetReplay(HistoryReplay):
    """The target-matched simulator: among the consistent episodes, those whose return is
    nearest the copy's target g (ties uniform). A copy falls back when its consistent set holds
    no episode at the data's globally nearest distance to g. Each copy's target comes from
    `reset(targets=...)`, else from `target` (the knob)."""

    return_conditioned = True  # asked for returns like a DT (`eval --target`)

    def __init__(self, data: Dataset, target: float | None = None,
                 seed: int | None = None, on: str = "observations") -> None:
        self.target = target
        self._sorted_returns = np.unique(data.returns())
        super().__init__(data, seed=seed, on=on)

    def _start(self, n: int, targets: np.ndarray | None) -> None:
        if targets is not None:
            g = np.broadcast_to(np.asarray(targets, dtype=np.float64), (n,)).copy()
        elif self.target is not None:
            g = np.full(n, float(self.target))
        elif n == 0:
            g = np.zeros(0)
        else:
            raise ValueError("the simulator needs a target: reset(targets=...) or target=")
        if not np.isfinite(g).all():
            bad = g[~np.isfinite(g)][0]
            raise ValueError(f"simulator targets must be finite numbers, got {bad}")
        self._targets = g
        # The data's nearest distance to each target, over all episodes: the bar for fallback.
        r = self._sorted_returns
        i = np.clip(np.searchsorted(r, g), 1, len(r) - 1) if len(r) > 1 else np.zeros(n, int)
        self._best_distance = np.minimum(np.abs(r[i] - g), np.abs(r[np.maximum(i - 1, 0)] - g))

    def episode_weights(self) -> np.ndarray:
        """The unconditional distribution at the knob's target: uniform over nearest returns."""
        if self.target is None:
            raise ValueError("the simulator has no knob target to weigh episodes by")
        d = np.abs(self.returns - float(self.target))
        w = (d <= d.min() + RETURN_TOL).astype(np.float64)
        return w / w.sum()

    def _pair_weights(self, pc, ep, bounds, copies):
        d = np.abs(self.returns[ep] - self._targets[pc])
        nearest = self._group_min(d, bounds)
        group = np.repeat(np.arange(len(copies)), np.diff(bounds))
        w = (d <= nearest[group] + RETURN_TOL).astype(np.float64)
        fell = nearest > self._best_distance[copies] + RETURN_TOL
        return w, fell
