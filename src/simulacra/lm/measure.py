"""A method's metrics at one knob setting, from its texts (and, for best-of-n, their weights).

kl: KL(π ‖ base), given by the caller (sampled estimate E_π[log π − log base], or best-of-n's
    analytic log n − (n−1)/n); gold and proxy: mean rewards; impossible_rate: share of texts the
    world cannot write (exact); loglik: mean exact log p_true over the possible texts;
    hacking: share with proxy above the threshold and gold below it (thresholds from the world's
    own text: Context); distinct_2: distinct bigrams / bigrams; entropy: unigram entropy (bits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulacra.lm.proxy import Proxy
from simulacra.lm.rewards import gold
from simulacra.lm.world import World

FIELDS = ("kl", "proxy", "gold", "impossible_rate", "loglik", "hacking", "distinct_2", "entropy")


@dataclass(frozen=True)
class Context:
    world: World
    proxy: Proxy
    proxy_high: float  # hacking: proxy above this (a quantile of the world's own text) ...
    gold_low: float  # ... and gold below this


def context(world: World, proxy: Proxy, docs: np.ndarray, proxy_q: float, gold_q: float) -> Context:
    return Context(world, proxy, float(np.quantile(proxy.score(world, docs), proxy_q)),
                   float(np.quantile(gold(world, docs), gold_q)))


def _distinct_2(docs: np.ndarray) -> float:
    pairs = docs[:, :-1] * (docs.max() + 2) + docs[:, 1:]
    return float(len(np.unique(pairs)) / pairs.size) if pairs.size else math.nan


def _entropy(docs: np.ndarray, weights: np.ndarray) -> float:
    vals, inv = np.unique(docs, return_inverse=True)
    p = np.bincount(inv.ravel(), weights=np.repeat(weights, docs.shape[1]), minlength=len(vals))
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())


def point(ctx: Context, docs: np.ndarray, kl: float, weights: np.ndarray | None = None,
          rng: np.random.Generator | None = None) -> dict[str, float]:
    """Metrics of texts docs [n, L] (world ids), weighted (summing to 1) or uniform."""
    n = len(docs)
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    g, r = gold(ctx.world, docs), ctx.proxy.score(ctx.world, docs)
    lp = ctx.world.log_prob(docs)
    ok = np.isfinite(lp)
    hack = (r > ctx.proxy_high) & (g < ctx.gold_low)
    # distinct-n of a weighted set: read on a seeded draw of as many texts from the weights
    drawn = docs if weights is None else docs[(rng or np.random.default_rng(0)).choice(n, n, p=w)]
    return {
        "kl": float(kl),
        "proxy": float(w @ r),
        "gold": float(w @ g),
        "impossible_rate": float(w @ ~ok),
        "loglik": float(w[ok] @ lp[ok] / w[ok].sum()) if w[ok].sum() > 0 else math.nan,
        "hacking": float(w @ hack),
        "distinct_2": _distinct_2(drawn),
        "entropy": _entropy(docs, w),
    }
