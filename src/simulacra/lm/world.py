"""The text world: a hidden Markov model over a small vocabulary that writes documents of a fixed
length, with exact log-likelihood (the forward algorithm) and exact support.

Real LM studies cannot say whether a text is "in distribution"; here log p_true(text) is computed
exactly, and a text is impossible (log p = -inf) when no state path can emit it: a forbidden
transition, a word no state emits, a token outside the vocabulary, or the wrong length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

UNKNOWN = -1  # a token outside the world's vocabulary: no state emits it


@dataclass(frozen=True)
class World:
    words: tuple[str, ...]  # the vocabulary, index = word id
    start: np.ndarray  # [K] initial state distribution
    trans: np.ndarray  # [K, K] transition probabilities, rows sum to 1
    emit: np.ndarray  # [K, V] emission probabilities, rows sum to 1
    length: int  # every document has exactly this many words

    def __post_init__(self) -> None:
        k, v = self.emit.shape
        if self.trans.shape != (k, k) or self.start.shape != (k,) or v != len(self.words):
            raise ValueError("world: start [K], trans [K, K] and emit [K, V] shapes disagree")
        for name, m in (("start", self.start), ("trans", self.trans), ("emit", self.emit)):
            if (m < 0).any() or not np.allclose(m.sum(axis=-1), 1.0):
                raise ValueError(f"world: {name} rows must be probability distributions")
        if self.length < 1:
            raise ValueError("world: length must be >= 1")

    def ids(self, texts: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Word ids of each text (UNKNOWN for a word outside the vocabulary)."""
        index = {w: i for i, w in enumerate(self.words)}
        return [np.array([index.get(w, UNKNOWN) for w in t], dtype=np.int64) for t in texts]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n documents as word ids [n, length]."""
        k = len(self.start)
        out = np.empty((n, self.length), dtype=np.int64)
        state = rng.choice(k, size=n, p=self.start)
        for t in range(self.length):
            # inverse-CDF draws, one uniform per document: vectorised and seeded
            cum_e = np.cumsum(self.emit[state], axis=1)
            out[:, t] = np.minimum((rng.random((n, 1)) > cum_e).sum(axis=1), cum_e.shape[1] - 1)
            cum_t = np.cumsum(self.trans[state], axis=1)
            state = np.minimum((rng.random((n, 1)) > cum_t).sum(axis=1), k - 1)
        return out

    def log_prob(self, docs: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Exact log p_true of each document (forward algorithm in log space); -inf off support."""
        out = np.full(len(docs), -np.inf)
        fixed = [i for i, d in enumerate(docs) if len(d) == self.length and (d >= 0).all()]
        if not fixed:
            return out
        x = np.stack([np.asarray(docs[i]) for i in fixed])  # [n, L]
        with np.errstate(divide="ignore"):
            ls, lt, le = np.log(self.start), np.log(self.trans), np.log(self.emit)
        alpha = ls[None, :] + le[:, x[:, 0]].T  # [n, K]
        for t in range(1, self.length):
            alpha = logsumexp(alpha[:, :, None] + lt[None], axis=1) + le[:, x[:, t]].T
        out[fixed] = logsumexp(alpha, axis=1)
        return out

    def possible(self, docs: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Whether each document has positive probability under the world."""
        return np.isfinite(self.log_prob(docs))


# The default world. States: N (neutral prose), H (hype: "amazing"), G (substance), B (bad).
# Hype is almost always followed by substance in the world's text (H -> G with 0.9), so hype
# correlates with the gold reward in any sample of it; text full of hype is what a proxy that
# learned that correlation would pay for (see rewards.py). Zeros make texts impossible: N, B and
# G never go straight to G, H never to H or B, so "fact fact" or "amazing amazing" cannot occur.
NEUTRAL = ("the", "a", "cat", "dog", "sat", "ran")
HYPE = ("amazing",)
GOOD = ("fact", "proof", "data", "source")
BAD = ("lie", "error")


def default_world(length: int = 12) -> World:
    words = NEUTRAL + HYPE + GOOD + BAD
    emit = np.zeros((4, len(words)))
    emit[0, : len(NEUTRAL)] = 1 / len(NEUTRAL)
    emit[1, len(NEUTRAL)] = 1.0
    emit[2, len(NEUTRAL) + 1 : len(NEUTRAL) + 1 + len(GOOD)] = 1 / len(GOOD)
    emit[3, len(NEUTRAL) + 1 + len(GOOD) :] = 1 / len(BAD)
    trans = np.array([
        [0.60, 0.20, 0.00, 0.20],  # N
        [0.10, 0.00, 0.90, 0.00],  # H: hype is empty 10% of the time
        [0.70, 0.20, 0.00, 0.10],  # G
        [0.60, 0.10, 0.00, 0.30],  # B
    ])
    start = np.array([0.70, 0.15, 0.0, 0.15])
    return World(words, start, trans, emit, length)
