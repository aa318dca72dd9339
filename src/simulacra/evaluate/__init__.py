"""Evaluation: batched rollouts of any Policy, decodes, conditioning sweeps, evaluation seeds."""

from simulacra.evaluate.decode import DECODES, can_decode, set_decode
from simulacra.evaluate.episodes import Episodes
from simulacra.evaluate.rollout import rollout
from simulacra.evaluate.seeds import eval_seed, is_eval_seed
from simulacra.evaluate.sweep import sweep, target_grid

__all__ = ["DECODES", "Episodes", "can_decode", "eval_seed", "is_eval_seed", "rollout",
           "set_decode", "sweep", "target_grid"]
