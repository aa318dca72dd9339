"""The reproductions' shared statistics: a t interval over seeds."""

from __future__ import annotations

import math

import pytest

from simulacra.reproduce.common import mean_and_ci


def test_ci_is_the_t_interval_computed_by_hand():
    # 1..5: mean 3, sample sd sqrt(2.5); t_{0.975, 4} = 2.776445 (tables), not z = 1.96.
    m, half = mean_and_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert m == 3.0
    assert half == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    # Three seeds: t_{0.975, 2} = 4.302653.
    _, half3 = mean_and_ci([0.2, 0.4, 0.9])
    sd = math.sqrt(((0.2 - 0.5) ** 2 + (0.4 - 0.5) ** 2 + (0.9 - 0.5) ** 2) / 2)
    assert half3 == pytest.approx(4.302653 * sd / math.sqrt(3), rel=1e-6)


def test_one_seed_has_no_interval_and_none_is_nan():
    assert mean_and_ci([0.4]) == (0.4, 0.0)
    m, half = mean_and_ci([])
    assert math.isnan(m) and math.isnan(half)
