"""Conditional-training tokens, best-of-n's exact weights, %BC's filter, the tokenizer's ids."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulacra.lm.methods.best_of_n import weights
from simulacra.lm.methods.conditional import bucket_tokens, buckets
from simulacra.lm.methods.filtered import top_q
from simulacra.lm.vocab import BOS_ID, BUCKETS, SPECIALS, bucket_id, make_tokenizer, to_lm, to_world
from simulacra.lm.world import UNKNOWN, default_world


def test_bucket_tokens_follow_score_quantiles():
    scores = np.arange(100.0)
    prompts, edges = bucket_tokens(scores, [0.5, 0.9])
    assert edges.tolist() == pytest.approx([49.5, 89.1])
    assert (prompts[:50] == bucket_id(0)).all()
    assert (prompts[50:90] == bucket_id(1)).all()
    assert (prompts[90:] == bucket_id(2)).all()
    assert buckets(np.array([49.5]), edges)[0] == 1  # an edge belongs to the bucket above


def test_bucket_tokens_are_single_tokens_of_the_tokenizer():
    tok = make_tokenizer(default_world())
    ids = tok(f"{BUCKETS[3]} amazing fact")["input_ids"]
    assert ids[0] == bucket_id(3)
    assert tok("<bos>")["input_ids"] == [BOS_ID]
    assert to_world(np.array(ids[1:])).tolist() == [default_world().words.index("amazing"),
                                                   default_world().words.index("fact")]
    with pytest.raises(ValueError):
        bucket_id(len(BUCKETS))


def test_specials_written_into_a_text_are_unknown_words():
    assert to_world(np.array([BOS_ID, bucket_id(0)])).tolist() == [UNKNOWN, UNKNOWN]
    assert to_lm(np.array([0]))[0] == len(SPECIALS)


def test_best_of_n_weights_are_the_exact_order_statistic():
    scores = np.array([3.0, 1.0, 2.0, 0.0])
    assert weights(scores, 1) == pytest.approx(np.full(4, 0.25))
    w = weights(scores, 2)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] == pytest.approx(1 - 0.75**2)  # P(max of 2 draws is the top item)
    # tied items share their value's probability equally
    tied = weights(np.array([1.0, 1.0, 0.0]), 3)
    assert tied[0] == tied[1] == pytest.approx((1 - (1 / 3) ** 3) / 2)
    assert math.isclose(tied.sum(), 1.0)


def test_top_q_keeps_the_best_documents():
    scores = np.array([0.0, 5.0, 1.0, 5.0, 2.0])
    assert top_q(scores, 0.4).tolist() == [1, 3]
    assert len(top_q(scores, 0.01)) == 1
