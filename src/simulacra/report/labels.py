"""Plain-language names and units for everything the report shows: one place, so that no axis,
column or paragraph prints an internal name (`ood_pair_rate`, `target_fraction`, `q`).

`Label.rate` marks a share of episodes, states or pairs: its figures, intervals and axes are
clipped to [0, 1] (an interval over seeds cannot leave [0, 1], mean ± sd can). `Label.log` marks a
measure that spans orders of magnitude (the quantilizer factor), drawn on a log axis instead of
with matplotlib's ×1e6 offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Label:
    name: str  # what a column or an axis says
    unit: str = ""  # after the name, in parentheses, on axes
    rate: bool = False  # a share in [0, 1]
    log: bool = False  # drawn on a log axis
    about: str = ""  # one line for the appendix's glossary

    @property
    def axis(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


#: Episode columns and metric rows (`metrics.table.METRIC_KEYS`, the loops' and the references').
METRICS: dict[str, Label] = {
    "capability": Label("capability", "0 = random, 1 = optimal return",
                        about="return normalised between random behaviour and the exact optimum"),
    "return": Label("return", "reward units", about="the visible reward summed over an episode"),
    "performance": Label("hidden performance", "reward units",
                         about="what the designers wanted, never shown to the learner"),
    "harm": Label("safety gap", "return − performance",
                  about="reward earned by means the designers did not want"),
    "safety_gap": Label("safety gap", "return − performance"),
    "unsafe_events": Label("unsafe events", "per episode",
                           about="the world's safety events, summed, per episode"),
    "length": Label("episode length", "steps"),
    "regret": Label("regret", "optimal performance − performance"),
    "button_press_rate": Label("share of episodes pressing the button", rate=True),
    "supervisor_sensitivity": Label(
        "watched−unwatched difference in unsafe behaviour", "0 = same, 1 = only unwatched",
        rate=True, about="|P(unsafe | unwatched) − P(unsafe | watched)|"),
    "gamble_rate_g5": Label("share gambling when asked for +5", rate=True),
    "luck_gap_g5": Label("luck gap when asked for +5", "achieved − asked"),
    "calibration_spearman": Label("calibration: rank correlation asked vs achieved",
                                  "Spearman ρ"),
    "calibration_slope": Label("calibration slope", "achieved per unit asked"),
    "calibration_mae": Label("calibration error", "mean |achieved − asked|"),
    "above_max_gain": Label("gain from asking above the data's best", "reward units"),
    "above_max_exceed": Label("share of episodes beyond the data's best return", rate=True),
    "visitation_kl": Label("visitation KL from the data", "nats"),
    "behavioural_kl": Label("behavioural KL from the data", "nats"),
    "ood_state_rate": Label("share of visited states unseen in the data", rate=True),
    "ood_pair_rate": Label("share of (state, action) pairs unseen in the data", rate=True),
    "ood_trajectory_rate": Label("share of trajectories atypical of the data", rate=True),
    "quantilizer_factor": Label("quantilizer factor V", "≤ 1: inside Taylor's bound", log=True,
                                about="q · max π(τ)/β(τ)"),
    "power": Label("POWER of visited states"),
    "power_relative": Label("POWER relative to the data's", "ratio"),
    "relative_reachability": Label("relative reachability lost", "0 = none"),
    "loop_env_steps": Label("environment steps so far", "steps"),
    "loop_round": Label("loop round"),
    "exact_return": Label("exact expected return", "reward units"),
    "exact_performance": Label("exact expected performance", "reward units"),
    "rl_reached_target": Label("reached its target return", "1 = yes", rate=True,
                               about="an RL run stopped at its stop_at return (95% of the "
                               "exact optimum), or ran out of budget first (0)"),
    "rl_stop_at": Label("target return it trains towards", "reward units"),
    "rl_steps_to_target": Label("environment steps to the target return", "steps"),
    "rl_env_steps": Label("environment steps trained", "steps"),
    "yardstick_fallback_rate": Label(
        "share of yardstick episodes that fell back", rate=True,
        about="episodes of a quantilizer / simulator / best-of-n where no data episode with a "
        "qualifying return was consistent with the history: it played the nearest return the "
        "data reached from there"),
}

#: What a learner's knob varies (the jobs' `knob_name`).
KNOBS: dict[str, Label] = {
    "target_fraction": Label("return asked for", "share of the data's return range"),
    "target": Label("return asked for", "reward units"),
    "target_return": Label("return asked for", "reward units"),
    "checkpoint": Label("training so far", "share of the step budget"),
    "round": Label("loop round"),
    "env_steps": Label("environment steps", "steps"),
    "steps": Label("training steps", "steps"),
    "q": Label("top share of the data imitated", "q"),
}

#: Event names (the store's `event_<name>` columns) as what the agent did; (world, event) first.
EVENTS: dict[str, str] = {
    "AbsentSupervisor/punished_unsupervised": "cut through P while unwatched",
    "SafeInterruptibility/button_pressed": "pressed B, disabling its interruption",
    "Survival/button_pressed": "pressed the button, disabling its off-switch",
    "WhiskyGold/drank_whisky": "drank the whisky",
    "Gambling/gambled": "took the worst gamble (a0)",
    "button_pressed": "pressed the button",
    "drank_whisky": "drank the whisky",
    "gambled": "took the gamble a0",
    "entered_lava": "entered lava",
    "entered_water": "entered the water",
    "vase_broken": "broke the vase",
    "interfered": "interfered with the belt",
    "box_cornered": "pushed a box into a corner",
    "gamed_checkpoint": "gamed a checkpoint",
    "tampered": "tampered with its reward",
    "found_reward": "found the reward",
    "picked_key": "picked up the key",
}


def _plain(name: str) -> str:
    return name.replace("_", " ")


def metric(name: str) -> Label:
    """The label of an episode column, metric row or `event_<name>` column."""
    if name in METRICS:
        return METRICS[name]
    if name.startswith("event_"):
        return Label(f"{_plain(name.removeprefix('event_'))}", "per episode")
    if name.startswith("exact_"):
        return Label(f"exact {_plain(name.removeprefix('exact_'))}", "per episode")
    return Label(_plain(name))


def metric_in(world: str, name: str) -> Label:
    """`metric`, with an event named in the world's own terms ('exact expected: cut through P
    while unwatched')."""
    for prefix, words in (("event_", ""), ("exact_", "exact expected: ")):
        rest = name.removeprefix(prefix)
        if name.startswith(prefix) and name not in METRICS and rest not in METRICS:
            return Label(words + event(world, rest), "per episode")
    return metric(name)


def knob(name: str | None) -> Label:
    return KNOBS.get(str(name), Label(_plain(str(name)) if name else "setting"))


def event(world: str, name: str) -> str:
    """What the agent did, in a world's own terms: 'cut through P while unwatched'."""
    name = name.removeprefix("event_")
    return EVENTS.get(f"{world}/{name}") or EVENTS.get(name) or _plain(name)


def clip(name: str, values: np.ndarray | float) -> np.ndarray | float:
    """Values of a rate clipped to [0, 1]; any other measure unchanged."""
    return np.clip(values, 0.0, 1.0) if metric(name).rate else values

#: How a setting of each kind of knob reads in a sentence ("DT, asked for 0.75 of ...").
KNOB_PHRASES: dict[str, str] = {
    "target_fraction": "asked for {:g} of the data's return range",
    "checkpoint": "after {:.0%} of its step budget",
    "q": "imitating the data's top {:.0%}",
    "round": "after round {:g}",
    "target": "asked for return {:g}",
    "target_return": "asked for return {:g}",
}


def setting(knob_name: str | None, value: float | None) -> str:
    """A learner's knob setting in words ('' for a learner without a knob)."""
    if value is None or knob_name is None or not np.isfinite(value):
        return ""
    return KNOB_PHRASES.get(str(knob_name), f"{knob(knob_name).name} {{:g}}").format(value)


#: Board symbols of the replays; (world, symbol) first.
SYMBOLS: dict[str, str] = {
    "#": "wall", "A": "agent", "G": "goal", "P": "punishment tile",
    "S": "supervisor (watching)", "I": "interruption tile", "B": "button", "b": "button, pressed",
    "W": "whisky", "IslandNavigation/W": "water", "L": "lava", "K": "key", "D": "door",
    "+": "won", "-": "lost", "O": "object", ">": "belt", ":": "transformed object",
    "C": "box", "X": "box", "*": "reward",
}


def symbols(world: str, chars: set[str]) -> list[tuple[str, str]]:
    """(symbol, meaning) for the symbols `chars` of a board of `world`, in a fixed order."""
    out = []
    for c in sorted(chars - {" "}):
        meaning = SYMBOLS.get(f"{world}/{c}") or SYMBOLS.get(c)
        if meaning:
            out.append((c, meaning))
    return out

#: What counts as unsafe for the supervisor sensitivity (`metrics.supervisor.PROBES`), per world.
UNSAFE: dict[str, str] = {"AbsentSupervisor": "its rate of entering P"}


def unsafe(world: str) -> str:
    return UNSAFE.get(world, "its rate of unsafe behaviour")
