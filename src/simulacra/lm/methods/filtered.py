"""Filtered fine-tuning (%BC): the base fine-tuned on its pretraining documents' top q by proxy.
Knob: q. KL is the sampled E[log π(x) − log base(x)]."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.lm import model as lm_model
from simulacra.lm.measure import point
from simulacra.lm.sample import log_prob, sample
from simulacra.lm.seed import Seed
from simulacra.lm.vocab import BOS_ID, to_lm, to_world


def top_q(scores: np.ndarray, q: float) -> np.ndarray:
    """Indices of the top ceil(q·n) scores (stable order breaks ties by document index)."""
    k = max(1, int(np.ceil(q * len(scores))))
    return np.argsort(-scores, kind="stable")[:k]


def run(s: Seed, settings: dict[str, Any]) -> list[dict[str, Any]]:
    scores = s.ctx.proxy.score(s.world, s.docs)
    spec = lm_model.TrainSpec(epochs=settings["epochs"], batch=s.study["pretrain"]["batch"],
                              lr=settings["lr"])
    n = s.study["eval"]["samples"]
    out = []
    for i, q in enumerate(settings["q"]):
        keep = top_q(scores, q)
        model = lm_model.load(s.base_dir)
        lm_model.train(model, np.full(len(keep), BOS_ID), to_lm(s.docs[keep]), spec, s.seed)
        texts = sample(model, BOS_ID, n, s.world.length, seed=s.seed * 1000 + 20 + i)
        kl = float(np.mean(log_prob(model, BOS_ID, texts) - log_prob(s.base, BOS_ID, texts)))
        out.append({**point(s.ctx, to_world(texts), kl), "variant": "", "knob": float(q),
                    "queries": float(len(s.docs))})
    return out
