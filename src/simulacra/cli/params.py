"""Parsing `--param key=value` options into world parameters."""

from __future__ import annotations

from simulacra import safe_yaml


def parse_params(items: list[str] | None) -> dict[str, object]:
    """`["level=1", "supervisor=false"]` -> {"level": 1, "supervisor": False} (YAML scalars)."""
    out: dict[str, object] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"bad parameter {item!r}: expected key=value")
        out[key.strip()] = safe_yaml.load(value) if value.strip() else None
    return out
