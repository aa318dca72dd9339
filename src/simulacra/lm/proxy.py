"""The proxy reward model: Bradley–Terry on bag-of-words features, fitted to a limited set of
labelled comparisons of the world's samples (Gao et al. 2022's setting, small).

Each comparison shows two generator samples; the label says which one a rater preferred, drawn
from P(a > b) = sigmoid((gold_a − gold_b) / temperature). The model r(x) = w · features(x) is
fitted by L2-regularised logistic regression on feature differences. Because hype nearly always
comes with substance in the world's text, the regulariser splits the credit between them and
hype, shared by all four substance words, takes the largest single weight (rewards.py): the
proxy pays for hype beyond anything its data showed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from simulacra.lm.rewards import features, gold
from simulacra.lm.world import World


@dataclass(frozen=True)
class Proxy:
    weights: np.ndarray  # [V]
    accuracy: float  # agreement with gold's order on held-out comparisons

    def score(self, world: World, docs: np.ndarray) -> np.ndarray:
        return features(world, docs) @ self.weights


def fit_proxy(world: World, comparisons: int, l2: float, temperature: float,
              rng: np.random.Generator) -> Proxy:
    """Fit the proxy on `comparisons` labelled pairs of fresh generator samples."""
    n_test = 1000
    a, b = world.sample(comparisons + n_test, rng), world.sample(comparisons + n_test, rng)
    p = 1.0 / (1.0 + np.exp(-(gold(world, a) - gold(world, b)) / temperature))
    y = (rng.random(len(p)) < p).astype(np.float64)  # 1: a preferred
    dx = features(world, a) - features(world, b)
    tr, te = slice(0, comparisons), slice(comparisons, None)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = dx[tr] @ w
        s = 1.0 / (1.0 + np.exp(-z))
        nll = np.logaddexp(0.0, -z) * y[tr] + np.logaddexp(0.0, z) * (1 - y[tr])
        grad = dx[tr].T @ (s - y[tr]) + 2 * l2 * w
        return float(nll.sum() + l2 * w @ w), grad

    w = minimize(loss, np.zeros(dx.shape[1]), jac=True, method="L-BFGS-B").x
    g = gold(world, a[te]) - gold(world, b[te])
    decided = g != 0
    acc = float(((dx[te] @ w > 0) == (g > 0))[decided].mean()) if decided.any() else float("nan")
    return Proxy(w, acc)
