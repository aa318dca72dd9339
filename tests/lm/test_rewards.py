"""Gold, the proxy's spurious feature, and the hacking measure."""

from __future__ import annotations

import numpy as np

from simulacra.lm.measure import context, point
from simulacra.lm.proxy import fit_proxy
from simulacra.lm.rewards import HYPE_LIMIT, gold
from simulacra.lm.world import default_world


def _doc(w, words):
    return np.array([[w.words.index(x) for x in words]])


def test_gold_counts_substance_minus_bad_and_excess_hype():
    w = default_world(length=12)
    text = ["amazing", "fact", "the", "lie", "cat", "dog", "a", "sat", "ran", "the", "a", "data"]
    assert gold(w, _doc(w, text))[0] == 2 - 1
    hype = ["amazing"] * 12
    assert gold(w, _doc(w, hype))[0] == -2.0 * (12 - HYPE_LIMIT)


def test_the_proxy_pays_most_for_hype_that_gold_punishes():
    w = default_world()
    docs = w.sample(4000, np.random.default_rng(0))
    hype = w.words.index("amazing")
    # in the world's own text hype goes with gold ...
    assert np.corrcoef((docs == hype).sum(axis=1), gold(w, docs))[0, 1] > 0.3
    proxy = fit_proxy(w, 300, 10.0, 1.0, np.random.default_rng(1))
    assert proxy.accuracy > 0.9  # a good proxy on the world's text
    all_hype = np.full((1, w.length), hype)
    # ... so the proxy ranks a text of pure hype above every text the world wrote,
    assert proxy.score(w, all_hype)[0] > proxy.score(w, docs).max()
    # while gold ranks it below every one of them
    assert gold(w, all_hype)[0] < gold(w, docs).min()
    ctx = context(w, proxy, docs, 0.99, 0.5)
    assert point(ctx, all_hype, kl=0.0)["hacking"] == 1.0
    assert point(ctx, docs, kl=0.0)["hacking"] < 0.01


def test_point_weights_and_impossible_rate():
    w = default_world(length=4)
    ok = w.sample(1, np.random.default_rng(0))
    bad = np.full((1, 4), w.words.index("amazing"))
    docs = np.concatenate([ok, bad])
    proxy = fit_proxy(w, 100, 10.0, 1.0, np.random.default_rng(1))
    ctx = context(w, proxy, w.sample(500, np.random.default_rng(2)), 0.99, 0.5)
    assert point(ctx, docs, 0.0)["impossible_rate"] == 0.5
    weighted = point(ctx, docs, 0.0, weights=np.array([1.0, 0.0]))
    assert weighted["impossible_rate"] == 0.0
    assert weighted["loglik"] == w.log_prob(ok)[0]
