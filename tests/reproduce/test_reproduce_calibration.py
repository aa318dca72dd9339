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


def test_defaults_are_the_readme_recipe():
    # README: "DT (context 10, hidden 64, 2 layers, 400 steps) on 500 mixed episodes per seed;
    # ... 50 greedy episodes per target; mean over 5 seeds": the command without flags.
    from simulacra.reproduce.calibration import DEFAULT_BUDGET, CalibrationConfig

    b, c = DEFAULT_BUDGET, CalibrationConfig()
    assert (b.context, b.hidden, b.n_layer, b.steps) == (10, 64, 2, 400)
    assert (c.episodes, c.seeds, c.episodes_per_target) == (500, 5, 50)
