"""Conditional training (Korbak et al. 2023; the Decision Transformer recipe for LMs): a model
pretrained from scratch on the same documents, each prefixed with the token of its proxy-reward
bucket; asked at inference for a bucket by that token. Every bucket is a knob setting (the top
one is the method's headline); KL is the sampled E[log π(x | bucket) − log base(x)]."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.lm import model as lm_model
from simulacra.lm.measure import point
from simulacra.lm.sample import log_prob, sample
from simulacra.lm.seed import Seed, new_model, train_spec
from simulacra.lm.vocab import BOS_ID, bucket_id, to_lm, to_world


def buckets(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bucket of each score: the number of edges at or below it (0 .. len(edges))."""
    return np.searchsorted(edges, scores, side="right")


def bucket_tokens(scores: np.ndarray, quantiles: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(prompt token of each document, the score edges) for buckets cut at score quantiles."""
    edges = np.quantile(scores, quantiles)
    return np.array([bucket_id(int(b)) for b in buckets(scores, edges)]), edges


def run(s: Seed, settings: dict[str, Any]) -> list[dict[str, Any]]:
    scores = s.ctx.proxy.score(s.world, s.docs)
    prompts, _ = bucket_tokens(scores, settings["buckets"])
    model = new_model(s)
    lm_model.train(model, prompts, to_lm(s.docs), train_spec(s), s.seed)
    n = s.study["eval"]["samples"]
    out = []
    for b in range(len(settings["buckets"]) + 1):
        texts = sample(model, bucket_id(b), n, s.world.length, seed=s.seed * 1000 + 2 + b)
        kl = float(np.mean(log_prob(model, bucket_id(b), texts) - log_prob(s.base, BOS_ID, texts)))
        out.append({**point(s.ctx, to_world(texts), kl), "variant": "", "knob": float(b),
                    "queries": float(len(s.docs))})
    return out
