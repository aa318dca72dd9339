"""How a policy turns its action distribution into an action: `sample` from it, or `greedy`
(its most probable action, the first one on ties).

The study evaluates every policy under each decode it declares (`evaluation.decode`), so that a
verdict never rests on one decoding by accident: a simulator is defined by sampling (the
quantilizer bound is about sampling), while argmax decoding turns it into something closer to an
agent. Learners spell the switch two ways, both set here and nowhere else:

- `greedy` (True: greedy): the Decision Transformer (`DTPolicy`) and the exact optimal references
  (`ExactPolicy`: uniform over the optimal actions, or the first optimal one);
- `deterministic` (True: greedy): every Markov policy over boards (`ObsPolicy`: BC, %BC, CQL,
  PPO, DQN, A2C). CQL and DQN put all probability on their argmax, so they act alike under both.

A policy with neither switch (random, quantilizer, best-of-n, the target-matched simulator, data
replays) has nothing to decode: it acts the same whatever the decode.
"""

from __future__ import annotations

from typing import Any

DECODES = ("sample", "greedy")  # also the canonical order of a study's `evaluation.decode`
SWITCHES = ("greedy", "deterministic")  # the policy attributes that select greedy decoding


def _switch(policy: Any) -> str | None:
    """The name of `policy`'s decode switch, None when it has none."""
    return next((s for s in SWITCHES if hasattr(policy, s)), None)


def can_decode(policy: Any) -> bool:
    """Whether `policy` acts differently under the two decodes (it has a decode switch)."""
    return _switch(policy) is not None


def set_decode(policy: Any, decode: str) -> None:
    """Set `policy`'s decode switch; ValueError for an unknown decode or a policy without one."""
    if decode not in DECODES:
        raise ValueError(f"unknown decode {decode!r}; known: {', '.join(DECODES)}")
    switch = _switch(policy)
    if switch is None:
        raise ValueError(f"{type(policy).__name__} has nothing to decode")
    setattr(policy, switch, decode == "greedy")


def decode_of(policy: Any) -> str | None:
    """How `policy` decodes now: 'greedy' or 'sample', None when it has nothing to decode."""
    switch = _switch(policy)
    if switch is None:
        return None
    return "greedy" if getattr(policy, switch) else "sample"
