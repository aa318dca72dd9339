"""Behaviour policies against the exact analysis they are built from."""

import itertools

import numpy as np
import pytest

from simulacra.data.behaviour import (
    Mixture,
    QBehaviour,
    UniformBehaviour,
    make_behaviour,
    register_behaviour,
    registered_kinds,
    world_info,
)
from simulacra.data.recipe import Component, Recipe, RecipeError, parse_components
from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.policy import View
from simulacra.worlds import compiled


@pytest.fixture(scope="module")
def cw():
    return compiled("AbsentSupervisor")


def test_probabilities_are_distributions_at_every_setting(cw):
    states = np.arange(cw.n_states)
    for T, eps in [(0.0, 0.0), (0.5, 0.0), (5.0, 0.2), (0.0, 1.0)]:
        p = QBehaviour(optimal_policy(cw, "reward"), T, eps).probs(states, 3)
        assert p.shape == (cw.n_states, cw.n_actions)
        assert np.allclose(p.sum(axis=1), 1.0) and (p >= 0).all()
    uniform = QBehaviour(optimal_policy(cw, "reward"), 0.0, 1.0).probs(states, 3)
    assert np.allclose(uniform, 1.0 / cw.n_actions)


def test_very_low_temperature_is_the_optimal_policy(cw):
    for signal in ("reward", "performance"):
        opt = optimal_policy(cw, signal)
        cold = evaluate(cw, QBehaviour(opt, temperature=1e-3))
        best = evaluate(cw, opt)
        assert cold.ret == pytest.approx(best.ret, abs=1e-6)
        assert cold.performance == pytest.approx(best.performance, abs=1e-6)


def test_temperature_and_epsilon_cost_reward_in_order(cw):
    opt = optimal_policy(cw, "reward")
    rets = [evaluate(cw, QBehaviour(opt, T)).ret for T in (1e-3, 1.0, 3.0, 10.0)]
    assert all(a > b for a, b in itertools.pairwise(rets))
    assert rets[-1] > evaluate(cw, UniformBehaviour(cw.n_actions)).ret
    eps = [evaluate(cw, QBehaviour(opt, 0.0, e)).ret for e in (0.0, 0.3, 0.9)]
    assert eps[0] > eps[1] > eps[2]


def test_performance_q_avoids_the_unsafe_shortcut(cw):
    reward_pi = evaluate(cw, QBehaviour(optimal_policy(cw, "reward"), 0.5))
    safe_pi = evaluate(cw, QBehaviour(optimal_policy(cw, "performance"), 0.5))
    assert reward_pi.events["punished_unsupervised"] > 0.3
    assert safe_pi.events["punished_unsupervised"] < 0.05


def test_act_samples_the_probabilities(cw):
    pi = QBehaviour(optimal_policy(cw, "reward"), temperature=2.0)
    pi.reset(4000, seed=0)
    s = cw.init_states[0]
    view = View(obs=cw.obs[np.full(4000, s)], t=np.zeros(4000, int), states=np.full(4000, s))
    freq = np.bincount(pi.act(view), minlength=cw.n_actions) / 4000
    assert np.abs(freq - pi.probs(np.array([s]), 0)[0]).max() < 0.03
    with pytest.raises(ValueError, match="compiled states"):
        pi.act(View(obs=view.obs, t=view.t))


def test_mixture_routes_each_copy_to_its_component(cw):
    class Const:
        def __init__(self, a):
            self.a, self.n_actions = a, cw.n_actions

        def reset(self, n, targets=None, seed=None):
            pass

        def act(self, view):
            return np.full(len(view.obs), self.a)

        def observe(self, actions, reward, done):
            self.seen = len(actions)

    mix = Mixture([Const(1), Const(3)], [0.5, 0.5])
    mix.reset(5, seed=0)
    mix.assign(np.array([0, 1, 1, 0, 1]))
    view = View(obs=np.zeros((5, 2, 2), np.uint8), t=np.zeros(5, int))
    assert mix.act(view).tolist() == [1, 3, 3, 1, 3]
    mix.observe(np.zeros(5, int), np.zeros(5), np.zeros(5, bool))
    assert (mix.components[0].seen, mix.components[1].seen) == (2, 3)
    with pytest.raises(ValueError, match="assignment outside"):
        mix.assign(np.array([2, 0, 0, 0, 0]))


def test_registered_kind_is_usable_in_recipes():
    register_behaviour("test-always-left", lambda c, info: UniformBehaviour(info.n_actions))
    assert "test-always-left" in registered_kinds()
    r = Recipe("AbsentSupervisor", 4, parse_components("test-always-left:0.5,random:0.5"))
    assert make_behaviour(r.components[0], world_info("AbsentSupervisor", {})).n_actions == 4
    with pytest.raises(ValueError, match="built-in"):
        register_behaviour("random", lambda c, info: UniformBehaviour(4))


def test_q_kinds_need_a_compiled_world():
    from simulacra.worlds.registry import WORLDS, make_world

    for name in WORLDS:
        try:
            if not make_world(name).compilable:
                break
        except (ImportError, ValueError):
            continue
    else:
        pytest.skip("no world without tables is registered yet")
    info = world_info(name, {})
    assert info.tables is None
    with pytest.raises(RecipeError, match="no compiled tables"):
        make_behaviour(Component("boltzmann-reward", 1.0, temperature=1.0), info)
    assert make_behaviour(Component("random"), info).n_actions == info.n_actions
