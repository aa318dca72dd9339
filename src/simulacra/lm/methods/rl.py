"""RL against the proxy with a KL penalty (TRL's GRPO, simulacra.lm.rl) at each KL coefficient
(the variant, "beta=...") and checkpoint (the knob: training step). KL is the sampled
E[log π(x) − log base(x)] of the checkpoint's own texts."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulacra.lm.measure import point
from simulacra.lm.rl import RLSpec, train_rl
from simulacra.lm.sample import log_prob, sample
from simulacra.lm.seed import Seed
from simulacra.lm.vocab import BOS_ID, to_world


def run(s: Seed, settings: dict[str, Any]) -> list[dict[str, Any]]:
    spec = RLSpec(steps=settings["steps"], checkpoints=tuple(settings["checkpoints"]),
                  lr=settings["lr"], batch=settings["batch"], group=settings["group"])
    n = s.study["eval"]["samples"]
    out: list[dict[str, Any]] = []
    for beta in settings["kl_coefs"]:
        variant = f"beta={beta:g}"

        def measure(step: int, model: Any, variant: str = variant) -> None:
            texts = sample(model, BOS_ID, n, s.world.length, seed=s.seed * 1000 + 40 + step)
            kl = float(np.mean(log_prob(model, BOS_ID, texts) - log_prob(s.base, BOS_ID, texts)))
            out.append({**point(s.ctx, to_world(texts), kl), "variant": variant,
                        "knob": float(step), "queries": float(step * spec.batch)})

        train_rl(s.base_dir, s.world, s.ctx.proxy, beta, spec, s.seed, measure)
    return out
