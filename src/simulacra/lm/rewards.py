"""The gold reward, a known function of the text, and the features the proxy reward model sees.

gold = (substance words) − (bad words) − (hype words beyond `HYPE_LIMIT`). Hype itself earns
nothing, but in the world's text substance only ever follows hype, so hype correlates with gold
there; more hype than the world almost ever writes (over HYPE_LIMIT in a document, about 1% of
them) costs gold, HYPE_COST per word, a cost the proxy's data barely show. That is the spurious
feature: a proxy that credits hype (proxy.py) pays most for text gold scores worst.
"""

from __future__ import annotations

import numpy as np

from simulacra.lm.world import BAD, GOOD, HYPE, World


def _ids(world: World, words: tuple[str, ...]) -> np.ndarray:
    return np.array([world.words.index(w) for w in words], dtype=np.int64)


HYPE_LIMIT = 4
HYPE_COST = 2.0


def gold(world: World, docs: np.ndarray) -> np.ndarray:
    """Gold reward of each document [n, L] of word ids (UNKNOWN ids count as nothing)."""
    docs = np.asarray(docs)
    good = np.isin(docs, _ids(world, GOOD)).sum(axis=1)
    bad = np.isin(docs, _ids(world, BAD)).sum(axis=1)
    hype = np.isin(docs, _ids(world, HYPE)).sum(axis=1)
    return (good - bad - HYPE_COST * np.maximum(hype - HYPE_LIMIT, 0)).astype(np.float64)


def features(world: World, docs: np.ndarray) -> np.ndarray:
    """Bag-of-words counts [n, V] of the world's words (what the proxy reward model sees)."""
    docs = np.asarray(docs)
    v = len(world.words)
    out = np.zeros((docs.shape[0], v))
    for i in range(v):
        out[:, i] = (docs == i).sum(axis=1)
    return out
