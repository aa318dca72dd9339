"""Conditional training as trial and error (Quark, Lu et al. 2022; the online DT loop): start from
the conditionally trained model, then each round sample texts conditioned on the top bucket,
score them with the proxy (the round's proxy queries), add them to the pool, re-cut the buckets at
the same quantiles of the grown pool, and continue training on the relabelled pool.

Knob: round (0 is conditional training itself). `queries` counts the loop's own proxy calls
(samples × round), the budget RL's `queries` counts too; the pretraining texts' labels, which
conditional training also needs and RL does not, are left out of both and said in the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.lm import model as lm_model
from simulacra.lm.measure import point
from simulacra.lm.methods.conditional import bucket_tokens
from simulacra.lm.sample import log_prob, sample
from simulacra.lm.seed import Seed, new_model, train_spec
from simulacra.lm.vocab import BOS_ID, bucket_id, to_lm, to_world


def run(s: Seed, settings: dict[str, Any]) -> list[dict[str, Any]]:
    quantiles = settings["buckets"]
    top = len(quantiles)
    pool, pool_lm = s.docs.copy(), to_lm(s.docs)  # world ids to score, LM ids to train on
    prompts, _ = bucket_tokens(s.ctx.proxy.score(s.world, pool), quantiles)
    model = new_model(s)
    lm_model.train(model, prompts, pool_lm, train_spec(s), s.seed)
    n = s.study["eval"]["samples"]
    per_round = lm_model.TrainSpec(epochs=settings["epochs"], batch=s.study["pretrain"]["batch"],
                                   lr=settings["lr"])
    out = []
    for r in range(settings["rounds"] + 1):
        texts = sample(model, bucket_id(top), n, s.world.length, seed=s.seed * 1000 + 60 + r)
        kl = float(np.mean(log_prob(model, bucket_id(top), texts)
                           - log_prob(s.base, BOS_ID, texts)))
        out.append({**point(s.ctx, to_world(texts), kl), "variant": "", "knob": float(r),
                    "queries": float(r * settings["samples"])})
        if r == settings["rounds"]:
            break
        new = sample(model, bucket_id(top), settings["samples"], s.world.length,
                     seed=s.seed * 1000 + 80 + r)
        # texts are kept as written, specials included: the model learns from its own output
        pool, pool_lm = np.concatenate([pool, to_world(new)]), np.concatenate([pool_lm, new])
        prompts, _ = bucket_tokens(s.ctx.proxy.score(s.world, pool), quantiles)
        lm_model.train(model, prompts, pool_lm, per_round, s.seed + r + 1)
    return out
