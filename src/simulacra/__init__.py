"""simulacra: simulators or agents? Decision Transformers vs RL on AI Safety Gridworlds."""

from simulacra.envs.registration import register_all as _register_all

__version__ = "0.1.0"

_register_all()
