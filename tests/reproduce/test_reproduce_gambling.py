"""Gambling (Paster et al. 2022) at a small but decent budget: the DT asked for +5 gambles.

This is the known failure of return conditioning under chance; the test holds the reproduction
to it (if it stops holding, the model or the data changed, and that needs looking into)."""

from __future__ import annotations

import numpy as np

from simulacra.reproduce.gambling import TARGETS, GamblingConfig, run, table


def test_dt_asked_for_five_picks_the_worst_gamble():
    res = run(GamblingConfig(episodes=600, seeds=2, eval_episodes=100))
    assert len(res.p_a0_sampled) == 2
    # In random data every +5 episode chose a0, and the trained model copies it.
    assert res.data_p_a0_given_5 == [1.0, 1.0]
    assert res.p_a0 > 0.8 and min(res.p_a0_greedy) == 1.0
    # Asked for +5 it gets far less on average (a0 is worth -5 in expectation).
    out = res.to_json()
    assert out["per_target"]["5"]["achieved"] < 0.0
    # Asked for -6 it takes the small gamble (only a1 ever returns -6).
    assert out["per_target"]["-6"]["action_shares"][1] > 0.8
    shares = np.mean(res.action_shares, axis=0)
    assert shares.shape == (len(TARGETS), 3) and np.allclose(shares.sum(axis=1), 1.0)
    assert "P(a0 | g = 5)" in table(res)


def test_defaults_are_the_readme_recipe():
    # README: "DT on 2,000 random episodes, 500 sampled episodes per target, 5 seeds".
    from simulacra.reproduce.gambling import GamblingConfig

    c = GamblingConfig()
    assert (c.episodes, c.eval_episodes, c.seeds) == (2000, 500, 5)
