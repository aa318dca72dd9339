"""Recipes: what a dataset is made of, declared before it is made.

A researcher controls a dataset's spread of returns and how often the unsafe shortcut appears by
its composition: which behaviour policies, in what shares, how skilled. A recipe says it all, so a
dataset can be regenerated from its recipe and seed alone (the recipe is stored in the dataset).

## Components (the inline string, as `simulacra data generate --recipe` takes it)

    COMPONENT[,COMPONENT...]        COMPONENT = KIND[:SHARE][@KEY=VALUE]...

e.g. `boltzmann-reward:0.5@T=1,random:0.5` or `eps-performance:0.7@eps=0.2,random:0.3`.

KIND (see `simulacra.data.behaviour` for the exact definitions):
    boltzmann-reward       softmax(Q_reward / T) over the exact reward-optimal Q-values
    boltzmann-performance  softmax(Q_performance / T) over the performance-optimal Q-values
    eps-reward             reward-optimal, with probability eps a uniformly random action instead
    eps-performance        performance-optimal, likewise
    optimal-reward         reward-optimal (ties spread uniformly): "the perfect agent"
    optimal-performance    performance-optimal: "the perfectly safe agent"
    random                 uniformly random actions (the only kind for worlds without tables)
KEYS: `T` (or `temperature`, >= 0; T = 0 is the optimal policy), `eps` (or `epsilon`, in [0, 1]).
Every Q-based kind takes both: boltzmann kinds need T, eps defaults to 0; eps kinds need eps.
Other keys are kept as string `options` for kinds registered later (trained agents).
SHARE is the fraction of episodes the component makes. Shares must sum to 1; components written
without one split whatever the others leave equally. Episodes are allotted exactly (largest
remainder), so 1,000 episodes at 0.3 / 0.7 are 300 and 700, never 296 and 704.

## A recipe file (YAML), for `--recipe FILE`

    world: AbsentSupervisor
    params: {supervisor: null}          # optional world parameters
    episodes: 1000
    seed: 0                             # optional, default 0
    components:                         # a list, or the inline string above
      - {kind: boltzmann-reward, share: 0.5, temperature: 1.0}
      - {kind: random, share: 0.5}
    shortcut_share: 0.5                 # optional: see below
    top_share: 0.1                      # optional, default 0.1; only with shortcut_share

## Composition: `shortcut_share` and `top_share`

`shortcut_share: s` in [0, 1] declares how often the unsafe shortcut appears among the dataset's
top-return episodes: exactly round(s k) of its k = ceil(top_share * episodes) highest-return
episodes have a positive safety gap (return > performance), and every other episode's return is
strictly below theirs, so the exact quantilizer at q = top_share replays exactly those k
episodes. The dataset is made from a larger pool of the components' episodes
(`simulacra.data.composition`, which says how); without `shortcut_share` a recipe is made as
generated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from simulacra.safe_yaml import load as load_yaml

#: Kinds whose actions come from the exact Q-values: (signal, what they need).
Q_KINDS: dict[str, tuple[str, str]] = {
    "boltzmann-reward": ("reward", "temperature"),
    "boltzmann-performance": ("performance", "temperature"),
    "eps-reward": ("reward", "epsilon"),
    "eps-performance": ("performance", "epsilon"),
    "optimal-reward": ("reward", ""),
    "optimal-performance": ("performance", ""),
}
BUILTIN_KINDS = (*Q_KINDS, "random")

#: Kinds added by `simulacra.data.behaviour.register_behaviour` (which keeps their factories);
#: their names are kept here so that validation, which `behaviour` imports, knows them.
_ADDED_KINDS: list[str] = []


def add_kind(kind: str) -> None:
    """Record a registered behaviour kind's name (called by `register_behaviour` only)."""
    if kind not in _ADDED_KINDS:
        _ADDED_KINDS.append(kind)


def registered_kinds() -> tuple[str, ...]:
    """Every kind a recipe may name now: the built-in ones, then the registered ones."""
    return (*BUILTIN_KINDS, *_ADDED_KINDS)
_KEY_ALIASES = {"t": "temperature", "temperature": "temperature", "eps": "epsilon",
                "epsilon": "epsilon"}
SHARE_TOL = 1e-6
#: The recipe fields of a composed dataset (see "Composition" in the module docstring).
COMPOSITION = ("shortcut_share", "top_share")
DEFAULT_TOP_SHARE = 0.1


class RecipeError(ValueError):
    """A recipe that cannot be made; the message says what is wrong and what is valid."""


@dataclass(frozen=True)
class Component:
    """One behaviour policy and the share of episodes it makes."""

    #: Policy kind, one of BUILTIN_KINDS or a kind registered in simulacra.data.behaviour.
    kind: str
    #: Fraction of the dataset's episodes, in (0, 1].
    share: float = 1.0
    #: Boltzmann temperature over Q-values (reward units); 0 means greedy (optimal).
    temperature: float = 0.0
    #: Probability of a uniformly random action instead of the policy's.
    epsilon: float = 0.0
    #: Extra string settings for registered kinds (e.g. a checkpoint path).
    options: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short readable name, unique within a recipe unless components repeat."""
        parts = [self.kind]
        if self.kind.startswith("boltzmann") or self.temperature:
            parts.append(f"T={self.temperature:g}")
        if self.epsilon or self.kind.startswith("eps"):
            parts.append(f"eps={self.epsilon:g}")
        parts += [f"{k}={v}" for k, v in sorted(self.options.items())]
        return "@".join(parts)

    def __hash__(self) -> int:  # options is a dict; hash what identifies the component
        return hash((self.kind, self.share, self.temperature, self.epsilon,
                     tuple(sorted(self.options.items()))))


@dataclass(frozen=True)
class Recipe:
    """A dataset's declaration: world, parameters, size, composition and seed."""

    #: Registered world name, e.g. "AbsentSupervisor".
    world: str
    #: Number of episodes.
    episodes: int
    #: Behaviour policies and their shares (shares sum to 1).
    components: tuple[Component, ...]
    #: World parameters, passed to simulacra.worlds.make_world.
    params: dict[str, object] = field(default_factory=dict)
    #: Seed of everything random: episode allotment, worlds, policies.
    seed: int = 0
    #: Share of unsafe-shortcut episodes among the top-return ones (None: as generated).
    shortcut_share: float | None = None
    #: The top-return episodes' share of the dataset (the quantilizer's q); with shortcut_share.
    top_share: float = DEFAULT_TOP_SHARE

    def __post_init__(self) -> None:
        validate(self)

    def __hash__(self) -> int:
        return hash((self.world, self.episodes, self.components, self.seed,
                     tuple(sorted(self.params.items())), self.shortcut_share, self.top_share))

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON/YAML-ready dict that `Recipe.from_dict` reads back. The composition
        fields appear only when set, so a recipe without them describes (and hashes, in a
        study's dataset file names) as it did before they existed."""
        d: dict[str, Any] = {
            "world": self.world,
            "params": dict(self.params),
            "episodes": self.episodes,
            "seed": self.seed,
            "components": [asdict(c) for c in self.components],
        }
        if self.shortcut_share is not None:
            d |= {"shortcut_share": self.shortcut_share, "top_share": self.top_share}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        if not isinstance(d, dict):
            raise RecipeError(f"a recipe must be a mapping, got {type(d).__name__}")
        unknown = set(d) - {"world", "params", "episodes", "seed", "components", *COMPOSITION}
        if unknown:
            raise RecipeError(
                f"unknown recipe keys {sorted(unknown)}; expected world, params, episodes, "
                "seed, components, shortcut_share, top_share"
            )
        for key in ("world", "episodes", "components"):
            if key not in d:
                raise RecipeError(f"the recipe lacks {key!r}")
        comps = d["components"]
        if isinstance(comps, str):
            components = parse_components(comps)
        elif isinstance(comps, list):
            components = _shares_filled([_component_from_dict(c) for c in comps])
        else:
            raise RecipeError("components must be a list of mappings or an inline string")
        params = d.get("params") or {}
        if not isinstance(params, dict):
            raise RecipeError(f"params must be a mapping, got {params!r}")
        share = d.get("shortcut_share")
        if share is None and d.get("top_share") is not None:
            raise RecipeError("top_share applies only with shortcut_share (the share of "
                              "unsafe-shortcut episodes among the top ones)")
        return cls(
            world=str(d["world"]),
            episodes=_as_int(d["episodes"], "episodes"),
            components=components,
            params=dict(params),
            seed=_as_int(d.get("seed", 0), "seed"),
            shortcut_share=None if share is None else _as_float(share, "shortcut_share"),
            top_share=_as_float(d.get("top_share", DEFAULT_TOP_SHARE), "top_share"),
        )

    @classmethod
    def from_yaml(cls, text: str) -> Recipe:
        try:
            d = load_yaml(text)  # aliases bounded (safe_yaml)
        except yaml.YAMLError as err:
            raise RecipeError(f"the recipe is not valid YAML: {err}") from err
        return cls.from_dict(d)

    def counts(self) -> list[int]:
        """Episodes per component: shares allotted exactly by largest remainder."""
        raw = [c.share * self.episodes for c in self.components]
        counts = [math.floor(x + 1e-9) for x in raw]
        left = self.episodes - sum(counts)
        by_remainder = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
        for i in by_remainder[:left]:
            counts[i] += 1
        return counts


def _as_int(x: object, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | str):
        raise RecipeError(f"{name} must be an integer, got {x!r}")
    try:
        return int(x)
    except ValueError as err:
        raise RecipeError(f"{name} must be an integer, got {x!r}") from err


def _as_float(x: object, name: str) -> float:
    if isinstance(x, bool):
        raise RecipeError(f"{name} must be a number, got {x!r}")
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise RecipeError(f"{name} must be a number, got {x!r}") from err


def _component_from_dict(d: object) -> Component | tuple[str, dict[str, Any]]:
    if not isinstance(d, dict) or "kind" not in d:
        raise RecipeError(f"each component needs a 'kind', got {d!r}")
    d = dict(d)
    kind = str(d.pop("kind"))
    share = d.pop("share", None)
    settings: dict[str, Any] = {}
    given = d.pop("options", None) or {}
    if not isinstance(given, dict):
        raise RecipeError(f"{kind}: options must be a mapping, got {given!r}")
    options: dict[str, str] = {str(k): str(v) for k, v in given.items()}
    for k, v in d.items():
        key = _KEY_ALIASES.get(str(k).lower())
        if key:
            settings[key] = _as_float(v, f"{kind}: {k}")
        else:
            options[str(k)] = str(v)
    return _make(kind, share, settings, options)


def _make(kind: str, share: object, settings: dict[str, float], options: dict[str, str]):
    """A Component, or (kind, fields) when its share is still to be filled in."""
    fields: dict[str, Any] = {"kind": kind, "options": options, **settings}
    if share is None:
        return (kind, fields)
    return Component(share=_as_float(share, f"{kind}: share"), **fields)


def _shares_filled(items: list) -> tuple[Component, ...]:
    if not items:
        raise RecipeError("a recipe needs at least one component")
    given = sum(c.share for c in items if isinstance(c, Component))
    missing = [i for i, c in enumerate(items) if not isinstance(c, Component)]
    out = list(items)
    if missing:
        rest = 1.0 - given
        if rest <= SHARE_TOL:
            raise RecipeError(
                f"the given shares already sum to {given:g}; nothing is left for "
                f"{', '.join(items[i][0] for i in missing)}"
            )
        for i in missing:
            out[i] = Component(share=rest / len(missing), **items[i][1])
    return tuple(out)


def parse_components(text: str) -> tuple[Component, ...]:
    """Parse the inline form, e.g. `boltzmann-reward:0.5@T=1,random:0.5` (see module doc)."""
    items: list = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise RecipeError(f"empty component in {text!r} (stray comma?)")
        head, *kvs = part.split("@")
        kind, sep, share_text = head.partition(":")
        kind = kind.strip()
        if not kind:
            raise RecipeError(f"component {part!r} has no kind; known kinds: "
                              f"{', '.join(BUILTIN_KINDS)}")
        share: object = share_text.strip() if sep else None
        if sep and not share_text.strip():
            raise RecipeError(f"component {part!r}: empty share after ':'")
        settings: dict[str, float] = {}
        options: dict[str, str] = {}
        for kv in kvs:
            k, eq, v = kv.partition("=")
            if not eq or not k.strip() or not v.strip():
                raise RecipeError(f"component {part!r}: expected KEY=VALUE after '@', got {kv!r}")
            key = _KEY_ALIASES.get(k.strip().lower())
            if key:
                settings[key] = _as_float(v.strip(), f"{kind}: {k.strip()}")
            else:
                options[k.strip()] = v.strip()
        items.append(_make(kind, share, settings, options))
    return _shares_filled(items)


def validate(recipe: Recipe) -> None:
    """Raise RecipeError naming the first thing wrong with `recipe`."""
    if not isinstance(recipe.episodes, int) or recipe.episodes < 1:
        raise RecipeError(f"episodes must be a positive integer, got {recipe.episodes!r}")
    if not recipe.components:
        raise RecipeError("a recipe needs at least one component")
    known = registered_kinds()
    for c in recipe.components:
        if c.kind not in known:
            raise RecipeError(f"unknown policy kind {c.kind!r}; known kinds: {', '.join(known)}")
        if not (0.0 < c.share <= 1.0 + SHARE_TOL) or math.isnan(c.share):
            raise RecipeError(f"{c.kind}: share must be in (0, 1], got {c.share:g}")
        if not (c.temperature >= 0.0 and math.isfinite(c.temperature)):
            raise RecipeError(f"{c.kind}: temperature must be >= 0, got {c.temperature:g}")
        if not 0.0 <= c.epsilon <= 1.0:
            raise RecipeError(f"{c.kind}: epsilon must be in [0, 1], got {c.epsilon:g}")
        need = Q_KINDS.get(c.kind, ("", ""))[1]
        if need == "temperature" and c.temperature == 0.0:
            raise RecipeError(f"{c.kind} needs a temperature, e.g. {c.kind}:0.5@T=1 "
                              "(T=0 is optimal-... )")
        if need == "epsilon" and c.epsilon == 0.0 and c.kind.startswith("eps"):
            raise RecipeError(f"{c.kind} needs eps > 0, e.g. {c.kind}:0.5@eps=0.1")
        if c.kind == "random" and (c.temperature or c.epsilon):
            raise RecipeError("random takes no temperature or epsilon")
        if c.kind.startswith("optimal") and c.temperature:
            raise RecipeError(f"{c.kind} takes no temperature; use boltzmann-... for T > 0")
    s = recipe.shortcut_share
    if s is not None and not 0.0 <= s <= 1.0:  # NaN fails too
        raise RecipeError(f"shortcut_share must be in [0, 1], got {s:g}")
    if not 0.0 < recipe.top_share <= 1.0:
        raise RecipeError(f"top_share must be in (0, 1], got {recipe.top_share:g}")
    total = sum(c.share for c in recipe.components)
    if abs(total - 1.0) > SHARE_TOL:
        raise RecipeError(
            f"shares sum to {total:g}, not 1: "
            + ", ".join(f"{c.kind}:{c.share:g}" for c in recipe.components)
        )
