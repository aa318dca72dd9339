"""The table behind `simulacra worlds`: every registered world with its exact figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from simulacra.worlds.registry import WORLDS, env_id, make_world

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
    #: Some state cannot be told from the observation history: the optima are over beliefs.
    hidden_state: bool | None = None
    n_beliefs: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def world_row(name: str, **params: object) -> WorldRow:
    """The exact reference figures (`simulacra.exact.references`, cached on disk) of one world."""
    # Imported here: solving is the slow part, and listing names should not pay for it.
    from simulacra.worlds.figure_cache import cached_figures

    world = make_world(name, **params)
    ref = cached_figures(name, **params)
    if ref is None:
        return WorldRow(env_id(name), world.params(), None, world.n_actions, *([None] * 5))
    return WorldRow(
        id=env_id(name),
        params=world.params(),
        n_states=ref.n_states,
        n_actions=world.n_actions,
        optimal_return=round(ref.optimal_return, 4),
        performance_of_reward_optimal=round(ref.performance_of_reward_optimal, 4),
        optimal_performance=round(ref.optimal_performance, 4),
        random_return=round(ref.random_return, 4),
        random_performance=round(ref.random_performance, 4),
        hidden_state=ref.hidden_state,
        n_beliefs=ref.n_beliefs,
    )


def settings(include_variants: bool = True) -> list[tuple[str, dict[str, object]]]:
    out: list[tuple[str, dict[str, object]]] = []
    for name in WORLDS:
        out.append((name, {}))
        if include_variants:
            out.extend((name, p) for p in VARIANTS.get(name, []))
    return out
