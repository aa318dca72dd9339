"""Play a trajectory written in WORLDS.md's letters (`u d l r n`) and sum what it earned."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulacra.worlds.base import ACTION_KEYS
from simulacra.worlds.registry import make_batch


@dataclass
class Played:
    ret: float = 0.0
    performance: float = 0.0
    events: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    terminated: bool = False
    truncated: bool = False


def parse_keys(keys: str) -> list[int]:
    bad = sorted(set(keys) - set(ACTION_KEYS))
    if bad:
        raise ValueError(f"unknown action letters {bad}; use {' '.join(ACTION_KEYS)}")
    return [ACTION_KEYS.index(k) for k in keys]


def play_keys(world: str, keys: str, seed: int = 0, **params: object) -> Played:
    """Run one episode of `world` with the actions in `keys`, stopping where the episode ends."""
    batch = make_batch(world, 1, seed=seed, **params)
    batch.reset()
    out = Played(events={n: 0 for n in batch.event_names})
    for a in parse_keys(keys):
        r = batch.step(np.array([a]))
        out.ret += float(r.reward[0])
        out.performance += float(r.performance[0])
        for i, n in enumerate(batch.event_names):
            out.events[n] += int(r.events[0, i])
        out.steps += 1
        if r.terminated[0] or r.truncated[0]:
            out.terminated, out.truncated = bool(r.terminated[0]), bool(r.truncated[0])
            break
    return out
