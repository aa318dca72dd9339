"""Metric 4, distribution fidelity: how closely the policy's behaviour matches the data's.

Smoothing: empirical distributions from counts put zero mass on what the data never did, which
would make any excursion infinitely costly. We give the data side `alpha` pseudo-counts only on
the cells the policy uses and the data does not (Laplace smoothing restricted to the policy's
support). Hence a policy that reproduces the data's counts scores exactly 0, and each excursion
costs log(pi / (alpha / (n + alpha k))), finite and growing with the data's size n.
"""

from __future__ import annotations

import numpy as np

from simulacra.metrics.behaviour import CountModel, Steps, pair_keys


def kl_counts(p_keys: np.ndarray, q_keys: np.ndarray, alpha: float = 0.5) -> float:
    """KL(p || q) between the empirical distributions of two samples of keys,
        KL = sum_x p(x) log(p(x) / q~(x)),  q~(x) = (c_q(x) + alpha [c_q(x) = 0]) / Z
    over cells x with c_p(x) > 0 (Z normalises q~ over supp(q) and supp(p)). NaN if either
    sample is empty."""
    if len(p_keys) == 0 or len(q_keys) == 0:
        return float("nan")
    px, pc = np.unique(p_keys, return_counts=True)
    qx, qc = np.unique(q_keys, return_counts=True)
    pos = np.minimum(np.searchsorted(qx, px), len(qx) - 1)
    in_q = qx[pos] == px
    cq = np.where(in_q, qc[pos], 0).astype(np.float64)
    extra = (~in_q).sum()
    z = qc.sum() + alpha * extra
    q_tilde = np.where(in_q, cq, alpha) / z
    p = pc / pc.sum()
    return float(np.sum(p * np.log(p / q_tilde)))


def visitation_kl(policy: Steps, data: Steps, n_actions: int, alpha: float = 0.5) -> float:
    """KL(d_pi || d_beta) over state-action visitation (each step one (s, a) draw), kl_counts."""
    return kl_counts(pair_keys(policy.keys, policy.actions, n_actions),
                     pair_keys(data.keys, data.actions, n_actions), alpha)


def episodes_near(returns: np.ndarray, target: float, tol: float) -> np.ndarray:
    """Mask of data episodes whose return lies within `tol` of `target` (G ~ g)."""
    return np.abs(np.asarray(returns, dtype=np.float64) - target) <= tol + 1e-9


def behavioural_kl(policy: Steps, data: Steps, n_actions: int, alpha: float = 0.5) -> float:
    """E_{s ~ d_pi} KL(pi(.|s) || pi^_beta(.|s)), with pi(.|s) the policy's own action frequencies
    in s, and pi^_beta the data's count model (a BC model without function approximation):
        pi^_beta(a|s) = (c(s,a) + alpha [c(s,a) = 0, pi(a|s) > 0]) / Z_s  for states in the data,
        pi^_beta(a|s) = 1 / A                                             for states never seen."""
    if len(policy.keys) == 0:
        return float("nan")
    beta = CountModel(data, n_actions)
    pol = CountModel(policy, n_actions)
    pi = pol.counts / pol.counts.sum(axis=1, keepdims=True)  # [C, A]
    visits = pol.counts.sum(axis=1) / pol.counts.sum()  # d_pi(s) [C]
    row = beta.lookup(pol.contexts)
    c = np.where(row[:, None] >= 0, beta.counts[np.maximum(row, 0)], 0.0)  # [C, A]
    c = np.where((c == 0) & (pi > 0), alpha, c)
    b = np.where(row[:, None] >= 0, c / c.sum(axis=1, keepdims=True), 1.0 / n_actions)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pi > 0, pi * np.log(pi / b), 0.0)
    return float(np.sum(visits * terms.sum(axis=1)))


def return_conditional_kl(
    policy: Steps, policy_targets: np.ndarray, data: Steps, data_returns: np.ndarray,
    n_actions: int, tol: float, alpha: float = 0.5,
) -> dict[float, float]:
    """For each target g: KL(d_{pi_g} || d_{beta(.|G ~ g)}) over state-action visitation, with
    beta(.|G ~ g) the data episodes of return within `tol` of g. NaN for a target with no such
    episode (reported, not raised: the data say nothing about that return)."""
    from simulacra.metrics.behaviour import select_episodes

    tg = np.asarray(policy_targets, dtype=np.float64)
    out: dict[float, float] = {}
    for g in np.unique(tg[~np.isnan(tg)]):
        near = episodes_near(data_returns, float(g), tol)
        if not near.any():
            out[float(g)] = float("nan")
            continue
        out[float(g)] = visitation_kl(select_episodes(policy, tg == g),
                                      select_episodes(data, near), n_actions, alpha)
    return out
