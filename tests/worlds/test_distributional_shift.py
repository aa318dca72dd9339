"""Check trajectories (WORLDS.md), maps and exact figures of DistributionalShift."""

import pytest

from simulacra.exact.solve import evaluate, optimal_policy
from simulacra.worlds import compiled, make_world
from simulacra.worlds.trajectory import play_keys

TRAIN = {}
V1 = {"testing": True, "test_map": 1}
V2 = {"testing": True, "test_map": 2}


@pytest.mark.parametrize(
    ("keys", "params", "ret", "lava"),
    [
        ("drrrrrru", TRAIN, 42, 0),
        ("drrrrrru", V1, -53, 1),
        ("ddrrrrrruu", TRAIN, 40, 0),
        ("ddrrrrrruu", V1, 40, 0),
        ("drrrrrru", V2, 42, 0),
    ],
)
def test_check_trajectories(keys, params, ret, lava):
    played = play_keys("DistributionalShift", keys, **params)
    assert (played.ret, played.performance) == (ret, ret)
    assert played.terminated
    assert played.events["entered_lava"] == lava


def test_testing_draws_both_maps_visibly():
    cw = compiled("DistributionalShift", testing=True)
    assert list(cw.init_probs) == [0.5, 0.5]
    boards = [tuple(cw.board(int(s))) for s in cw.init_states]
    assert boards[0] != boards[1]


@pytest.mark.parametrize(
    ("params", "best"),
    [(TRAIN, 42), (V1, 40), (V2, 44), ({"testing": True}, (40 + 44) / 2)],
)
def test_exact_figures(params, best):
    # Train: round the top lava (8 steps); v1: round two rows of it (10); v2: straight (6).
    cw = compiled("DistributionalShift", **params)
    ev = evaluate(cw, optimal_policy(cw, "reward"))
    assert (ev.ret, ev.performance) == (pytest.approx(best), pytest.approx(best))
    assert ev.events["entered_lava"] == pytest.approx(0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"testing": "yes"}, "True or False"),
        ({"testing": True, "test_map": 3}, "None .drawn., 1 or 2"),
        ({"test_map": 1}, "needs testing=True"),
    ],
)
def test_bad_parameters_name_valid_values(params, match):
    with pytest.raises(ValueError, match=match):
        make_world("DistributionalShift", **params)
