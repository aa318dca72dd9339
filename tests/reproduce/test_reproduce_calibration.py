"""Return calibration at a tiny budget: the declared targets cover the data's range and above,
and the figures are the calibration metric's on the rollouts."""

from __future__ import annotations

import math

from simulacra.learners.dt_train import TrainConfig
from simulacra.reproduce.calibration import CalibrationConfig, run, table

TINY = TrainConfig(steps=3, context=4, hidden=16, n_layer=1, batch_size=8, warmup_steps=1)


def test_targets_span_the_data_and_above():
    cfg = CalibrationConfig(worlds=("AbsentSupervisor", "Survival"), episodes=30, seeds=2,
                            dt=TINY, episodes_per_target=3)
    res = run(cfg)
    assert [w.world for w in res.worlds] == ["AbsentSupervisor", "Survival"]
    for w in res.worlds:
        assert len(w.per_seed) == 2 and math.isfinite(w.optimum)
        for cal, lo, hi in zip(w.per_seed, w.data_min, w.data_max, strict=True):
            assert cal.targets[0] == lo and cal.targets.max() > hi
            assert len(cal.achieved) == len(cal.targets)
            assert math.isnan(cal.spearman) or -1.0 <= cal.spearman <= 1.0
    out = res.to_json()
    assert set(out["worlds"]) == {"AbsentSupervisor", "Survival"}
    assert "AbsentSupervisor" in table(res)
