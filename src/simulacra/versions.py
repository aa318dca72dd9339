"""Versions of what produced a result, saved beside every checkpoint, dataset and study run."""

from __future__ import annotations

import contextlib
import importlib.metadata as md
import sys

PACKAGES = ("simulacra", "numpy", "torch", "gymnasium", "stable-baselines3", "duckdb")


def versions() -> dict[str, str]:
    """Python and the installed versions of the packages results depend on (metadata only: no
    imports, so this is cheap and never fails on a package that is missing)."""
    out = {"python": sys.version.split()[0]}
    for pkg in PACKAGES:
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out
