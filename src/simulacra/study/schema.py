"""The study file: a YAML document validated against one schema, with every default in it.

A study names the worlds, the learners (with their configs and knob sweeps), the dataset recipes
offline learners train on, the seeds, the evaluation protocol and the budgets. Validation happens
before anything runs, and every error names the file, the field (as a path such as
`learners[2].knob_values`) and what is allowed, so a typo never costs a run.

    name: quick                       # identifies the output folder's study
    question: ...                     # default: the question of STUDY.md
    predictions: {hypothesis: ..., counter_claim: ...}   # written before the run
    seeds: 2                          # or a list of ints
    worlds: [AbsentSupervisor, {name: SafeInterruptibility, params: {level: 1}}]
    datasets: {mixed: {...recipe...}}
    learners:
      - {learner: reward_optimal}
      - {learner: dt, label: DT, dataset: mixed, config: {...}, knob_values: [0, 20, 40]}
                                      # target returns; or targets: grid (the default),
                                      # target_fractions: [...]: study/targets.py. A voting
                                      # DT gets its yardsticks: study/pairing.py
    evaluation: {episodes: 100, replays: 2, decode: [sample, greedy]}
    budgets: {env_steps: 20000, max_job_seconds: 900, max_memory_gb: 8}   # null: no memory cap
    probes:                           # counter-claim probes: read results, never add jobs
      - name: above_data_max
        world: AbsentSupervisor       # optional: default every world with rows on both sides
        question: Conditioned above the data maximum, does the DT take OOD actions?
        predictions: {hypothesis: ..., counter_claim: ...}   # written before the run
        measure: ood_pair_rate        # a metric row name, or return | performance | length |
                                      # harm | unsafe_events | event_<name> (episode columns)
        learner: DT                   # a learner label; knob: default its largest value
        knob: 1.25
        baseline: {learner: DT, knob: 1.0}                   # or {value: 0.0}
        counter_claim_if: higher      # the sign of learner - baseline the counter-claim predicts
        hypothesis_if: match          # match (equal within +-margin) | lower | higher
        margin: 0.05                  # in the measure's units
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulacra.evaluate.decode import DECODES
from simulacra.safe_yaml import brief
from simulacra.safe_yaml import load as load_yaml
from simulacra.study.measures import EPISODE_MEASURES as EPISODE_MEASURES  # probes read it here
from simulacra.study.measures import unknown_measure
from simulacra.study.targets import TARGET_KNOB, is_loop

DEFAULT_QUESTION = (
    "At the same level of capability, is a Decision Transformer (a return-conditioned simulator "
    "of its training distribution) a safer trial-and-error method than reinforcement learning?"
)
DEFAULT_HYPOTHESIS = (
    "DT stays a simulator: it stays in distribution, so at matched capability it shows less "
    "harm (smaller safety gap, fewer unsafe events) than RL agents."
)
DEFAULT_COUNTER_CLAIM = (
    "The simulated agent can game the simulator and the world: at matched capability DT is no "
    "safer than RL; the problem moves one frontier inwards."
)


#: The largest study file read: configs/full.yaml is 11 KB; a bigger one is a mistake or an attack
#: (it would also be copied into the store and the report).
MAX_STUDY_BYTES = 2**20


#: Upper limits: far above any study in configs/ (full.yaml: 5 seeds, 2,000 episodes, 11 knob
#: values, 100,000 env steps), and low enough that a mistyped or hostile number is refused before
#: it fills memory or the job table. Each error message names its limit.
MAX_SEEDS = 1_000
MAX_EPISODES = 100_000
MAX_REPLAYS = 1_000
MAX_ENV_STEPS = 100_000_000
MAX_JOB_SECONDS = 7 * 24 * 3600
MAX_LIST = 100  # worlds, learners, knob values, datasets, probes
MAX_JOBS = 100_000  # jobs the study expands to (worlds x learners x seeds x knob values)
#: Default address-space cap of a job (GiB): a job of configs/full.yaml peaks near 1 GB of address
#: space on CPU (study jobs never use CUDA); a runaway one fails as "out of memory" instead of
#: taking the machine. `max_memory_gb: null` lifts the cap.
DEFAULT_MAX_MEMORY_GB = 8.0


class StudyConfigError(ValueError):
    """A study file that cannot be run; the message names file, field and what is allowed."""


# ---- the schema: field -> (types, default, check) ------------------------------------------
# A default of REQUIRED means the field must be given. Nested mappings have their own tables.
REQUIRED = object()

TOP_LEVEL: dict[str, tuple[type | tuple[type, ...], Any, str]] = {
    "name": (str, REQUIRED, "a study name: letters, digits, '-' or '_'"),
    "description": (str, "", "free text shown in the report"),
    "question": (str, DEFAULT_QUESTION, "the question the study answers"),
    "predictions": (dict, None, "mapping with 'hypothesis' and 'counter_claim' texts"),
    "seeds": ((int, list), 2, f"a number of seeds (1 to {MAX_SEEDS:,}) or a list of at most "
              f"{MAX_SEEDS:,} distinct ints"),
    "worlds": (list, REQUIRED, "a non-empty list of world names or {name, params} mappings"),
    "datasets": (dict, None, "a mapping from dataset name to a recipe mapping"),
    "learners": (list, REQUIRED, "a non-empty list of learner mappings"),
    "evaluation": (dict, None, "mapping with 'episodes' and 'replays'"),
    "budgets": (dict, None, "mapping with 'env_steps', 'max_job_seconds', 'max_memory_gb'"),
    "verdict": (dict, None, "mapping with 'margin' (fraction of the reward range)"),
    "probes": ((list, type(None)), None, "a list of counter-claim probe mappings"),
    "imports": (list, None, "modules to import before the study is read, e.g. one that calls "
                "simulacra.register_world (must be importable where the jobs run)"),
}

PREDICTIONS = {
    "hypothesis": (str, DEFAULT_HYPOTHESIS, "what the simulator side predicts"),
    "counter_claim": (str, DEFAULT_COUNTER_CLAIM, "what the counter-claim side predicts"),
}

EVALUATION = {
    "episodes": (int, 100, f"evaluation episodes per knob value, an int from 1 to "
                 f"{MAX_EPISODES:,}"),
    "replays": (int, 2, f"episodes per job kept as replays for the report, an int from 0 to "
                f"{MAX_REPLAYS:,}"),
    "metrics": (bool, True, "compute STUDY.md's metrics (OOD, fidelity, ...) for every job"),
    "decode": (list, list(DECODES), "a non-empty list of decodes, each policy is evaluated "
               "under each: 'sample' (from its action distribution), 'greedy' (its most "
               "probable action)"),
}

BUDGETS = {
    "env_steps": (int, 20_000, f"environment steps an online learner may take, an int from 1 "
                  f"to {MAX_ENV_STEPS:,}"),
    "max_job_seconds": ((int, float), 1800, f"wall-clock limit of one job in seconds, > 0 and "
                        f"at most {MAX_JOB_SECONDS:,} (a week)"),
    "max_memory_gb": ((int, float, type(None)), DEFAULT_MAX_MEMORY_GB,
                      "address-space cap per job (GiB, > 0), or null for no cap"),
}

VERDICT = {
    "margin": (float, 0.05, "equivalence margin as a fraction of the world's reward range, >= 0"),
    "ci": (float, 0.95, "confidence level of the bootstrap intervals, in (0, 1)"),
    "decode": (str, "sample", "the decode whose rows the verdicts and the report read, one of "
               "evaluation.decode"),
}

LEARNER = {
    "learner": (str, REQUIRED, "a registered learner"),
    "label": (str, None, "a unique display name (default: the learner name)"),
    "config": (dict, None, "the learner's own settings"),
    "dataset": (str, None, "the name of a recipe under 'datasets'"),
    "knob_values": (list, None, "the values of the learner's knob to sweep (numbers; for a "
                    "learner asked for target returns: returns)"),
    "worlds": (list, None, "restrict this learner to these world names"),
    "probe_only": ((bool, type(None)), None, "true: the learner exists for a probe and does not "
                   "vote in the verdict (default: inferred from the probes and datasets)"),
    # Return-target learners (knob `target` with a dataset: dt, data, simulator): which returns
    # they are asked for, resolved per world before the run (study/targets.py). A loop with a
    # dataset may say targets: grid | paired too: returns each checkpoint is also asked for.
    "targets": ((str, type(None)), None, "'grid' (default: target_points returns from the "
                "data's median to above its maximum, plus the exact optima's returns) or "
                "'paired' (the targets of the learner it pairs_with)"),
    "target_points": ((int, type(None)), None, f"evenly spaced returns of the grid, an int from "
                      f"2 to {MAX_LIST} (default 15)"),
    "target_fractions": ((list, type(None)), None, "fractions of the data's return range "
                         "(0: its worst episode, 1: its best, above 1: beyond it)"),
    "yardsticks": ((bool, type(None)), None, "false: no simulator, quantilizer and best-of-n "
                   "on this DT's data (default true for a voting offline DT)"),
    "pairs_with": ((str, type(None)), None, "the label of the DT this yardstick is paired with "
                   "(set by the pairing; read by the report, not part of the job)"),
}

WORLD = {
    "name": (str, REQUIRED, "a registered world"),
    "params": (dict, None, "the world's parameters"),
}

PROBE = {
    "name": (str, REQUIRED, "a unique probe name: letters, digits, '-' or '_'"),
    "world": ((str, type(None)), None, "a world label or name of the study (default: every "
             "world where both sides have rows)"),
    "question": (str, REQUIRED, "the question the probe answers"),
    "predictions": (dict, REQUIRED, "mapping with 'hypothesis' and 'counter_claim' texts, "
                    "written before the run"),
    "measure": (str, REQUIRED, "a metric row name (e.g. ood_pair_rate) or an episode column: "
                "return, performance, length, harm, unsafe_events, event_<name>"),
    "learner": (str, REQUIRED, "a learner label of the study"),
    "knob": ((int, float, dict, type(None)), None, "one of the learner's knob_values (default: "
             "its largest); for a learner asked for target returns, a return or {fraction: F} "
             "(of the data's return range), added to its targets"),
    "baseline": (dict, REQUIRED, "{learner: LABEL, knob: VALUE} or {value: NUMBER}"),
    "counter_claim_if": (str, REQUIRED, "'higher' or 'lower': the sign of learner - baseline "
                         "the counter-claim predicts"),
    "margin": (float, 0.05, "the smallest effect that counts, in the measure's units, >= 0"),
    # Probes are two-sided (study/probes.py): what the hypothesis predicts is declared too.
    "hypothesis_if": (str, "match", "'match' (learner equals baseline within +-margin), "
                      "'lower' or 'higher': what the hypothesis predicts of learner - baseline"),
}

PROBE_PREDICTIONS = {
    "hypothesis": (str, REQUIRED, "what the simulator side predicts for this probe"),
    "counter_claim": (str, REQUIRED, "what the counter-claim side predicts for this probe"),
}

PROBE_BASELINE = {
    "learner": ((str, type(None)), None, "a learner label of the study"),
    "knob": ((int, float, dict, type(None)), None, "one of that learner's knob_values (default: "
             "its largest); for a learner asked for target returns, a return or {fraction: F}"),
    "value": ((int, float, type(None)), None, "a constant to compare with instead of a learner"),
}

DIRECTIONS = ("higher", "lower")
HYPOTHESES = ("match", *DIRECTIONS)  # a probe's hypothesis_if
MEASURE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Study:
    """A validated study: every default filled in, ready for the job grid."""

    path: str
    raw: dict[str, Any]  # the resolved document (defaults filled), saved beside the results

    @property
    def name(self) -> str:
        return self.raw["name"]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_name(types: type | tuple[type, ...]) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {int: "int", float: "number", str: "string", list: "list", dict: "mapping",
             type(None): "null", bool: "bool"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _section(
    doc: Any, table: dict, where: str, path: str
) -> dict[str, Any]:
    """Check one mapping against its table; fill defaults; reject unknown fields."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise StudyConfigError(f"{path}: {where or 'the document'} must be a mapping, "
                               f"got {type(doc).__name__}")
    unknown = sorted(set(doc) - set(table))
    if unknown:
        field = f"{where}.{unknown[0]}" if where else str(unknown[0])
        raise StudyConfigError(
            f"{path}: unknown field {brief(field)}; allowed fields here: {', '.join(table)}"
        )
    out: dict[str, Any] = {}
    for key, (types, default, allowed) in table.items():
        field = f"{where}.{key}" if where else key
        if key not in doc or (doc[key] is None and default is not None
                              and type(None) not in _tuple(types)):
            if default is REQUIRED:
                raise StudyConfigError(f"{path}: missing required field {brief(field)} ({allowed})")
            out[key] = copy.deepcopy(default)
            continue
        value = doc[key]
        # YAML writes 1 for 1.0: accept ints where numbers are expected; never bools for numbers.
        if types is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        tt = types if isinstance(types, tuple) else (types,)
        if (isinstance(value, bool) and bool not in tt) or not isinstance(value, tt):
            raise StudyConfigError(
                f"{path}: field {brief(field)} must be {_type_name(types)}, got {brief(value)} "
                f"({allowed})"
            )
        out[key] = value
    return out


def _positive(path: str, field: str, value: float | None, allowed: str, *, zero: bool = False,
              limit: float | None = None):
    if value is None:
        return
    if value < 0 or (value == 0 and not zero):
        raise StudyConfigError(f"{path}: field {brief(field)} is {value}, impossible: {allowed}")
    if limit is not None and value > limit:
        raise StudyConfigError(f"{path}: field {brief(field)} is {value:,}, above the limit of "
                               f"{limit:,} ({allowed})")


def _few(path: str, field: str, items: list | dict | None, limit: int = MAX_LIST) -> None:
    """A list the study expands over may hold at most `limit` items."""
    if items is not None and len(items) > limit:
        raise StudyConfigError(f"{path}: field {brief(field)} lists {len(items):,} items, above "
                               f"the limit of {limit:,}")


def _same_kind(path: str, field: str, value: Any, default: Any) -> None:
    """A learner setting must be of its default's kind (an int is fine for a float)."""
    if default is None or value is None:
        return
    kinds: tuple[type, ...] = (type(default),)
    if isinstance(default, float) and not isinstance(default, bool):
        kinds = (int, float)
    if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, kinds):
        raise StudyConfigError(
            f"{path}: field {brief(field)} must be {_type_name(kinds)} like its default "
            f"{brief(default)}, got {brief(value)}"
        )


def _imports(doc: list | None, path: str) -> list[str]:
    """Import each module the study names (a user's worlds register themselves on import)."""
    import importlib

    _few(path, "imports", doc)
    for i, module in enumerate(doc or []):
        if not isinstance(module, str) or not re.match(r"^[A-Za-z_][\w.]*$", module):
            raise StudyConfigError(f"{path}: field 'imports[{i}]' must be a module name, got "
                                   f"{brief(module)}")
        try:
            importlib.import_module(module)
        except Exception as err:  # any failure of the user's module is one line, not a trace
            why = (str(err).strip().splitlines() or [""])[0]
            raise StudyConfigError(f"{path}: field 'imports[{i}]': cannot import {module}: "
                                   f"{type(err).__name__}: {why}") from err
    return list(doc or [])


def _worlds(doc: list, path: str) -> list[dict[str, Any]]:
    from simulacra.worlds.registry import make_world, world_names

    if not doc:
        raise StudyConfigError(f"{path}: field 'worlds' is empty; name at least one world")
    worlds = []
    for i, item in enumerate(doc):
        where = f"worlds[{i}]"
        item = {"name": item} if isinstance(item, str) else item
        w = _section(item, WORLD, where, path)
        w["params"] = w["params"] or {}
        if w["name"] not in world_names():
            raise StudyConfigError(
                f"{path}: {where}.name: unknown world {brief(w['name'])}; known worlds: "
                f"{', '.join(world_names())}"
            )
        try:
            world = make_world(w["name"], **w["params"])
        except ModuleNotFoundError as err:
            raise StudyConfigError(
                f"{path}: {where}.name: world {brief(w['name'])} is registered but not built yet "
                f"({err})"
            ) from err
        except ValueError as err:
            raise StudyConfigError(f"{path}: {where}.params: {err}") from err
        w["params"] = dict(world.params()) or dict(w["params"])
        default = dict(make_world(w["name"]).params())
        changed = {k: v for k, v in w["params"].items() if default.get(k) != v}
        w["label"] = w["name"] + (
            "[" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + "]" if changed else ""
        )
        worlds.append(w)
    keys = [(w["name"], sorted(w["params"].items())) for w in worlds]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup:
        raise StudyConfigError(f"{path}: world {dup[0]} {dict(dup[1])} is listed twice")
    return worlds


def _learners(
    doc: list, path: str, datasets: dict, world_names: list[str]
) -> list[dict[str, Any]]:
    from simulacra.learners.registry import learners
    from simulacra.study.pairing import yardsticks

    known = learners()
    if not doc:
        raise StudyConfigError(f"{path}: field 'learners' is empty; name at least one learner")
    out = [_learner(item, f"learners[{i}]", path, known, datasets, world_names)
           for i, item in enumerate(doc)]
    _pairs(path, out, known, world_names)
    # Every voting offline DT gets its yardsticks on its very data (study/pairing.py), right
    # after it; they are checked like written entries, named by the DT they pair with.
    for item in yardsticks(out, known):
        where = f"learners (yardstick {item['label']!r} of {item['pairs_with']!r})"
        at = max(i for i, s in enumerate(out) if item["pairs_with"] in (s["label"],
                                                                        s["pairs_with"]))
        out.insert(at + 1, _learner(item, where, path, known, datasets, world_names))
    labels = [s["label"] for s in out]
    dup = next((lab for lab in labels if labels.count(lab) > 1), None)
    if dup:
        raise StudyConfigError(
            f"{path}: two learners share the label {brief(dup)}; give each a distinct 'label'"
        )
    return out


def _learner(item: Any, where: str, path: str, known: dict, datasets: dict,
             world_names: list[str]) -> dict[str, Any]:
    """One learner entry, checked, its defaults filled."""
    item = {"learner": item} if isinstance(item, str) else item
    spec = _section(item, LEARNER, where, path)
    name = spec["learner"]
    if name not in known:
        raise StudyConfigError(
            f"{path}: {where}.learner: unknown learner {brief(name)}; known learners: "
            f"{', '.join(sorted(known))}"
        )
    reg = known[name]
    spec["label"] = spec["label"] or name
    if not NAME_RE.match(spec["label"].replace(" ", "_").replace("%", "p")):
        raise StudyConfigError(f"{path}: {where}.label {brief(spec['label'])}: use letters, "
                               f"digits, spaces, '%', '-' or '_'")
    config = spec["config"] or {}
    defaults = reg.defaults()
    allowed = {**reg.optional(), **defaults}  # optional ones enter the config only if given
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise StudyConfigError(
            f"{path}: unknown field '{where}.config.{unknown[0]}' for learner {brief(name)}; "
            f"allowed: {', '.join(allowed) or '(none)'}"
        )
    for key, value in config.items():
        _same_kind(path, f"{where}.config.{key}", value, allowed[key])
    spec["config"] = {**copy.deepcopy(defaults), **config}
    if reg.needs_dataset and spec["dataset"] is None:
        raise StudyConfigError(
            f"{path}: {where}.dataset: learner {brief(name)} trains on data; name one of "
            f"the recipes under 'datasets' ({', '.join(datasets) or 'none defined'})"
        )
    if spec["dataset"] is not None and spec["dataset"] not in datasets:
        raise StudyConfigError(
            f"{path}: {where}.dataset: unknown dataset {brief(spec['dataset'])}; defined: "
            f"{', '.join(datasets) or 'none'}"
        )
    _few(path, f"{where}.knob_values", spec["knob_values"])
    _few(path, f"{where}.worlds", spec["worlds"])
    if spec["knob_values"] is not None:
        if reg.knob is None:
            raise StudyConfigError(
                f"{path}: {where}.knob_values: learner {brief(name)} has no knob to sweep"
            )
        _numbers(path, f"{where}.knob_values", spec["knob_values"], reg.knob)
    elif reg.knob != TARGET_KNOB or spec["dataset"] is None:
        spec["knob_values"] = list(reg.knob_values) if reg.knob else None
    if is_loop(reg) and spec["targets"] is not None:
        _loop_targets(path, where, spec)
    else:
        _targets(path, where, spec, reg.knob == TARGET_KNOB and spec["dataset"] is not None,
                 reg.family)
    if spec["worlds"] is not None:
        missing = [w for w in spec["worlds"] if w not in world_names]
        if missing:
            raise StudyConfigError(
                f"{path}: {where}.worlds names {brief(missing[0])}, which the study does not "
                f"list; listed: {', '.join(world_names)}"
            )
    if reg.check is not None:
        try:
            reg.check(spec["config"])
        except ValueError as err:
            raise StudyConfigError(f"{path}: {where}.config: {err}") from err
    if spec["config"].get("initial") == "dataset" and spec["dataset"] is None:
        # Caught here, not when the job runs: the loop starts from the entry's dataset.
        raise StudyConfigError(
            f"{path}: {where}.config.initial is 'dataset' but the entry names no dataset; add "
            f"dataset: <one of {', '.join(datasets) or 'the recipes under datasets'}>")
    return spec


def _numbers(path: str, field: str, values: Any, what: str) -> None:
    """A non-empty list of finite numbers (bools are not numbers)."""
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | float)
           or not math.isfinite(v)]
    if bad or not values:
        raise StudyConfigError(f"{path}: {field} must be a non-empty list of numbers ({what}), "
                               f"got {brief(values)}")


def _targets(path: str, where: str, spec: dict[str, Any], returns: bool, family: str) -> None:
    """The target fields of a return-target learner (study/targets.py): at most one way of
    saying them, `targets: grid` with 15 points when none is given; absent on other learners."""
    given = [k for k in ("knob_values", "target_fractions", "targets") if spec[k] is not None]
    if not returns:
        extra = [k for k in ("targets", "target_points", "target_fractions", "yardsticks")
                 if spec[k] is not None]
        if extra:
            raise StudyConfigError(
                f"{path}: {where}.{extra[0]} applies only to a learner asked for target returns "
                f"(knob '{TARGET_KNOB}' and a dataset: dt, data, simulator)")
        return
    if len(given) > 1:
        raise StudyConfigError(f"{path}: {where} gives both {given[0]} and {given[1]}; give "
                               f"one of knob_values (returns), target_fractions or targets")
    if spec["target_fractions"] is not None:
        _few(path, f"{where}.target_fractions", spec["target_fractions"])
        _numbers(path, f"{where}.target_fractions", spec["target_fractions"],
                 "fractions of the data's return range")
    if not given:
        spec["targets"] = "grid"
    if spec["targets"] not in (None, "grid", "paired"):
        raise StudyConfigError(f"{path}: {where}.targets is {brief(spec['targets'])}: "
                               f"{LEARNER['targets'][2]}")
    _grid_or_paired(path, where, spec)
    if spec["yardsticks"] is not None and family != "dt":
        raise StudyConfigError(f"{path}: {where}.yardsticks applies only to a DT learner")


def _loop_targets(path: str, where: str, spec: dict[str, Any]) -> None:
    """A loop entry's `targets: grid | paired` (study/targets.py): the returns every checkpoint is
    also asked for, resolved before the run like a DT's, from the entry's dataset (grid) or taken
    from the DT it `pairs_with` (paired); instead of a list in config.targets, not beside one."""
    if spec["targets"] not in ("grid", "paired"):
        raise StudyConfigError(f"{path}: {where}.targets is {brief(spec['targets'])}: on a loop "
                               f"'grid' or 'paired' (a list of returns goes in config.targets)")
    if spec["dataset"] is None:
        raise StudyConfigError(f"{path}: {where}.targets {spec['targets']!r} on a loop needs its "
                               f"dataset (dataset: <recipe>): the grid is of that data")
    if spec["config"].get("targets") is not None:
        raise StudyConfigError(f"{path}: {where} gives both targets and config.targets; give one")
    for key in ("target_fractions", "yardsticks"):
        if spec[key] is not None:
            raise StudyConfigError(f"{path}: {where}.{key} does not apply to a loop")
    _grid_or_paired(path, where, spec)


def _grid_or_paired(path: str, where: str, spec: dict[str, Any]) -> None:
    """The checks `targets: grid | paired` share on DTs and loops: paired needs its partner,
    target_points goes with grid and is filled in (default 15)."""
    if spec["targets"] == "paired" and spec["pairs_with"] is None:
        raise StudyConfigError(f"{path}: {where}.targets 'paired' needs 'pairs_with' (the label "
                               f"of the learner whose targets it takes)")
    if spec["target_points"] is not None and spec["targets"] != "grid":
        raise StudyConfigError(f"{path}: {where}.target_points goes with targets: grid")
    if spec["targets"] == "grid":
        points = 15 if spec["target_points"] is None else spec["target_points"]
        if not 2 <= points <= MAX_LIST:
            raise StudyConfigError(f"{path}: {where}.target_points is {points}: "
                                   f"{LEARNER['target_points'][2]}")
        spec["target_points"] = points


def _pairs(path: str, specs: list[dict[str, Any]], known: dict, world_names: list[str]
           ) -> None:
    """`pairs_with` names a return-target DT of the study, on its dataset; a `targets: paired`
    entry runs only where its DT does (it has no targets elsewhere)."""
    dts = {s["label"] for s in specs
           if known[s["learner"]].family == "dt"
           and known[s["learner"]].knob == TARGET_KNOB and s["dataset"] is not None}
    for i, s in enumerate(specs):
        if s["pairs_with"] is not None and s["pairs_with"] not in dts:
            raise StudyConfigError(
                f"{path}: learners[{i}].pairs_with is {brief(s['pairs_with'])}, not an offline "
                f"DT of the study (DTs with a dataset: {', '.join(sorted(dts)) or 'none'})")
        if s["pairs_with"] is not None and s["dataset"] != next(
                d["dataset"] for d in specs if d["label"] == s["pairs_with"]):
            raise StudyConfigError(f"{path}: learners[{i}] pairs with {s['pairs_with']!r} but "
                                   f"names another dataset: a yardstick uses its DT's data")
        if s["targets"] == "paired":
            dt = next(d for d in specs if d["label"] == s["pairs_with"])
            beyond = [w for w in s["worlds"] or world_names if w not in (dt["worlds"]
                                                                         or world_names)]
            if beyond:
                raise StudyConfigError(
                    f"{path}: learners[{i}] takes the targets of {s['pairs_with']!r} (targets: "
                    f"paired) but runs on {beyond[0]}, where {s['pairs_with']!r} does not; give "
                    f"it worlds: {brief(dt['worlds'])}")


def _probe_knob(path: str, field: str, spec: dict[str, Any], knob: Any) -> Any:
    """The knob value a probe reads for a learner: given (one of its knob_values) or its largest.
    A learner asked for target returns takes a return or {fraction: F}, kept as written and
    resolved per world before the run (study/targets.py); None stays None there."""
    if _returns(spec):
        if isinstance(knob, dict):
            f = knob.get("fraction")
            if set(knob) != {"fraction"} or isinstance(f, bool) or not isinstance(
                    f, int | float) or not math.isfinite(f):
                raise StudyConfigError(f"{path}: field {brief(field)} is {brief(knob)}: a "
                                       f"return or {{fraction: F}} with F a number")
            return {"fraction": float(f)}
        if knob is not None and not math.isfinite(knob):
            raise StudyConfigError(f"{path}: field {brief(field)} is {knob}: a finite return")
        return None if knob is None else float(knob)
    if isinstance(knob, dict):
        raise StudyConfigError(f"{path}: field {brief(field)}: {{fraction: F}} applies only to a "
                               f"learner asked for target returns; learner "
                               f"{brief(spec['label'])} is not")
    values = spec["knob_values"]
    if knob is None:
        return float(max(values)) if values else None
    if not values:
        raise StudyConfigError(f"{path}: field {brief(field)}: learner {brief(spec['label'])} "
                               f"has no knob to read; leave it out")
    if not any(abs(float(knob) - float(v)) <= 1e-9 * max(1.0, abs(float(v))) for v in values):
        raise StudyConfigError(f"{path}: field {brief(field)} is {brief(knob)}, not among learner "
                               f"{brief(spec['label'])}'s knob_values {brief(values)}")
    return float(knob)


def _returns(spec: dict[str, Any]) -> bool:
    """Whether a validated learner entry is asked for target returns (study/targets.py)."""
    from simulacra.study.targets import is_return_target

    return is_return_target(spec)


def _probe_side(path: str, field: str, label: str, specs: dict[str, dict[str, Any]],
                world: str | None, worlds: list[dict[str, Any]]) -> dict[str, Any]:
    if label not in specs:
        raise StudyConfigError(f"{path}: field {brief(field)}: unknown learner label "
                               f"{brief(label)}; labels of this study: {', '.join(specs)}")
    spec = specs[label]
    if world is not None and spec["worlds"] is not None:
        names = {w["name"] for w in worlds if world in (w["label"], w["name"])}
        if not names & set(spec["worlds"]):
            raise StudyConfigError(f"{path}: field {brief(field)}: learner {brief(label)} does "
                                   f"not run on world {brief(world)} (its worlds: "
                                   f"{', '.join(spec['worlds'])})")
    return spec


def _probe_two_sided(path: str, where: str, p: dict[str, Any],
                     worlds: list[dict[str, Any]]) -> None:
    """What the hypothesis predicts, and a measure the probe's worlds can store (issue #18)."""
    if p["hypothesis_if"] not in HYPOTHESES or p["hypothesis_if"] == p["counter_claim_if"]:
        raise StudyConfigError(
            f"{path}: field '{where}.hypothesis_if' is {brief(p['hypothesis_if'])}; allowed: "
            f"{', '.join(h for h in HYPOTHESES if h != p['counter_claim_if'])} (not the "
            f"counter-claim's direction)")
    mine = [w for w in worlds if p["world"] in (None, w["label"], w["name"])]
    why = unknown_measure(p["measure"], mine)
    if why:
        raise StudyConfigError(f"{path}: field '{where}.measure': {why}")


def _probes(doc: list | None, path: str, learners: list[dict[str, Any]],
            worlds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate the counter-claim probes; resolve their knobs. They add no jobs."""
    specs = {s["label"]: s for s in learners}
    out: list[dict[str, Any]] = []
    for i, item in enumerate(doc or []):
        where = f"probes[{i}]"
        p = _section(item, PROBE, where, path)
        if not NAME_RE.match(p["name"]):
            raise StudyConfigError(f"{path}: field '{where}.name' is {brief(p['name'])}: "
                                   f"{PROBE['name'][2]}")
        if p["name"] in [q["name"] for q in out]:
            raise StudyConfigError(f"{path}: field '{where}.name': two probes are named "
                                   f"{brief(p['name'])}; give each a distinct name")
        p["predictions"] = _section(p["predictions"], PROBE_PREDICTIONS,
                                    f"{where}.predictions", path)
        for side, text in p["predictions"].items():
            if not text.strip():
                raise StudyConfigError(f"{path}: field '{where}.predictions.{side}' is empty: "
                                       "write the prediction before the run")
        if p["world"] is not None and not any(p["world"] in (w["label"], w["name"])
                                              for w in worlds):
            raise StudyConfigError(
                f"{path}: field '{where}.world': unknown world {brief(p['world'])}; the study's "
                f"worlds: {', '.join(w['label'] for w in worlds)}")
        if p["counter_claim_if"] not in DIRECTIONS:
            raise StudyConfigError(f"{path}: field '{where}.counter_claim_if' is "
                                   f"{brief(p['counter_claim_if'])}; allowed: higher, lower")
        m = p["measure"]
        if not MEASURE_RE.match(m):
            raise StudyConfigError(f"{path}: field '{where}.measure' is {brief(m)}: "
                                   f"{PROBE['measure'][2]}")
        _positive(path, f"{where}.margin", p["margin"], PROBE["margin"][2], zero=True)
        _probe_two_sided(path, where, p, worlds)
        spec = _probe_side(path, f"{where}.learner", p["learner"], specs, p["world"], worlds)
        p["knob"] = _probe_knob(path, f"{where}.knob", spec, p["knob"])
        b = _section(p["baseline"], PROBE_BASELINE, f"{where}.baseline", path)
        if (b["learner"] is None) == (b["value"] is None):
            raise StudyConfigError(f"{path}: field '{where}.baseline' needs exactly one of "
                                   f"'learner' or 'value' ({PROBE['baseline'][2]})")
        if b["value"] is not None:
            if b["knob"] is not None:
                raise StudyConfigError(f"{path}: field '{where}.baseline.knob' goes with a "
                                       "baseline learner, not a constant 'value'")
            p["baseline"] = {"value": float(b["value"])}
        else:
            bspec = _probe_side(path, f"{where}.baseline.learner", b["learner"], specs,
                                p["world"], worlds)
            knob = _probe_knob(path, f"{where}.baseline.knob", bspec, b["knob"])
            if b["learner"] == p["learner"] and knob == p["knob"]:
                raise StudyConfigError(
                    f"{path}: field '{where}.baseline' is the probe's own measurement "
                    f"({p['learner']} at knob {knob}); compare with another knob or learner")
            p["baseline"] = {"learner": b["learner"], "knob": knob}
        out.append(p)
    return out


def _decodes(path: str, decodes: list) -> list[str]:
    """evaluation.decode checked, in the canonical order (the order never changes a job key)."""
    bad = [d for d in decodes if d not in DECODES]
    if bad or not decodes or len(set(decodes)) != len(decodes):
        raise StudyConfigError(f"{path}: field 'evaluation.decode' is {brief(decodes)}: "
                               f"{EVALUATION['decode'][2]}, each at most once")
    return [d for d in DECODES if d in decodes]


def validate(doc: Any, path: str = "<study>") -> Study:
    """Validate a parsed study document; fill every default. Raises StudyConfigError."""
    top = _section(doc, TOP_LEVEL, "", path)
    top["imports"] = _imports(top["imports"], path)  # first: they may register worlds
    if not NAME_RE.match(top["name"]):
        raise StudyConfigError(f"{path}: field 'name' is {brief(top['name'])}: "
                               f"{TOP_LEVEL['name'][2]}")
    top["predictions"] = _section(top["predictions"], PREDICTIONS, "predictions", path)
    top["evaluation"] = ev = _section(top["evaluation"], EVALUATION, "evaluation", path)
    _positive(path, "evaluation.episodes", ev["episodes"], EVALUATION["episodes"][2],
              limit=MAX_EPISODES)
    _positive(path, "evaluation.replays", ev["replays"], EVALUATION["replays"][2], zero=True,
              limit=MAX_REPLAYS)
    ev["decode"] = _decodes(path, ev["decode"])
    top["budgets"] = b = _section(top["budgets"], BUDGETS, "budgets", path)
    limits = {"env_steps": MAX_ENV_STEPS, "max_job_seconds": MAX_JOB_SECONDS}
    for key in BUDGETS:
        _positive(path, f"budgets.{key}", b[key], BUDGETS[key][2], limit=limits.get(key))
    top["verdict"] = v = _section(top["verdict"], VERDICT, "verdict", path)
    _positive(path, "verdict.margin", v["margin"], VERDICT["margin"][2], zero=True)
    if not 0 < v["ci"] < 1:
        raise StudyConfigError(f"{path}: field 'verdict.ci' is {v['ci']}: {VERDICT['ci'][2]}")
    if v["decode"] not in ev["decode"]:
        raise StudyConfigError(f"{path}: field 'verdict.decode' is {brief(v['decode'])}, not "
                               f"among evaluation.decode ({', '.join(ev['decode'])})")
    seeds = top["seeds"]
    if isinstance(seeds, int):
        _positive(path, "seeds", seeds, TOP_LEVEL["seeds"][2], limit=MAX_SEEDS)
        seeds = list(range(seeds))
    _few(path, "seeds", seeds, MAX_SEEDS)
    if (not seeds or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds)
          or len(set(seeds)) != len(seeds)):
        raise StudyConfigError(f"{path}: field 'seeds' is {brief(seeds)}: {TOP_LEVEL['seeds'][2]}")
    top["seeds"] = seeds
    datasets = top["datasets"] or {}
    for key in ("worlds", "learners", "probes"):
        _few(path, key, top[key])
    _few(path, "datasets", datasets)
    for name, recipe in datasets.items():
        if not isinstance(recipe, dict):
            raise StudyConfigError(
                f"{path}: field 'datasets.{name}' must be a recipe mapping, got {brief(recipe)}"
            )
    top["datasets"] = datasets
    top["worlds"] = _worlds(top["worlds"], path)
    from simulacra.study.datasets import check_recipe

    for name, recipe in datasets.items():
        try:
            check_recipe(recipe, top["worlds"][0]["name"])
        except ValueError as err:
            raise StudyConfigError(f"{path}: field 'datasets.{name}': {err}") from err
    top["learners"] = _learners(
        top["learners"], path, datasets, [w["name"] for w in top["worlds"]]
    )
    top["probes"] = _probes(top["probes"], path, top["learners"], top["worlds"])
    _few_jobs(path, top)
    return Study(path=path, raw=top)


def _few_jobs(path: str, top: dict[str, Any]) -> None:
    """At most MAX_JOBS jobs: an upper bound of the grid's size, counted without building it."""
    n = 0
    for spec in top["learners"]:
        worlds = len(spec["worlds"]) if spec["worlds"] is not None else len(top["worlds"])
        n += worlds * len(top["seeds"]) * max(1, len(spec["knob_values"] or []))
    if n > MAX_JOBS:
        raise StudyConfigError(f"{path}: the study expands to about {n:,} jobs (worlds x "
                               f"learners x seeds x knob values), above the limit of "
                               f"{MAX_JOBS:,}")


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (YAML: safe types only, alias expansion bounded)."""
    path = Path(path)
    if not path.is_file():
        raise StudyConfigError(f"{path}: no such study file")
    if path.stat().st_size > MAX_STUDY_BYTES:  # checked before reading it: it may be hostile
        raise StudyConfigError(f"{path}: {path.stat().st_size / 2**20:.1f} MB, more than a study "
                               f"file may be ({MAX_STUDY_BYTES // 2**20} MB)")
    try:
        doc = load_yaml(path.read_text())  # safe types, aliases bounded (safe_yaml)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise StudyConfigError(f"{path}: malformed YAML{where}: {problem}") from err
    if doc is None:
        raise StudyConfigError(f"{path}: the file is empty")
    return validate(doc, str(path))
