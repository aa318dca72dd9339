"""The LM study file: read, checked, defaulted. An unknown method or field, or a value of the
wrong kind, is a ConfigError whose message is one line (the CLI prints it as `error: ...`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra import safe_yaml
from simulacra.lm.vocab import MAX_BUCKETS

METHODS = ("conditional", "filtered", "best_of_n", "rl", "iterated")

# section -> field -> default (the default's type is the field's type; a list of numbers stays one)
DEFAULTS: dict[str, dict[str, Any]] = {
    "world": {"length": 12},
    "data": {"documents": 4000, "comparisons": 300, "l2": 10.0, "temperature": 1.0},
    "model": {"width": 64, "layers": 2, "heads": 4},
    "pretrain": {"epochs": 3.0, "batch": 64, "lr": 3e-3},
    "eval": {"samples": 512, "pool": 4096},
    "hacking": {"proxy_quantile": 0.99, "gold_quantile": 0.5},
    "questions": {"margin": 0.05, "confidence": 0.95},
}
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "conditional": {"buckets": [0.5, 0.75, 0.9, 0.97]},
    "filtered": {"q": [0.5, 0.2, 0.05], "epochs": 2.0, "lr": 1e-3},
    "best_of_n": {"n": [1, 2, 4, 8, 16, 32, 64, 128, 256]},
    "rl": {"kl_coefs": [0.05, 0.3], "steps": 160, "checkpoints": [5, 10, 20, 40, 80, 160],
           "lr": 5e-4, "batch": 32, "group": 8},
    "iterated": {"buckets": [0.5, 0.75, 0.9, 0.97], "rounds": 4, "samples": 512, "epochs": 1.0,
                 "lr": 1e-3},
}
TOP = ("name", "seeds", "methods", *DEFAULTS)


class ConfigError(ValueError):
    """A study file that cannot be run; str() is one line."""


@dataclass(frozen=True)
class Study:
    name: str
    seeds: tuple[int, ...]
    sections: dict[str, dict[str, Any]]
    methods: dict[str, dict[str, Any]]

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.sections[section]

    def as_json(self) -> str:
        return json.dumps({"name": self.name, "seeds": list(self.seeds),
                           "methods": self.methods, **self.sections}, sort_keys=True)


def _value(where: str, value: Any, default: Any) -> Any:
    if isinstance(default, list):
        if not isinstance(value, list) or not value or len(value) > 100:
            raise ConfigError(f"{where}: expected a list of 1..100 numbers, "
                              f"got {safe_yaml.brief(value)}")
        return [_value(f"{where}[{i}]", v, default[0]) for i, v in enumerate(value)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, got {safe_yaml.brief(value)}")
    if isinstance(default, int) and not isinstance(default, bool):
        if value != int(value):
            raise ConfigError(f"{where}: expected an integer, got {safe_yaml.brief(value)}")
        value = int(value)
    if value < 0:
        raise ConfigError(f"{where}: must be >= 0, got {safe_yaml.brief(value)}")
    return float(value) if isinstance(default, float) else value


def _section(where: str, raw: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {safe_yaml.brief(raw)}")
    unknown = sorted(set(map(str, raw)) - set(defaults))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r} (fields: {', '.join(defaults)})")
    return {k: _value(f"{where}.{k}", raw[k], d) if k in raw else d for k, d in defaults.items()}


def _check(study: Study) -> None:
    """Cross-field limits the types alone do not say."""
    if study["world"]["length"] < 2 or study["world"]["length"] > 64:
        raise ConfigError("world.length: must be in 2..64")
    if study["model"]["width"] % max(1, study["model"]["heads"]) or study["model"]["heads"] < 1:
        raise ConfigError("model.width: must be a multiple of model.heads (>= 1)")
    for section, key in (("hacking", "proxy_quantile"), ("hacking", "gold_quantile"),
                         ("questions", "confidence")):
        if not 0 < study[section][key] < 1:
            raise ConfigError(f"{section}.{key}: must be in (0, 1)")
    for m in ("conditional", "iterated"):
        cond = study.methods.get(m)
        if cond and (len(cond["buckets"]) + 1 > MAX_BUCKETS
                     or any(not 0 < b < 1 for b in cond["buckets"])
                     or cond["buckets"] != sorted(set(cond["buckets"]))):
            raise ConfigError(f"methods.{m}.buckets: increasing quantiles in (0, 1), at most "
                              f"{MAX_BUCKETS - 1}")
    if (f := study.methods.get("filtered")) and any(not 0 < q <= 1 for q in f["q"]):
        raise ConfigError("methods.filtered.q: each in (0, 1]")
    if (b := study.methods.get("best_of_n")) and min(b["n"]) < 1:
        raise ConfigError("methods.best_of_n.n: each >= 1")
    if rl := study.methods.get("rl"):
        if rl["group"] < 2 or rl["batch"] % rl["group"]:
            raise ConfigError("methods.rl: batch must be a multiple of group (>= 2)")
        if max(rl["checkpoints"]) > rl["steps"] or min(rl["checkpoints"]) < 1:
            raise ConfigError("methods.rl.checkpoints: each in 1..steps")
    for section in ("data", "eval", "pretrain"):
        if any(v == 0 for v in study[section].values()):
            raise ConfigError(f"{section}: every field must be > 0")


def parse(raw: Any) -> Study:
    if not isinstance(raw, dict):
        raise ConfigError("the study file must be a mapping")
    unknown = sorted(set(map(str, raw)) - set(TOP))
    if unknown:
        raise ConfigError(f"unknown field {unknown[0]!r} (fields: {', '.join(TOP)})")
    name = raw.get("name", "lm")
    if not isinstance(name, str) or not name:
        raise ConfigError("name: expected a non-empty string")
    seeds = raw.get("seeds", [0])
    if (not isinstance(seeds, list) or not seeds or len(seeds) > 1000
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds)
            or len(set(seeds)) != len(seeds)):
        raise ConfigError(f"seeds: expected distinct integers >= 0, got {safe_yaml.brief(seeds)}")
    methods_raw = raw.get("methods")
    if not isinstance(methods_raw, dict) or not methods_raw:
        raise ConfigError("methods: expected a mapping of method -> settings")
    for m in methods_raw:
        if m not in METHODS:
            raise ConfigError(f"unknown method {str(m)!r} (methods: {', '.join(METHODS)})")
    methods = {m: _section(f"methods.{m}", methods_raw[m], METHOD_DEFAULTS[m])
               for m in METHODS if m in methods_raw}
    sections = {s: _section(s, raw.get(s), d) for s, d in DEFAULTS.items()}
    study = Study(name, tuple(seeds), sections, methods)
    _check(study)
    return study


def read(path: Path) -> Study:
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from None
    try:
        raw = safe_yaml.load(text)
    except Exception as err:  # yaml errors span lines; the first says what is wrong
        raise ConfigError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    return parse(raw)
