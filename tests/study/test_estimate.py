"""Expected job times from measured peers: same learner and world first, then the learner."""

from __future__ import annotations

from simulacra.study.estimate import job_weights, peer_seconds


def test_same_world_peers_first_then_the_kind_there_then_the_learner_anywhere():
    expected = peer_seconds([("DT", "dt", "A", 50.0), ("DT", "dt", "A", 70.0),
                             ("DT", "dt", "B", 120.0), ("PPO", "ppo", "A", 10.0),
                             ("DT share 0", "dt", "A", 55.0)])
    assert expected("DT", "dt", "A") == 60.0
    # a composition DT on a world where only the study's DT ran: the DTs there
    assert expected("DT share 0", "dt", "B") == 120.0
    # an unmeasured world: the same learner on any world
    assert expected("DT", "dt", "C") == (50.0 + 70.0 + 120.0) / 3
    assert expected("PPO", "ppo", "B") == 10.0
    assert expected("online DT", "online_dt", "A") is None  # never guessed


def test_weights_fill_the_unmeasured_with_the_mean_and_fall_back_to_equal():
    assert job_weights([10.0, None, 30.0]) == [10.0, 20.0, 30.0]
    assert job_weights([None, None]) == [1.0, 1.0]
    assert job_weights([]) == []
