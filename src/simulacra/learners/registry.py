"""The learner registry: every learner declared once, beside its code, read by everyone else.

Each learner module ends with a `SPECS` tuple of `LearnerSpec`s (one module may declare several:
`rl.py` declares PPO, DQN and A2C). The registry finds them by importing the modules of
`simulacra.learners` on first use, so **adding a learner is one file plus its test**: write
`learners/<x>.py` with its config dataclass, its training and loading code and a `SPECS` block;
the study (schema, job grid), the checkpoint loader (`simulacra.learners.load_policy`) and the
CLI (`simulacra train <name>`) all read the spec. Learners from outside the package call
`register_learner(spec)`.

Why the job function is a "module:function" string: a job function evaluates a trained policy
the way the study does (rollouts, metrics, result rows), which is the study layer's business,
and learners sit below the study (imports go only downward). So a spec names its job function by
string and the study imports it lazily. The study layer holds one job function per *protocol*,
not per learner: `simulacra.study.learner_jobs:run_offline` trains any dataset learner through
its spec's `train` hook and evaluates it like BC, so a new offline learner (BC, %BC, CQL, ...)
needs no study code at all; only a learner with a new evaluation protocol (a knob swept inside
one training, a trial-and-error loop) adds a job function there.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FAMILIES = ("dt", "rl", "offline", "reference")

#: The study's job function for dataset learners evaluated like BC (see the module docstring).
OFFLINE_JOB = "simulacra.study.learner_jobs:run_offline"


@dataclass(frozen=True)
class LearnerSpec:
    """How the study, the loader and the CLI see one learner.

    `knob` names the learner's capability knob (DT: target return; RL: training checkpoint;
    %BC: q). When `knob_in_job` the whole sweep is evaluated inside one job (one training, many
    evaluations); otherwise the grid makes one job per knob value (one training per value).
    `family` places the learner on a side of the question: "dt", "rl", "offline" or "reference".
    """

    name: str
    family: str
    #: "module:function" of the study layer taking a JobContext and returning a JobResult.
    job: str
    #: The learner's config dataclass (its fields and defaults are the learner's settings).
    config: type | None = None
    #: The settings a study may give and their defaults (in general: `config`'s fields less the
    #: ones the job sets, plus study-only switches such as `greedy`).
    defaults: Callable[[], dict[str, Any]] = dict
    #: Settings a study may also give, with the defaults a job reads when they are absent, but
    #: which the study leaves out of a job's config (so out of its key) unless given: settings
    #: added after studies ran, whose defaults reproduce what the learner did before they existed,
    #: so adding them does not turn every finished job of that learner into a new one.
    optional: Callable[[], dict[str, Any]] = dict
    #: Raises ValueError on settings the learner cannot train with (run when a study is read).
    check: Callable[[dict[str, Any]], None] | None = None
    #: Loads this learner's checkpoint folder as a Policy: `load(folder, **kwargs)`.
    load: Callable[..., Any] | None = None
    #: For dataset learners run by OFFLINE_JOB (and `simulacra train <name> --data`):
    #: `train(data, settings, *, seed, knob, out, progress) -> Policy`.
    train: Callable[..., Any] | None = None
    knob: str | None = None
    knob_values: tuple[float, ...] = ()
    knob_in_job: bool = True
    needs_dataset: bool = False
    doc: str = ""


def config_defaults(cls: type, drop: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A config dataclass's field defaults less `drop` (fields the job sets), plus `extra`."""
    made = cls()
    out = {f.name: getattr(made, f.name) for f in dataclasses.fields(cls) if f.name not in drop}
    return {**out, **extra}


def check_config(cls: type, settings: Mapping[str, Any], drop: tuple[str, ...] = ()) -> Any:
    """Build `cls(**settings less drop)` and validate it: a ValueError for any bad field."""
    try:
        config = cls(**{k: v for k, v in settings.items() if k not in drop})
    except TypeError as err:
        raise ValueError(str(err)) from err
    if hasattr(config, "validate"):
        config.validate()
    return config


_EXTRA: dict[str, LearnerSpec] = {}  # registered from outside the package (and by tests)


def _check(spec: LearnerSpec) -> None:
    if spec.family not in FAMILIES:
        raise ValueError(f"learner {spec.name}: family {spec.family!r}: expected "
                         f"{', '.join(FAMILIES)}")
    if ":" not in spec.job:
        raise ValueError(f"learner {spec.name}: job {spec.job!r} is not 'module:function'")


@functools.cache
def _declared() -> dict[str, LearnerSpec]:
    """The SPECS of every module of simulacra.learners, by name."""
    out: dict[str, LearnerSpec] = {}
    package = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        module = importlib.import_module(f"simulacra.learners.{info.name}")
        for spec in getattr(module, "SPECS", ()):
            _check(spec)
            if spec.name in out:
                raise ValueError(f"learner {spec.name!r} is declared twice "
                                 f"(simulacra.learners.{info.name} and another module)")
            out[spec.name] = spec
    return out


def learners() -> dict[str, LearnerSpec]:
    """Every learner a study may name, by name (sorted)."""
    return dict(sorted({**_declared(), **_EXTRA}.items()))


def get(name: str) -> LearnerSpec:
    """The spec of learner `name`; KeyError naming the known ones otherwise."""
    known = learners()
    if name not in known:
        raise KeyError(f"unknown learner {name!r}; known learners: {', '.join(known)}")
    return known[name]


def register_learner(spec: LearnerSpec, *, replace: bool = False) -> None:
    """Add a learner from outside the package (a study may then name it). A name the package
    declares is refused, and so is a second registration of a name unless `replace`."""
    _check(spec)
    if spec.name in _declared():
        raise ValueError(f"learner {spec.name!r} is one of simulacra's own; choose another name")
    if spec.name in _EXTRA and not replace:
        raise ValueError(f"learner {spec.name!r} is already registered")
    _EXTRA[spec.name] = spec


def checkpoint_learners() -> dict[str, LearnerSpec]:
    """The learners whose checkpoint folders load back as policies."""
    return {k: s for k, s in learners().items() if s.load is not None}
