"""Tiny worlds whose metrics can be computed by hand, and scripted policies to play them."""

from __future__ import annotations

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.evaluate.rollout import rollout
from simulacra.exact.compile import CompiledWorld
from simulacra.policy import View
from simulacra.worlds.base import Outcome, World


class ThreeWay(World):
    """One decision: action a ends the episode with return a (a = 0, 1, 2): three trajectories."""

    name = "ThreeWay"
    event_names = ("never",)  # the engine reshapes events [.., E]: E = 0 fails there
    alphabet = "#abcde"
    n_actions = 3

    def initial_states(self):
        return [(1.0, "start")]

    def outcomes(self, state, action):
        return [Outcome(1.0, ("end", action), float(action), float(-action), {}, True)]

    def observe(self, state):
        return ["a" if state == "start" else "bcd"[state[1]]]


class OneWay(World):
    """States 0 <-> 1 -> 2 <-> 3: from 1, action 1 leads to 2; then 0 and 1 are out of reach."""

    name = "OneWay"
    event_names = ("never",)
    alphabet = "abcd"
    n_actions = 2
    max_steps = 5
    MOVES = {0: (0, 1), 1: (0, 2), 2: (3, 2), 3: (2, 3)}  # state -> (after a0, after a1)

    def initial_states(self):
        return [(1.0, 0)]

    def outcomes(self, state, action):
        return [Outcome(1.0, self.MOVES[state][action], 0.0, 0.0, {}, False)]

    def observe(self, state):
        return ["abcd"[state]]


class StayOrLeave(World):
    """s0: action 0 stays, action 1 moves to s1 (terminating if `terminate`); s1 absorbs."""

    name = "StayOrLeave"
    event_names = ("never",)
    alphabet = "ab"
    n_actions = 2
    max_steps = 10

    def __init__(self, terminate: bool = False) -> None:
        self.terminate = terminate

    def initial_states(self):
        return [(1.0, 0)]

    def outcomes(self, state, action):
        nxt = 1 if (state == 1 or action == 1) else 0
        return [Outcome(1.0, nxt, 0.0, 0.0, {}, self.terminate and nxt == 1)]

    def observe(self, state):
        return ["ab"[state]]


class FixedPolicy:
    """Samples actions from fixed probabilities (or replays scripts, one per episode)."""

    def __init__(self, probs=None, scripts=None, n_actions=3):
        self.probs = None if probs is None else np.asarray(probs, dtype=np.float64)
        self.scripts = scripts
        self.n_actions = n_actions if self.probs is None else len(self.probs)

    def reset(self, n, targets=None, seed=None):
        self.rng = np.random.default_rng(seed)
        self.offset = getattr(self, "offset", 0)
        self.ids = np.arange(n) + self.offset
        self.offset += n

    def act(self, view: View) -> np.ndarray:
        n = len(view.obs)
        if self.scripts is not None:
            return np.array([self.scripts[i % len(self.scripts)][min(t, len(s) - 1)]
                             for i, t, s in ((i, view.t[k], self.scripts[i % len(self.scripts)])
                                             for k, i in enumerate(self.ids))])
        return self.rng.choice(len(self.probs), size=n, p=self.probs)

    def observe(self, actions, reward, done):
        pass

    def tabular(self, states: np.ndarray, t: int) -> np.ndarray:
        return np.tile(self.probs, (len(states), 1))


def play(cw: CompiledWorld, policy, episodes: int, seed: int = 0, **kw):
    return rollout(policy, cw, {}, episodes, seed, **kw)


def scripted_dataset(cw: CompiledWorld, scripts: list[list[int]]) -> Dataset:
    """A Dataset whose episode i plays scripts[i] (padded with its last action)."""
    pol = FixedPolicy(scripts=scripts, n_actions=cw.n_actions)
    return play(cw, pol, len(scripts)).to_dataset("script")
