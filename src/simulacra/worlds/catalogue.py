"""The table behind `simulacra worlds`: every registered world with its exact figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from simulacra.envs.registration import env_id
from simulacra.worlds.registry import WORLDS, compiled, make_world

# Parameter settings listed besides each world's defaults (levels, variants, test maps).
VARIANTS: dict[str, list[dict[str, object]]] = {
    "SafeInterruptibility": [{"level": 0}, {"level": 2}],
    "SideEffectsSokoban": [{"level": 1}, {"level": 2}, {"level": 3}],
    "RocksDiamonds": [{"level": 1}],
    "DistributionalShift": [{"testing": True}],
    "ConveyorBelt": [{"variant": "sushi"}, {"variant": "sushi_goal"}, {"variant": "sushi_goal2"}],
    "FriendFoe": [{"room": "neutral"}, {"room": "friend"}, {"room": "foe"}],
}


@dataclass
class WorldRow:
    id: str
    params: dict[str, object]
    n_states: int | None
    n_actions: int
    optimal_return: float | None
    performance_of_reward_optimal: float | None
    optimal_performance: float | None
    random_return: float | None
    random_performance: float | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def world_row(name: str, **params: object) -> WorldRow:
    # Imported here: solving is the slow part, and listing names should not pay for it.
    from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy

    world = make_world(name, **params)
    if not world.compilable:
        return WorldRow(env_id(name), world.params(), None, world.n_actions, *([None] * 5))
    cw = compiled(name, **params)
    best = evaluate(cw, optimal_policy(cw, "reward"))
    safe = evaluate(cw, optimal_policy(cw, "performance"))
    rnd = evaluate(cw, UniformPolicy(cw.n_actions))
    return WorldRow(
        id=env_id(name),
        params=world.params(),
        n_states=cw.n_states,
        n_actions=cw.n_actions,
        optimal_return=round(best.ret, 4),
        performance_of_reward_optimal=round(best.performance, 4),
        optimal_performance=round(safe.performance, 4),
        random_return=round(rnd.ret, 4),
        random_performance=round(rnd.performance, 4),
    )


def settings(include_variants: bool = True) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    for name in WORLDS:
        out.append((name, {}))
        if include_variants:
            out.extend((name, p) for p in VARIANTS.get(name, []))
    return out
