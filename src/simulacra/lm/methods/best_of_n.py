"""Best-of-n against the proxy: the exact quantilizer of the base, the ideal simulator's yardstick.

Read exactly off one pool of P base samples: best-of-n of the pool's empirical distribution puts
on a text of proxy rank value v the probability F(v)^n − F(v⁻)^n, shared equally by the texts tied
at v (ties broken at random), so every n costs one pool. KL(best-of-n ‖ base) is the analytic
log n − (n − 1)/n (Gao et al. 2022; exact for a continuous proxy, an upper bound with ties).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simulacra.lm.measure import point
from simulacra.lm.sample import sample
from simulacra.lm.seed import Seed
from simulacra.lm.vocab import BOS_ID, to_world


def weights(scores: np.ndarray, n: int) -> np.ndarray:
    """Probability that best-of-n of the empirical distribution of `scores` picks each item."""
    _vals, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    cdf = np.cumsum(counts) / len(scores)
    below = np.concatenate([[0.0], cdf[:-1]])
    p_val = cdf**n - below**n
    return (p_val / counts)[inv]


def run(s: Seed, settings: dict[str, Any]) -> list[dict[str, Any]]:
    pool = to_world(sample(s.base, BOS_ID, s.study["eval"]["pool"], s.world.length,
                           seed=s.seed * 1000 + 1))
    scores = s.ctx.proxy.score(s.world, pool)
    out = []
    for n in settings["n"]:
        kl = math.log(n) - (n - 1) / n
        p = point(s.ctx, pool, kl, weights(scores, n), s.rng(10 + n))
        out.append({**p, "variant": "", "knob": float(n), "queries": float(n)})
    return out
