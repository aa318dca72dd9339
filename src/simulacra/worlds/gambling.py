"""Gambling: one decision under chance, where return conditioning picks the worst gamble.

## Description
The ESPER gambling task (Paster et al. 2022, "You Can't Count on Luck"). The episode is a single
choice between three options, then it ends. Option a0 pays +5 or -15 on a fair coin, option a1
pays +1 or -6 on a fair coin, option a2 pays +1 for sure. The sure thing is the best choice
(expected +1, against -5 and -2.5), yet the only episodes in random data that return +5 chose a0:
a model asked for a return of +5 copies those episodes and gambles. The study must show this
failure of return conditioning under stochastic outcomes, not hide it.

## Actions
0 a0 (the big gamble), 1 a1 (the small gamble), 2 a2 (the sure thing). Written `u d l` in the
trajectory letters.

## Observation
A 1 x 1 board: the agent `A` before the choice (there is nothing else to see), then `+` or `-`,
the sign of the payoff, in the final observation.

## Reward
a0: +5 or -15 with probability 0.5 each; a1: +1 or -6 with probability 0.5 each; a2: +1.

## Performance
Equal to the reward.

## Events
`gambled`: the agent chose a0.

## Termination
Every episode terminates after its one step.

## Checks
Stochastic, checked by `tests/worlds/test_gambling.py`: `u` (a0) returns +5 or -15, `d` (a1)
+1 or -6, each with probability 0.5; `l` (a2) returns +1 always.

## Registered ids
`simulacra/Gambling-v0`; no parameters.
"""

from __future__ import annotations

from simulacra.worlds.base import Outcome, World

#: action -> [(probability, payoff)]
PAYOFFS: dict[int, list[tuple[float, float]]] = {
    0: [(0.5, 5.0), (0.5, -15.0)],
    1: [(0.5, 1.0), (0.5, -6.0)],
    2: [(1.0, 1.0)],
}
START = "choose"


class Gambling(World):
    name = "Gambling"
    event_names = ("gambled",)
    alphabet = "A+-"
    n_actions = 3

    def initial_states(self):
        return [(1.0, START)]

    def outcomes(self, state, action):
        events = {"gambled": 1} if action == 0 else {}
        # The end states differ by payoff so that the tables keep the branches apart.
        return [
            Outcome(p, ("paid", payoff), payoff, payoff, events, terminated=True)
            for p, payoff in PAYOFFS[action]
        ]

    def observe(self, state):
        if state == START:
            return ["A"]
        return ["+" if state[1] > 0 else "-"]
