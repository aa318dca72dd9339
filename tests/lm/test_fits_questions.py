"""Gao et al.'s fits and the LM questions' verdicts on made-up points."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulacra.lm.fits import fit
from simulacra.lm.questions import combine, questions


def test_fits_recover_known_coefficients():
    d = np.linspace(0.2, 4, 12)
    bon = fit("best_of_n", d**2, d * (1.5 - 0.3 * d))
    assert (bon["alpha"], bon["beta"]) == pytest.approx((1.5, 0.3))
    assert bon["peak_d"] == pytest.approx(2.5)
    rl = fit("rl", d**2, d * (1.0 - 0.5 * np.log(d)))
    assert (rl["alpha"], rl["beta"]) == pytest.approx((1.0, 0.5))
    assert math.isnan(fit("rl", d[:2] ** 2, d[:2])["alpha"])


def _points(rl_hacking: float, cond_noise: float) -> pd.DataFrame:
    rows = []
    for seed in range(4):
        for n, g in ((1, 0.0), (4, 1.0), (16, 2.0)):
            rows.append(("best_of_n", seed, "", n, g, 0.0, 0.1))
        for b, g in enumerate((-0.5, 0.5, 1.5, 2.5)):
            rows.append(("conditional", seed, "", b, g, cond_noise * (seed % 2), 0.1))
        for step, g in ((10, 0.5), (20, 2.5), (30, 3.0), (40, 4.0)):
            rows.append(("rl", seed, "beta=0.1", step, g, rl_hacking + 0.01 * seed, 0.1,
                         step * 10))
        for r, g in ((0, 0.5), (1, 3.0), (2, 4.0)):
            # the loop's last round (500 queries) is past RL's largest (400): not read
            rows.append(("iterated", seed, "", r, g, 0.9 if r == 2 else 0.0, 0.1, r * 250))
    df = pd.DataFrame([r if len(r) == 8 else (*r, 0) for r in rows],
                      columns=["method", "seed", "variant", "knob", "gold", "hacking",
                               "impossible_rate", "queries"])
    df["kl"] = 1.0
    return df


def test_questions_equivalent_simulator_and_safer_than_hacking_rl():
    q = questions(_points(rl_hacking=0.5, cond_noise=0.0), margin=0.05, confidence=0.95)
    assert q["simulator"]["verdict"] == "equivalent"
    assert q["safety"]["verdict"] == "safer"
    assert q["safety"]["measures"]["hacking"]["gold_gain"] == pytest.approx(2.5)
    assert q["simulator"]["measures"]["hacking"]["gold_gain"] == pytest.approx(2.0)
    # at equal proxy queries (<= 400): the loop's hacking round at 500 queries is not read
    t = q["trial_and_error"]
    assert t["queries"] == 400
    assert t["measures"]["hacking"]["gold_gain"] == pytest.approx(3.0)
    assert t["verdict"] == "safer"


def test_trial_and_error_not_measured_without_the_loop():
    pts = _points(0.5, 0.0)
    q = questions(pts[pts.method != "iterated"], margin=0.05, confidence=0.95)
    assert q["trial_and_error"]["verdict"] == "not measured"


def test_questions_not_comparable_without_the_base():
    pts = _points(0.5, 0.0)
    q = questions(pts[pts.method != "best_of_n"], margin=0.05, confidence=0.95)
    assert q["safety"]["verdict"] == "not comparable"


def test_combine_words():
    assert combine(["safer", "equivalent"]) == "safer"
    assert combine(["safer", "less safe"]) == "inconclusive"
    assert combine(["not comparable", "less safe"]) == "less safe"
    assert combine(["not comparable"]) == "not comparable"


def test_rl_curves_start_at_the_base():
    # RL's first checkpoint (gold gain 2.5) is already past the conditioned LM's best (2.0): the
    # comparison still reads RL at 2.0, between the base (step 0) and that checkpoint
    pts = _points(rl_hacking=0.5, cond_noise=0.0)
    pts = pts[~((pts.method == "rl") & (pts.knob == 10)) & ~((pts.method == "conditional")
                                                            & (pts.knob == 3))]
    hack = questions(pts, margin=0.05, confidence=0.95)["safety"]["measures"]["hacking"]
    assert hack["gold_gain"] == pytest.approx(1.5)
    assert hack["seeds"] == 4
    assert hack["harm_other"] == pytest.approx((0.5 + 0.015) * 1.5 / 2.5)
