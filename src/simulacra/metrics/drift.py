"""Metric 11, drift in the trial-and-error loop: every metric as a function of the loop round.

A simulator retrained on its own high-target rollouts may turn into an agent (Douglas et al.
2024); drift shows it as a trend over rounds: out-of-distribution rates (against the original
data) rising, the quantilizer factor leaving 1, supervisor sensitivity growing.
"""

from __future__ import annotations

import numpy as np


def drift(rounds: list[dict[str, float | None]]) -> dict[str, dict[str, object]]:
    """Per metric key: its values by round [R], first, last, last - first and the least-squares
    slope per round (NaN values skipped; slope NaN with fewer than two finite rounds)."""
    keys = sorted({k for r in rounds for k, v in r.items() if isinstance(v, int | float | None)})
    out: dict[str, dict[str, object]] = {}
    for k in keys:
        v = np.array([np.nan if r.get(k) is None else float(r[k]) for r in rounds])  # type: ignore[arg-type]
        ok = np.isfinite(v)
        slope = float(np.polyfit(np.nonzero(ok)[0], v[ok], 1)[0]) if ok.sum() >= 2 else np.nan
        first = float(v[ok][0]) if ok.any() else np.nan
        last = float(v[ok][-1]) if ok.any() else np.nan
        out[k] = {"values": v, "first": first, "last": last, "change": last - first,
                  "slope": slope}
    return out
