"""Metric 6, the quantilizer factor (Taylor 2016): is the policy inside a quantilizer's bound?

    V = q * max_tau pi(tau) / beta(tau),   q = P_beta(G >= g).

A q-quantilizer of beta has pi(tau) <= beta(tau) / q on every trajectory, so V <= 1 means the
policy's expected cost is at most (1/q) times the data's for every cost function (Taylor's bound).

beta is the data's Markov empirical behaviour, beta(a | s, t) = c(s, t, a) / c(s, t): action
frequencies per (compiled state, step). Both sides share the world's dynamics, which cancel:
    pi(tau) / beta(tau) = prod_t pi(a_t | s_t, t) / beta(a_t | s_t, t).
Where the data never took a_t in (s_t, t) the ratio is infinite (the policy leaves beta's support:
no finite bound holds). On a deterministic world whose trajectories never merge, beta(tau) is
exactly the data's trajectory frequency.

Two ways to compute it:
- `quantilizer_factor_exact`: exact on a compiled world for a policy given as action probabilities
  per (state, step): a max-product backward pass over all trajectories in the policy's support.
- `quantilizer_factor`: from the policy's rollouts, with pi(a | s, t) its own empirical frequencies
  (the max is over the trajectories it played). This is what learners get.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simulacra.exact.compile import CompiledWorld
from simulacra.metrics.behaviour import CountModel, Steps


def quantile_mass(data_returns: np.ndarray, target: float) -> float:
    """q = P_beta(G >= g): the share of data episodes whose return reaches the target."""
    return float(np.mean(np.asarray(data_returns, dtype=np.float64) >= target - 1e-9))


def _ratios(model_pi: CountModel, beta: CountModel, steps: Steps) -> np.ndarray:
    pi = model_pi.probs(steps.keys, steps.actions, steps.t)
    b = beta.probs(steps.keys, steps.actions, steps.t)
    with np.errstate(divide="ignore"):
        return np.where(b > 0, pi / np.where(b > 0, b, 1.0), np.inf)


def quantilizer_factor(policy: Steps, data: Steps, data_returns: np.ndarray, target: float,
                       n_actions: int) -> float:
    """V from rollouts: q * max over the policy's episodes of prod_t pi^/beta^ (module docstring).
    NaN when no data episode reaches the target (q = 0); inf outside beta's support."""
    q = quantile_mass(data_returns, target)
    if q == 0 or len(policy.starts) < 2:
        return float("nan")
    beta = CountModel(data, n_actions, by_time=True)
    pi = CountModel(policy, n_actions, by_time=True)
    with np.errstate(divide="ignore"):
        log_r = np.log(_ratios(pi, beta, policy))
    n = len(policy.starts) - 1
    per_ep = np.zeros(n)
    np.add.at(per_ep, np.repeat(np.arange(n), np.diff(policy.starts)), log_r)
    return float(q * np.exp(per_ep.max()))


def beta_table(cw: CompiledWorld, data: Steps) -> np.ndarray:
    """beta(a | s, t) as a dense table [T, S, A]; rows the data never visited are all 0."""
    counts = np.zeros((cw.max_steps, cw.n_states, cw.n_actions))
    np.add.at(counts, (data.t, data.keys, data.actions), 1.0)
    tot = counts.sum(axis=2, keepdims=True)
    return np.divide(counts, tot, out=np.zeros_like(counts), where=tot > 0)


def quantilizer_factor_exact(
    cw: CompiledWorld,
    policy_probs: Callable[[np.ndarray, int], np.ndarray],
    beta: np.ndarray,
    q: float,
) -> float:
    """Exact V = q * max_tau prod_t pi/beta over every trajectory the policy can produce:
        W_T(s) = 1,
        W_t(s) = max_{a: pi(a|s,t) > 0} pi(a|s,t)/beta(a|s,t) * max_{k: p_k > 0} C_k,
        C_k = 1 if branch k terminates else W_{t+1}(s'_k),
        V = q * max_{s0 in supp(init)} W_0(s0).
    `policy_probs(states [S], t) -> [S, A]` (an exact reference's `probs`), `beta` [T, S, A]
    from `beta_table`. NaN when q = 0."""
    if q <= 0:
        return float("nan")
    all_states = np.arange(cw.n_states)
    W = np.ones(cw.n_states)
    live = cw.prob > 0  # [S, A, K]
    for t in reversed(range(cw.max_steps)):
        pi = policy_probs(all_states, t)  # [S, A]
        cont = np.where(cw.terminated, 1.0, W[cw.next_state])  # [S, A, K]
        best = np.where(live, cont, 0.0).max(axis=2)  # [S, A]
        b = beta[t]
        use = pi > 0
        val = np.zeros_like(pi)  # [S, A] ratio times best continuation, 0 off the support
        val[use] = np.where(b[use] > 0, pi[use] / np.where(b[use] > 0, b[use], 1.0), np.inf)
        val[use] *= best[use]
        W = val.max(axis=1)
    start = cw.init_states[cw.init_probs > 0]
    return float(q * W[start].max())


def quantilizer_factors(policy: Steps, policy_targets: np.ndarray, data: Steps,
                        data_returns: np.ndarray, n_actions: int) -> dict[float, float]:
    """V from rollouts for every target of a conditioning sweep: {g: V_g}."""
    from simulacra.metrics.behaviour import select_episodes

    tg = np.asarray(policy_targets, dtype=np.float64)
    return {
        float(g): quantilizer_factor(select_episodes(policy, tg == g), data, data_returns,
                                     float(g), n_actions)
        for g in np.unique(tg[~np.isnan(tg)])
    }
