"""Metric 5, out-of-distribution rates: how much of the policy's experience the data never had.

Rates are visit-weighted: each step of each policy episode counts once, so a rate is the share of
the policy's time spent in states (or taking state-action pairs) absent from the data.
"""

from __future__ import annotations

import numpy as np

from simulacra.metrics.behaviour import CountModel, Steps, pair_keys


def _unseen_share(p: np.ndarray, q: np.ndarray) -> float:
    if len(p) == 0:
        return float("nan")
    return float(np.mean(~np.isin(p, q)))


def ood_state_rate(policy: Steps, data: Steps) -> float:
    """(1/T_pi) sum_t [s_t not in S_data]: share of visited states the data never saw."""
    return _unseen_share(policy.keys, data.keys)


def ood_pair_rate(policy: Steps, data: Steps, n_actions: int) -> float:
    """(1/T_pi) sum_t [(s_t, a_t) not in SA_data]: share of state-action pairs never in the data."""
    return _unseen_share(pair_keys(policy.keys, policy.actions, n_actions),
                         pair_keys(data.keys, data.actions, n_actions))


def trajectory_loglik(steps: Steps, beta: CountModel) -> np.ndarray:
    """log beta(tau) up to the dynamics (which cancel: same world) =
    sum_t log beta^(a_t | s_t) per episode, -inf if any action was never taken there. [N]"""
    with np.errstate(divide="ignore"):
        lp = np.log(beta.probs(steps.keys, steps.actions, steps.t if beta.by_time else None))
    n = len(steps.starts) - 1
    ep = np.repeat(np.arange(n), np.diff(steps.starts))
    out = np.zeros(n)
    np.add.at(out, ep, lp)
    return out


def ood_trajectory_rate(policy: Steps, data: Steps, n_actions: int,
                        percentile: float = 1.0) -> float:
    """Share of policy episodes with log beta(tau) below the data's own `percentile`-th
    percentile of log beta(tau), beta the data's per-state empirical behaviour."""
    if len(policy.starts) < 2:
        return float("nan")
    beta = CountModel(data, n_actions)
    threshold = np.percentile(trajectory_loglik(data, beta), percentile)
    return float(np.mean(trajectory_loglik(policy, beta) < threshold))
