"""Evaluation seeds that never equal a training seed, kept here under their evaluation name (they
live in `simulacra.data.seeds`, beside the rollout that uses them)."""

from simulacra.data.seeds import (
    EVAL_SEED_FLOOR,
    EVAL_TAG,
    POLICY_STREAM,
    WORLD_STREAM,
    eval_seed,
    is_eval_seed,
)

__all__ = ["EVAL_SEED_FLOOR", "EVAL_TAG", "POLICY_STREAM", "WORLD_STREAM", "eval_seed",
           "is_eval_seed"]
