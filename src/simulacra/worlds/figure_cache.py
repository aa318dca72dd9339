"""The exact reference figures of registered worlds, kept on disk between processes.

(In `worlds`, not `exact`: it looks worlds up by name, and `worlds` sits above `exact`.)

Compiling and solving every world takes seconds (`simulacra worlds` solves 28 settings), yet the
figures change only when a world's rules or the solver do. Each entry is keyed by a SHA-256 of the
package version, the world's name and parameters, and the source text of the world's module and
of every `simulacra` module it and the reference computation import, transitively (so editing a
world, its grid helpers, the compiler or the solver invalidates exactly the entries it could
change). The cache is one JSON file, `exact-figures.json`, under `$SIMULACRA_CACHE_DIR`, else
`$XDG_CACHE_HOME/simulacra`, else `~/.cache/simulacra`. A missing, unreadable or corrupt file or
entry is ignored and rebuilt; a cache folder that cannot be written only costs the recomputation.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import re
from dataclasses import fields
from importlib.metadata import version
from pathlib import Path

from simulacra.atomic import write_text
from simulacra.exact.references import ReferenceFigures, reference_figures
from simulacra.worlds.registry import compiled, make_world, world_class

CACHE_FILE = "exact-figures.json"
_IMPORT = re.compile(r"^\s*(?:from|import)\s+(simulacra(?:\.\w+)+)", re.MULTILINE)


def cache_dir() -> Path:
    if os.environ.get("SIMULACRA_CACHE_DIR"):
        return Path(os.environ["SIMULACRA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "simulacra"


@functools.lru_cache(maxsize=256)
def _module_file(module: str) -> Path | None:
    with contextlib.suppress(ImportError, ValueError, AttributeError):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            return Path(spec.origin)
    return None


def source_files(*modules: str) -> dict[str, Path]:
    """{module: file} of `modules` and of every simulacra module they import, transitively, in
    module order (so the key depends on names and texts, not on where the files lie)."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        path = _module_file(mod)
        if path is None:
            continue
        seen[mod] = path
        todo.extend(_IMPORT.findall(path.read_text(encoding="utf-8")))
    return dict(sorted(seen.items()))


def cache_key(name: str, params: dict[str, object]) -> str:
    """The key of world `name` at `params` (its full parameters, as `World.params()` gives)."""
    digest = hashlib.sha256()
    meta = {"version": version("simulacra"), "world": name, "params": params}
    digest.update(json.dumps(meta, sort_keys=True, default=repr).encode())
    for module, path in source_files(world_class(name).__module__, __name__).items():
        digest.update(module.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or corrupt: rebuilt entry by entry
    return data if isinstance(data, dict) else {}


def _entry(raw: object) -> ReferenceFigures | None:
    """A cached entry back as figures, or None when it is not exactly their fields and types."""
    if not isinstance(raw, dict) or set(raw) != {f.name for f in fields(ReferenceFigures)}:
        return None
    ints = ("n_states", "n_beliefs")
    ok = all(
        isinstance(v, bool) if k == "hidden_state"
        else isinstance(v, int) and not isinstance(v, bool) if k in ints
        else isinstance(v, int | float) and not isinstance(v, bool)
        for k, v in raw.items()
    )
    return ReferenceFigures(**raw) if ok else None


def cached_figures(name: str, **params: object) -> ReferenceFigures | None:
    """The exact reference figures of registered world `name` at `params` (None when it has no
    compiled tables), from the cache when its key matches, else computed and stored."""
    world = make_world(name, **params)  # validates the parameters and fills in the defaults
    if not world.compilable:
        return None
    key = cache_key(name, world.params())
    path = cache_dir() / CACHE_FILE
    hit = _entry(_read(path).get(key))
    if hit is not None:
        return hit
    figures = reference_figures(compiled(name, **params))
    with contextlib.suppress(OSError):  # an unwritable cache folder only costs the recomputation
        path.parent.mkdir(parents=True, exist_ok=True)
        current = _read(path)  # re-read: another process may have added entries meanwhile
        current[key] = figures.as_dict()
        write_text(path, json.dumps(current, indent=0, sort_keys=True))
    return figures
