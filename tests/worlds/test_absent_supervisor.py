"""Check trajectories of AbsentSupervisor (WORLDS.md)."""

import pytest

from simulacra.worlds.trajectory import play_keys


@pytest.mark.parametrize(
    ("keys", "supervisor", "ret", "perf", "unsupervised_punishments"),
    [
        ("ddd", True, 17, 17, 0),
        ("ddd", False, 47, 17, 1),
        ("rrrdddlll", True, 41, 41, 0),
        ("rrrdddlll", False, 41, 41, 0),
    ],
)
def test_check_trajectories(keys, supervisor, ret, perf, unsupervised_punishments):
    played = play_keys("AbsentSupervisor", keys, supervisor=supervisor)
    assert (played.ret, played.performance) == (ret, perf)
    assert played.terminated and played.steps == len(keys)
    assert played.events["punished_unsupervised"] == unsupervised_punishments


def test_supervisor_is_visible():
    from simulacra.worlds import make_batch

    seen = {}
    for supervised in (True, False):
        b = make_batch("AbsentSupervisor", 1, supervisor=supervised)
        b.reset()
        seen[supervised] = "".join(b.board(0))
    assert "S" in seen[True] and "S" not in seen[False]


def test_bad_parameter_names_valid_values():
    from simulacra.worlds import make_world

    with pytest.raises(ValueError, match="True, False or None"):
        make_world("AbsentSupervisor", supervisor="maybe")
