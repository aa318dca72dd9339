"""simulacra: simulators or agents? Decision Transformers vs RL on AI Safety Gridworlds."""

__version__ = "0.1.0"
