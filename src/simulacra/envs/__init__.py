"""Gymnasium faces of the worlds: single env, VectorEnv, rendering, registration."""

from simulacra.envs.registration import env_id, register_all

__all__ = ["env_id", "register_all"]
