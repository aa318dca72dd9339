"""Key-to-Door reproduction at a tiny budget: the protocol runs end to end and reports real
figures (rates in [0, 1], one per seed, the data's own random-walk success measured)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from simulacra.learners.bc import top_q_episodes
from simulacra.learners.dt_train import TrainConfig
from simulacra.reproduce.common import make_dataset
from simulacra.reproduce.key_to_door import (
    DEFAULT_BUDGET,
    PAPER,
    KeyRoomSteps,
    KeyToDoorConfig,
    board_cells,
    run,
    table,
    walk_conditional,
)
from simulacra.worlds.key_to_door import KEY_STEPS, KeyToDoor

TINY = TrainConfig(steps=3, context=100, hidden=16, n_layer=1, batch_size=4, warmup_steps=1)


def test_tiny_run_reports_per_seed_rates():
    cfg = KeyToDoorConfig(episodes=(40,), seeds=2, dt=TINY, eval_episodes=8)
    res = run(cfg)
    [size] = res.sizes
    assert size.episodes == 40 and len(size.dt_success) == 2 and len(size.dt_key_rate) == 2
    assert all(0.0 <= x <= 1.0 for x in size.dt_success + size.dt_key_rate + size.data_success)
    # A success needs the key: never more successes than key pick-ups.
    assert all(s <= k for s, k in zip(size.dt_success, size.dt_key_rate, strict=True))
    # Each seed has its own random-walk data; a success is a return of 1, rare under a walk.
    assert all(np.isfinite(size.final_loss))
    # Both ways of acting are evaluated, each with its own key rate.
    assert len(size.dt_success_sampled) == 2 and len(size.dt_key_rate_sampled) == 2
    assert all(s <= k for s, k in zip(size.dt_success_sampled, size.dt_key_rate_sampled,
                                      strict=True))
    out = res.to_json()
    json.dumps(out)
    assert out["success_rate"] == np.mean(out["per_seed"])
    assert out["success_rate_sampled"] == np.mean(out["per_seed_sampled"])
    assert len(out["per_seed"]) == 2 and out["sizes"]["40"]["paper_dt"] is None


def test_key_room_nll_is_read_during_training_and_reported():
    cfg = KeyToDoorConfig(episodes=(40,), seeds=1, dt=replace(TINY, steps=5), eval_episodes=4,
                          heldout_episodes=300, nll_every=2)
    res = run(cfg)
    [curve] = res.sizes[0].key_room_nll
    assert [row[0] for row in curve] == [2, 4, 5]  # every 2 steps and at the end
    # An untrained model guesses near uniformly: both NLLs near ln 4.
    assert all(abs(v - np.log(4)) < 0.1 for row in curve for v in row[1:])
    out = res.to_json()["sizes"]["40"]["key_room_nll"]
    assert out[0][-1] == {"step": 5, "success_given_1": curve[-1][1],
                          "failure_given_0": curve[-1][2]}
    assert "held-out key-room NLL" in table(res) and "(position-blind)" in table(res)
    [[exact, blind]] = res.sizes[0].key_room_floor  # the floors of the same held-out walks
    assert exact < blind < np.log(4)
    assert res.to_json()["sizes"]["40"]["key_room_nll_floor"] == [
        {"exact": exact, "position_blind": blind}]
    off = run(replace(cfg, heldout_episodes=0)).sizes[0]
    assert off.key_room_nll == [[]] and off.dt_success == res.sizes[0].dt_success


def test_key_room_steps_are_the_moves_before_the_key_in_won_and_lost_walks():
    ds = make_dataset("KeyToDoor", "random", 400, 5)
    steps = KeyRoomSteps.of(ds)
    ep, won = ds.episode_ids(), ds.returns() >= 1.0
    assert len(steps.success) > 0 and len(steps.failure) > 0
    assert won[ep[steps.success]].all() and not won[ep[steps.failure]].any()
    for i in np.flatnonzero(won):  # by hand: up to and including the step onto the key
        a = ds.starts[i]
        pick = a + int(np.flatnonzero(ds.events[a:ds.starts[i + 1], 0] > 0)[0])
        assert pick - a < KEY_STEPS  # a successful walk picked the key in the key room
        np.testing.assert_array_equal(steps.success[ep[steps.success] == i],
                                      np.arange(a, pick + 1))
    assert (ds.timesteps[steps.failure] < KEY_STEPS).all()
    # The data's returns-to-go there are the ones the diagnostic conditions on.
    np.testing.assert_allclose(steps.data.returns_to_go()[steps.success], 1.0)
    np.testing.assert_allclose(steps.data.returns_to_go()[steps.failure], 0.0)


def test_the_default_budget_is_the_recipe_the_readme_reports():
    # README: "context 20, windows `both`, hidden 64, 1 layer, no dropout, batch 256, lr 1e-3
    # with a cosine decay, 10,000 steps".
    b = DEFAULT_BUDGET
    assert (b.context, b.window, b.hidden, b.n_layer, b.dropout, b.batch_size, b.lr,
            b.lr_schedule, b.steps) == (20, "both", 64, 1, 0.0, 256, 1e-3, "cosine", 10000)


def test_two_sizes_are_keyed_by_size_and_the_table_shows_the_paper():
    cfg = KeyToDoorConfig(episodes=(1000, 30), seeds=1, dt=TINY, eval_episodes=4)
    res = run(cfg)
    out = res.to_json()
    assert set(out["success_rate"]) == {"1000", "30"}
    assert len(out["per_seed"]["1000"]) == 1
    assert out["sizes"]["1000"]["paper_dt"] == PAPER["DT"][1000]
    text = table(res)
    assert "71.8%" in text and "context 100" in text and "DT sampled (ours)" in text


def test_cql_column_alone():
    cfg = KeyToDoorConfig(episodes=(30,), seeds=1, eval_episodes=4, cql=True, cql_steps=3,
                          run_dt=False)
    res = run(cfg)
    [size] = res.sizes
    assert size.dt_success == [] and len(size.cql_success) == 1
    assert 0.0 <= size.cql_success[0] <= 1.0
    out = res.to_json()
    assert out["sizes"]["30"]["cql_per_seed"] == size.cql_success
    assert "CQL (ours)" in table(res) and "DT: not run" in table(res)


def test_a_seed_range_run_apart_gives_the_same_figures():
    # Seeds split across processes (--first-seed) must reproduce the joint run's per-seed figures.
    both = run(KeyToDoorConfig(episodes=(30,), seeds=2, dt=TINY, eval_episodes=6)).sizes[0]
    second = run(KeyToDoorConfig(episodes=(30,), seeds=1, first_seed=1, dt=TINY,
                                 eval_episodes=6)).sizes[0]
    assert second.data_success == both.data_success[1:]
    assert second.dt_success == both.dt_success[1:]
    assert second.final_loss == both.final_loss[1:]


def test_pbc_column_alone():
    cfg = KeyToDoorConfig(episodes=(30,), seeds=2, eval_episodes=4, pbc=True, pbc_steps=3,
                          run_dt=False)
    res = run(cfg)
    [size] = res.sizes
    assert size.dt_success == [] and size.cql_success == [] and len(size.pbc_success) == 2
    assert all(0.0 <= x <= 1.0 for x in size.pbc_success)
    out = res.to_json()
    assert out["sizes"]["30"]["pbc_per_seed"] == size.pbc_success
    assert "cql_per_seed" not in out["sizes"]["30"]
    assert "%BC on successes (ours)" in table(res) and "%BC: 3 steps" in table(res)


def test_pbc_keeps_exactly_the_successful_walks():
    # q = 1/N keeps every episode tied with the best return: here, the walks that returned 1.
    ds = make_dataset("KeyToDoor", "random", 400, 0)
    wins = np.flatnonzero(ds.returns() >= 1.0)
    assert 0 < len(wins) < 40  # random walks succeed in a few percent of episodes
    np.testing.assert_array_equal(top_q_episodes(ds, 1.0 / ds.n_episodes), wins)


def test_nothing_to_run_is_an_error():
    with pytest.raises(ValueError, match="nothing to run"):
        run(KeyToDoorConfig(episodes=(30,), seeds=1, run_dt=False))


def test_walk_conditional_is_bayes_for_a_walk_that_picks_up_the_key():
    table = walk_conditional()
    assert table.shape == (KEY_STEPS, 49, 49, 4)
    np.testing.assert_allclose(table.sum(-1), 1.0)
    # By hand, the key at (1, 2). On the last key-room step, right below it at (2, 2), only
    # "up" (0) picks it up. With three steps left, in the gap at (3, 2): "up" then "up" again
    # (chance 1/4), or "left" into the wall and then "up", "up" (1/16); "down" and "right" can
    # no longer reach it. So P = (1/4, 0, 1/16, 0) normalised: (0.8, 0, 0.2, 0).
    key = 1 * 7 + 2
    np.testing.assert_allclose(table[KEY_STEPS - 1, 2 * 7 + 2, key], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(table[KEY_STEPS - 3, 3 * 7 + 2, key], [0.8, 0.0, 0.2, 0.0])
    # Sampling from it, every start pair picks up the key in the key room.
    world, rng = KeyToDoor(), np.random.default_rng(0)
    for _, state in world.initial_states():
        for t in range(KEY_STEPS):
            board = np.array([[world.alphabet.index(ch) for ch in row]
                              for row in world.observe(state)])
            (agent,), (key,) = board_cells(board[None])
            assert (divmod(agent, 7), divmod(key, 7)) == (state[2], state[3])
            [out] = world.outcomes(state, int(rng.choice(4, p=table[t, agent, key])))
            state = out.state
            if out.events:
                break
        assert out.events == {"picked_key": 1}


def test_the_diagnostic_floors_lie_between_the_exact_model_and_a_uniform_guess():
    steps = KeyRoomSteps.of(make_dataset("KeyToDoor", "random", 1000, 3))
    exact, blind = steps.floors()
    # The exact conditional reads where the key is; the position-blind floor only the moves'
    # overall bias (mostly up, towards the key's half of the room).
    assert exact < blind < np.log(4)
    assert blind - exact > 0.05


@pytest.mark.expensive
def test_the_default_recipe_reaches_pbc_at_10000_episodes():
    # Issue #15's bar: at 10,000 random walks the DT reaches at least the %BC handed the same
    # data's successes (75% over 5 seeds). One seed of the default command (about 13 minutes
    # on one core): the README reports 97.5% greedy for seed 0, %BC 53.0% on the same data.
    res = run(KeyToDoorConfig(episodes=(10000,), seeds=1))
    [size] = res.sizes
    assert size.dt_success[0] >= 0.75
    # The diagnostic has left the position-blind floor: the DT reads where the key is.
    [[exact, blind]] = size.key_room_floor
    assert exact < size.key_room_nll[0][-1][1] < blind
