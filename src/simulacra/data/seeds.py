"""Evaluation seeds, derived so that they can never equal a training seed.

A study names its runs by small integer seeds (0, 1, 2, ...), and training uses them (or numbers
derived from them below 2**62). Evaluation must not replay the randomness training saw, so every
random stream of an evaluation is seeded with

    eval_seed(seed, wave, stream) = 2**62 + (first 64-bit word of SeedSequence([EVAL_TAG, seed,
                                    wave, stream]) >> 2)

which lies in [2**62, 2**63): disjoint from every training seed below 2**62, different for each
(run seed, wave, stream), reproducible, and still an int64 so it can be stored with the episodes.
`stream` separates the world's randomness (0) from the policy's sampling (1).
"""

from __future__ import annotations

import numpy as np

EVAL_TAG = 0x5EED_E7A1  # a fixed constant: changing it changes every evaluation seed
EVAL_SEED_FLOOR = 1 << 62
WORLD_STREAM, POLICY_STREAM = 0, 1


def eval_seed(seed: int, wave: int = 0, stream: int = WORLD_STREAM) -> int:
    """The evaluation seed of run `seed`, wave `wave`, stream `stream` (see module docstring)."""
    if seed < 0:
        raise ValueError(f"seeds are non-negative integers, got {seed}")
    word = np.random.SeedSequence([EVAL_TAG, seed, wave, stream]).generate_state(1, np.uint64)[0]
    return EVAL_SEED_FLOOR + (int(word) >> 2)


def is_eval_seed(seed: int) -> bool:
    """True for seeds in the evaluation range [2**62, 2**63)."""
    return EVAL_SEED_FLOOR <= int(seed) < (1 << 63)
