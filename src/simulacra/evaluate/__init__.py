"""Evaluation: batched rollouts of any Policy, conditioning sweeps, evaluation seeds."""

from simulacra.evaluate.episodes import Episodes
from simulacra.evaluate.rollout import rollout
from simulacra.evaluate.seeds import eval_seed, is_eval_seed
from simulacra.evaluate.sweep import sweep, target_grid

__all__ = ["Episodes", "eval_seed", "is_eval_seed", "rollout", "sweep", "target_grid"]
