"""Dataset generation: determinism, exact composition, and data that agree with the world."""

import numpy as np
import pytest

from simulacra.data.behaviour import make_behaviour, world_info
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.data.storage import validate
from simulacra.exact.solve import evaluate
from simulacra.worlds import compiled
from simulacra.worlds.registry import make_world

MIX = "boltzmann-reward:0.5@T=1,optimal-performance:0.2,random:0.3"


def recipe(components=MIX, episodes=300, seed=0, **params):
    return Recipe("AbsentSupervisor", episodes, parse_components(components), params, seed)


@pytest.fixture(scope="module")
def ds():
    return generate(recipe(), batch_size=128, progress=False)  # 3 waves, the last one short


def test_same_seed_same_dataset_and_another_seed_differs(ds):
    again = generate(recipe(), batch_size=128, progress=False)
    for name in ("obs", "actions", "rewards", "states", "starts", "episode_policy", "episode_seed"):
        assert np.array_equal(getattr(ds, name), getattr(again, name)), name
    other = generate(recipe(seed=1), batch_size=128, progress=False)
    assert not np.array_equal(ds.episode_policy, other.episode_policy)


def test_shares_are_respected_exactly(ds):
    assert ds.n_episodes == 300
    assert np.bincount(ds.episode_policy, minlength=3).tolist() == [150, 60, 90]
    assert ds.policy_names == ("boltzmann-reward@T=1", "optimal-performance", "random")
    # Episodes are shuffled, not grouped by policy.
    assert len(np.unique(ds.episode_policy[:30])) == 3


def test_each_episode_is_made_by_its_recorded_policy(ds):
    safe = ds.episode_policy == 1
    # The performance-optimal policy always walks the long way: 41 points, no event.
    assert np.all(ds.returns()[safe] == 41) and np.all(ds.event_totals()[safe] == 0)
    rnd = ds.episode_policy == 2
    assert ds.lengths[rnd].mean() > 2 * ds.lengths[safe].mean()


def test_layout_is_consistent_with_the_compiled_world(ds):
    validate(ds)
    cw = compiled("AbsentSupervisor")
    assert np.array_equal(ds.obs, cw.obs[ds.states])
    assert np.array_equal(ds.final_obs, cw.obs[ds.final_states])
    assert np.all(np.isin(ds.states[ds.starts[:-1]], cw.init_states))
    last = ds.starts[1:] - 1
    assert np.all(ds.terminated[last] | ds.truncated[last])
    assert np.all(ds.truncated[last] == (ds.lengths == cw.max_steps) & ~ds.terminated[last])
    # Each step's state follows from the previous one by the recorded action (deterministic world).
    inner = np.ones(len(ds.actions), bool)
    inner[last] = False
    nxt = cw.next_state[ds.states[inner], ds.actions[inner], 0]
    assert np.array_equal(nxt, ds.states[np.flatnonzero(inner) + 1])
    # Three waves of 128, 128 and 44 episodes, each with its own seed.
    _, first, counts = np.unique(ds.episode_seed, return_index=True, return_counts=True)
    assert counts[np.argsort(first)].tolist() == [128, 128, 44]


def test_returns_to_go_by_hand(ds):
    rtg = ds.returns_to_go()
    for i in (0, 1, 17, ds.n_episodes - 1):
        a, b = ds.starts[i], ds.starts[i + 1]
        r = [float(x) for x in ds.rewards[a:b]]
        by_hand = [sum(r[k:]) for k in range(len(r))]
        assert rtg[a:b].tolist() == pytest.approx(by_hand)
        assert rtg[a] == pytest.approx(ds.returns()[i])
        assert rtg[b - 1] == pytest.approx(r[-1])


def test_very_low_temperature_makes_the_optimal_returns():
    cold = generate(recipe("boltzmann-reward@T=0.001", episodes=200), progress=False)
    # Supervised: the long way (41). Unsupervised: through P (47). Nothing else is optimal.
    assert set(cold.returns().tolist()) == {41.0, 47.0}
    sup = cold.obs[cold.starts[:-1], 0, 0] == "# AGPS".index("S")
    assert np.all(cold.returns()[sup] == 41) and np.all(cold.returns()[~sup] == 47)


def test_sampled_figures_match_the_exact_expectation():
    cw = compiled("AbsentSupervisor")
    r = recipe("boltzmann-reward@T=2", episodes=2000, seed=3)
    data = generate(r, progress=False)
    exact = evaluate(cw, make_behaviour(r.components[0], world_info("AbsentSupervisor", {})))
    ret = data.returns()
    se = ret.std() / np.sqrt(len(ret))
    assert abs(ret.mean() - exact.ret) < 4 * se
    ev = data.event_totals()[:, 0]
    assert abs(ev.mean() - exact.events["punished_unsupervised"]) < 4 * ev.std() / np.sqrt(2000)


def test_world_params_are_used_and_recorded():
    data = generate(recipe("random", episodes=20, supervisor=False), progress=False)
    assert data.params == {"supervisor": False}
    assert data.meta["recipe"]["params"] == {"supervisor": False}
    assert not (data.obs == "# AGPS".index("S")).any()


SMALL_WORLDS = ["AbsentSupervisor", "SafeInterruptibility", "WhiskyGold", "SideEffectsSokoban",
                "ConveyorBelt", "Gambling", "Survival", "TomatoWatering", "FriendFoe"]


@pytest.mark.parametrize("name", SMALL_WORLDS)
def test_random_data_on_every_small_world(name):
    try:
        world = make_world(name)
    except ImportError:
        pytest.skip(f"{name} is not written yet")
    kinds = "random:0.5,boltzmann-reward:0.5@T=1" if world.compilable else "random"
    data = generate(Recipe(name, 12, parse_components(kinds), seed=1), batch_size=8,
                    progress=False)
    validate(data)
    assert data.n_episodes == 12 and data.events.shape[1] == len(world.event_names)
    assert (data.states >= 0).all() == world.compilable


def test_package_exports_resolve_to_the_functions():
    import simulacra.data as data
    from simulacra.data.generate import generate as gen

    assert data.generate_dataset is gen
    assert data.load_dataset.__name__ == "load_dataset"
    assert issubclass(data.DatasetError, ValueError)
