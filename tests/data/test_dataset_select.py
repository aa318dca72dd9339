"""Selecting episodes of a Dataset keeps every field aligned."""

import numpy as np

from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe
from simulacra.evaluate.episodes import Episodes


def _data():
    return generate(Recipe.from_dict({"world": "AbsentSupervisor", "episodes": 40, "seed": 1,
                                      "components": "random:0.5,boltzmann-reward:0.5@T=1"}),
                    progress=False)


def test_select_keeps_episodes_whole_and_aligned():
    ds = _data()
    mask = ds.returns() > np.median(ds.returns())
    sub = ds.select(mask)
    assert sub.n_episodes == int(mask.sum())
    assert np.allclose(sub.returns(), ds.returns()[mask])
    assert np.array_equal(sub.episode_policy, ds.episode_policy[mask])
    assert np.allclose(sub.returns_to_go()[sub.starts[:-1]], sub.returns())
    assert sub.terminated.sum() + sub.truncated.sum() == sub.n_episodes


def test_episodes_from_dataset_round_trip():
    ds = _data()
    eps = Episodes.from_dataset(ds)
    assert eps.has_steps and eps.n == ds.n_episodes and eps.compiled
    assert np.allclose(eps.returns, ds.returns())
    back = eps.to_dataset()
    assert np.array_equal(back.actions, ds.actions) and np.array_equal(back.states, ds.states)
    assert np.array_equal(back.terminated, ds.terminated)
