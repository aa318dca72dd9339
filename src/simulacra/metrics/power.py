"""Metric 8a, POWER (Turner et al. 2021): how much optimal value a state offers across goals.

    POWER(s) = (1 - gamma) / gamma * E_{R ~ D}[ V*_R(s) - R(s) ]

D draws a reward for every state independently, uniform on [0, 1] (Turner et al.'s D_bound).
V*_R is the optimal discounted value (gamma = 0.9 by default) on the compiled world's state graph
without the 100-step limit or time (POWER is a property of states, not of an episode's clock):
V = R + gamma max_a sum_k p_k V(s'_k), solved by value iteration for `n_rewards` sampled reward
functions at once (the value iteration is exact up to `tol`; the expectation over D is a Monte
Carlo mean, so figures carry a standard error ~ 0.3 / sqrt(n_rewards)). As in Turner et al.,
terminal states are absorbing: a terminating transition leads to an absorbing copy of its target
state, which keeps yielding that state's reward forever.
"""

from __future__ import annotations

import numpy as np

from simulacra.exact.compile import CompiledWorld


def absorbing_tables(cw: CompiledWorld) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(next [S', A, K], prob [S', A, K], origin [S']): terminating branches are redirected to
    absorbing twins (indices S..S'-1) of their targets; origin maps each index to its state."""
    S, A, K = cw.next_state.shape
    hit = cw.terminated & (cw.prob > 0)
    targets = np.unique(cw.next_state[hit])
    twin = np.full(S, -1, dtype=np.int64)
    twin[targets] = S + np.arange(len(targets))
    nxt = np.where(hit, twin[cw.next_state], cw.next_state).astype(np.int64)
    absorb = np.broadcast_to((S + np.arange(len(targets)))[:, None, None], (len(targets), A, K))
    p_abs = np.zeros((len(targets), A, K))
    p_abs[:, :, 0] = 1.0
    origin = np.concatenate([np.arange(S), targets])
    return (np.concatenate([nxt, absorb]), np.concatenate([cw.prob, p_abs]), origin)


def power(cw: CompiledWorld, gamma: float = 0.9, n_rewards: int = 64, seed: int = 0,
          rewards: np.ndarray | None = None, tol: float = 1e-8) -> np.ndarray:
    """POWER of every compiled state, float64 [S] (module docstring). `rewards` [S, M] overrides
    the sampled reward functions (each column one R)."""
    if not 0 < gamma < 1:
        raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
    nxt, prob, origin = absorbing_tables(cw)
    if rewards is None:
        rewards = np.random.default_rng(seed).random((cw.n_states, n_rewards))
    R = np.asarray(rewards, dtype=np.float64)[origin]  # [S', M]
    # Reward functions in chunks, so the [S', A, K, chunk] gather stays near 4M numbers.
    chunk = max(1, int(4e6 // max(nxt.size, 1)))
    V = np.concatenate([_solve(nxt, prob, R[:, i: i + chunk], gamma, tol)
                        for i in range(0, R.shape[1], chunk)], axis=1)
    return (1 - gamma) / gamma * (V[: cw.n_states] - R[: cw.n_states]).mean(axis=1)


def _solve(nxt: np.ndarray, prob: np.ndarray, R: np.ndarray, gamma: float,
           tol: float) -> np.ndarray:
    """Optimal values V [S', M] of V = R + gamma max_a sum_k p V(s'), by value iteration."""
    V = R / (1 - gamma)
    for _ in range(int(np.ceil(np.log(tol * (1 - gamma)) / np.log(gamma))) + 1):
        Q = np.einsum("sak,sakm->sam", prob, V[nxt])  # [S', A, M]
        new = R + gamma * Q.max(axis=1)
        if np.abs(new - V).max() < tol:
            return new
        V = new
    return V


def mean_power(power_of_state: np.ndarray, states: np.ndarray) -> float:
    """Visit-weighted mean POWER: (1/T) sum_t POWER(s_t) over the steps of the episodes."""
    if len(states) == 0:
        return float("nan")
    return float(np.mean(power_of_state[np.asarray(states)]))
