"""The text world's exact likelihood and support."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulacra.lm.world import UNKNOWN, World, default_world


def tiny_world() -> World:
    """Three words, two states, a forbidden transition (1 -> 1) and a word only state 1 emits."""
    return World(words=("a", "b", "c"), start=np.array([0.6, 0.4]),
                 trans=np.array([[0.5, 0.5], [1.0, 0.0]]),
                 emit=np.array([[0.7, 0.3, 0.0], [0.0, 0.2, 0.8]]), length=4)


def test_likelihood_sums_to_one_over_the_support():
    w = tiny_world()
    docs = np.array(list(itertools.product(range(3), repeat=w.length)))
    lp = w.log_prob(docs)
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
    # "c c" needs state 1 twice in a row, which the world forbids: impossible, exactly
    cc = np.array([[0, 2, 2, 0]])
    assert w.log_prob(cc)[0] == -np.inf
    assert (~w.possible(docs)).sum() > 0


def test_forward_matches_brute_force_over_state_paths():
    w = tiny_world()
    doc = np.array([1, 2, 0, 1])
    total = 0.0
    for path in itertools.product(range(2), repeat=w.length):
        p = w.start[path[0]] * w.emit[path[0], doc[0]]
        for t in range(1, w.length):
            p *= w.trans[path[t - 1], path[t]] * w.emit[path[t], doc[t]]
        total += p
    assert w.log_prob(doc[None])[0] == pytest.approx(np.log(total))


def test_unknown_words_and_wrong_lengths_are_impossible():
    w = default_world(length=6)
    ok = w.sample(1, np.random.default_rng(0))[0]
    assert w.possible([ok])[0]
    assert w.log_prob([np.array([UNKNOWN, *ok[1:]])])[0] == -np.inf
    assert w.log_prob([ok[:-1]])[0] == -np.inf
    amazing = w.words.index("amazing")
    assert not w.possible([np.full(6, amazing)])[0]  # hype never follows hype


def test_samples_are_possible_and_seeded():
    w = default_world()
    a, b = w.sample(300, np.random.default_rng(3)), w.sample(300, np.random.default_rng(3))
    assert (a == b).all()
    assert w.possible(a).all()


def test_a_world_that_is_not_a_distribution_is_refused():
    with pytest.raises(ValueError, match="trans"):
        World(("a",), np.array([1.0]), np.array([[0.5]]), np.array([[1.0]]), 2)
