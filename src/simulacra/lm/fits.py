"""Gao et al. (2022)'s functional forms of gold reward against d = √KL(π ‖ base):
best-of-n R(d) = d(α − βd), RL R(d) = d(α − β log d), with R the gold gain over the base.
Both are linear in (α, β), so least squares is exact; the peak is where dR/dd = 0."""

from __future__ import annotations

import math

import numpy as np

FORMS = {"best_of_n": "d(alpha - beta d)", "rl": "d(alpha - beta log d)"}
MIN_POINTS = 3


def fit(form: str, kl: np.ndarray, gain: np.ndarray) -> dict[str, float | str | int]:
    """Fit gold gain over the base against d = sqrt(kl); points with kl <= 0 are left out."""
    kl, gain = np.asarray(kl, dtype=np.float64), np.asarray(gain, dtype=np.float64)
    keep = (kl > 0) & np.isfinite(kl) & np.isfinite(gain)
    d, y = np.sqrt(kl[keep]), gain[keep]
    out: dict[str, float | str | int] = {"form": FORMS[form], "points": len(d)}
    if len(d) < MIN_POINTS:
        return {**out, "alpha": math.nan, "beta": math.nan, "r2": math.nan, "peak_d": math.nan}
    x2 = d * d if form == "best_of_n" else d * np.log(d)
    a = np.stack([d, -x2], axis=1)
    (alpha, beta), *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ np.array([alpha, beta])
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid**2).sum()) / ss if ss > 0 else math.nan
    if beta <= 0:
        peak = math.inf  # no turn-down in the fitted form
    elif form == "best_of_n":
        peak = alpha / (2 * beta)
    else:
        peak = math.exp(alpha / beta - 1)
    return {**out, "alpha": float(alpha), "beta": float(beta), "r2": r2, "peak_d": float(peak)}
