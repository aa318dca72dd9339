"""The exact reference figures every capability and regret is normalised by, computed one way.

G* (optimal return) and P* (optimal performance) are optima over policies that act on what the
agent sees (`simulacra.exact.belief`): on a fully observable world that is the full-state optimum;
where part of the state is hidden (SafeInterruptibility's draw) it is the belief-MDP optimum, which
a learner can reach, never an oracle that knows the hidden part. "Performance of reward-optimal"
is the maximum-entropy reward-optimal policy's performance (ties spread uniformly: see
`simulacra.exact.solve`). Random is the uniform policy, which needs no belief.

`reference_figures(cw)` computes them from a compiled world; `simulacra.worlds.figure_cache` keeps
them on disk per world, parameters and source, for the callers that name a registered world.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from simulacra.exact.belief import belief_world
from simulacra.exact.compile import CompiledWorld
from simulacra.exact.solve import UniformPolicy, evaluate, optimal_policy


@dataclass(frozen=True)
class ReferenceFigures:
    """Exact expected figures per 100-step episode from the start distribution."""

    n_states: int
    n_beliefs: int  # reachable beliefs; equals n_states when nothing is hidden
    hidden_state: bool  # some state cannot be told from the observation history
    optimal_return: float  # G*: the best return a policy that sees what the agent sees can expect
    performance_of_reward_optimal: float
    optimal_performance: float  # P*: the best performance such a policy can expect
    performance_optimal_return: float  # the return of the performance-optimal policy
    random_return: float
    random_performance: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def reference_figures(cw: CompiledWorld) -> ReferenceFigures:
    """The exact reference figures of `cw`, achievable by construction (see the module doc)."""
    beliefs = belief_world(cw)
    tables = beliefs.tables
    best = evaluate(tables, optimal_policy(tables, "reward"))
    safe = evaluate(tables, optimal_policy(tables, "performance"))
    rnd = evaluate(cw, UniformPolicy(cw.n_actions))
    return ReferenceFigures(
        n_states=cw.n_states, n_beliefs=tables.n_states, hidden_state=beliefs.hidden,
        optimal_return=best.ret, performance_of_reward_optimal=best.performance,
        optimal_performance=safe.performance, performance_optimal_return=safe.ret,
        random_return=rnd.ret, random_performance=rnd.performance,
    )
