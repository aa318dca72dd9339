"""Metric 3, calibration (the simulator's signature): does asking for g give about g?

Computed on the per-target means E[G | g] of a conditioning sweep (one point per target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats


@dataclass(frozen=True)
class Calibration:
    targets: np.ndarray  # [K] distinct targets asked for, ascending
    achieved: np.ndarray  # [K] E[G | g]
    spearman: float  # rho(g, E[G|g]) over targets inside the data range
    slope: float  # least-squares slope of E[G|g] on g inside the data range
    mean_abs_error: float  # mean_g |E[G|g] - g| inside the data range
    above_max_gain: float  # mean E[G|g > max] - E[G|g*], g* the highest target inside the range
    above_max_exceed: float  # P(G > data max | g > data max)


def per_target(targets: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct targets [K] and the mean return achieved at each, E[G | g] [K]."""
    tg, g = np.asarray(targets, dtype=np.float64), np.asarray(returns, dtype=np.float64)
    keep = ~np.isnan(tg)
    uniq, inv = np.unique(tg[keep], return_inverse=True)
    sums = np.bincount(inv, weights=g[keep], minlength=len(uniq))
    return uniq, sums / np.bincount(inv, minlength=len(uniq))


def calibration(
    targets: np.ndarray, returns: np.ndarray, data_min: float, data_max: float
) -> Calibration:
    """Spearman rho, slope and mean |E[G|g] - g| over targets in [data_min, data_max]; above the
    maximum: gain = mean_{g > max} E[G|g] - E[G|g*] (does asking for more give more?) and the
    share of those episodes that beat the data's best return. NaN where not defined (fewer than
    two targets inside the range, or none above it)."""
    uniq, ach = per_target(targets, returns)
    inside = (uniq >= data_min - 1e-9) & (uniq <= data_max + 1e-9)
    nan = float("nan")
    rho = slope = mae = nan
    if inside.sum() >= 1:
        mae = float(np.mean(np.abs(ach[inside] - uniq[inside])))
    if inside.sum() >= 2:
        slope = float(np.polyfit(uniq[inside], ach[inside], 1)[0])
        if np.ptp(ach[inside]) > 0:
            rho = float(scipy.stats.spearmanr(uniq[inside], ach[inside]).statistic)
    above = uniq > data_max + 1e-9
    gain = exceed = nan
    if above.any():
        tg = np.asarray(targets, dtype=np.float64)
        sel = tg > data_max + 1e-9
        exceed = float(np.mean(np.asarray(returns)[sel] > data_max + 1e-9))
        if inside.any():
            gain = float(ach[above].mean() - ach[inside][-1])
    return Calibration(uniq, ach, rho, slope, mae, gain, exceed)
