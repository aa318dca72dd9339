"""What an unfinished job will cost, from the measured times of its finished peers.

One rule, used by `simulacra plan` (hours left) and by the runner's progress bar (time left,
weighting each job by what it is expected to take, so a bar over jobs of 1 s and of 400 s does not
extrapolate from the quick ones): the mean time of the finished jobs of
1. the same learner on the same world, else
2. learners of the same kind on the same world (the composition DTs cost what the study's DT
   costs there: within 10% on AbsentSupervisor, ConveyorBelt and RocksDiamonds, and worlds
   differ twofold), else
3. the same learner on any world,
else nothing, never a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable


def peer_seconds(measured: Iterable[tuple[str, str, str, float]]
                 ) -> Callable[[str, str, str], float | None]:
    """From (learner, kind, world, seconds) of finished jobs: (learner, kind, world) -> expected
    seconds, or None when no job of that learner, nor of its kind on that world, finished."""
    by_pair: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_kind: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_learner: dict[str, list[float]] = defaultdict(list)
    for learner, kind, world, seconds in measured:
        by_pair[learner, world].append(float(seconds))
        by_kind[kind, world].append(float(seconds))
        by_learner[learner].append(float(seconds))

    def expected(learner: str, kind: str, world: str) -> float | None:
        peers = (by_pair.get((learner, world)) or by_kind.get((kind, world))
                 or by_learner.get(learner))
        return sum(peers) / len(peers) if peers else None

    return expected


def job_weights(expected: list[float | None]) -> list[float]:
    """Progress weights: each job's expected seconds; a job with no measured peer counts as the
    mean of those that have one; with none measured at all every job counts 1 (equal)."""
    known = [e for e in expected if e is not None]
    if not known:
        return [1.0] * len(expected)
    fill = sum(known) / len(known)
    return [fill if e is None else max(e, 1e-3) for e in expected]
