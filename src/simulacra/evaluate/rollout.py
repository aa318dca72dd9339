"""Batched evaluation of any Policy on any world: `rollout`, kept here under its evaluation name.

It lives in `simulacra.data.rollout`, beside the one episode loop that data generation and the
Decision Transformer's own rollouts share, so that `learners` (the online and iterated loops)
can collect episodes without importing `evaluate`, which sits above them.
"""

from simulacra.data.rollout import DEFAULT_BATCH, rollout

__all__ = ["DEFAULT_BATCH", "rollout"]
