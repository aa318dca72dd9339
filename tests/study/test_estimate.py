"""Expected job times from measured peers: same learner and world first, then the learner."""

from __future__ import annotations

from simulacra.study.estimate import job_weights, peer_seconds


def test_same_world_peers_first_then_the_learner_anywhere_then_nothing():
    expected = peer_seconds([("DT", "A", 50.0), ("DT", "A", 70.0), ("DT", "B", 120.0),
                             ("PPO", "A", 10.0)])
    assert expected("DT", "A") == 60.0
    assert expected("DT", "C") == (50.0 + 70.0 + 120.0) / 3  # unmeasured world: any world
    assert expected("PPO", "B") == 10.0
    assert expected("online DT", "A") is None  # never guessed


def test_weights_fill_the_unmeasured_with_the_mean_and_fall_back_to_equal():
    assert job_weights([10.0, None, 30.0]) == [10.0, 20.0, 30.0]
    assert job_weights([None, None]) == [1.0, 1.0]
    assert job_weights([]) == []
