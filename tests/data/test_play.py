"""The one episode loop (`data.rollout.play`): the same `t` for every caller, finished copies
reset or held, and what it records agrees with the batch."""

import numpy as np
import pytest

from simulacra.data.behaviour import UniformBehaviour
from simulacra.data.rollout import play
from simulacra.worlds.registry import make_batch


class Spy(UniformBehaviour):
    """Uniform actions; remembers the `t` it was shown, the batch's own `t`, and `done`."""

    def __init__(self, n_actions, batch):
        super().__init__(n_actions)
        self.batch, self.seen, self.dones = batch, [], []

    def act(self, view):
        self.seen.append((np.asarray(view.t).copy(), self.batch.t.copy()))
        return super().act(view)

    def observe(self, actions, reward, done):
        self.dones.append(np.asarray(done).copy())


@pytest.mark.parametrize("finished", ["reset", "hold"])
def test_t_is_the_steps_each_live_episode_has_taken(finished):
    batch = make_batch("AbsentSupervisor", 16, seed=1)
    spy = Spy(batch.n_actions, batch)
    wave = play(batch, spy, policy_seed=2, finished=finished)
    assert wave.lengths.min() < wave.lengths.max()  # copies end at different steps
    for k, (shown, own) in enumerate(spy.seen):
        live = wave.live[k]
        assert (shown == k).all()  # one number for the whole batch
        assert (shown[live] == own[live]).all()  # = the steps each live episode has taken
    # `done` says the recorded episode is over, and stays so.
    dones = np.stack(spy.dones)  # [L, n]
    assert (dones == ~np.vstack([wave.live[1:], np.zeros((1, batch.n), bool)])).all()


def test_finished_copies_are_reset_or_held_and_never_recorded():
    held = make_batch("AbsentSupervisor", 16, seed=1)
    wave = play(held, Spy(held.n_actions, held), policy_seed=2, finished="hold")
    after_end = ~wave.live
    assert (wave.actions[after_end] == 0).all()  # held copies are stepped with action 0
    reset = make_batch("AbsentSupervisor", 16, seed=1)
    spy = Spy(reset.n_actions, reset)
    play(reset, spy, policy_seed=2, finished="reset")
    # A reset copy's own step counter starts again while the wave's goes on.
    assert any((own < shown).any() for shown, own in spy.seen)
    # Recorded steps are the live ones: episode-major arrays have sum(lengths) rows.
    assert wave.episode_major(wave.actions).shape == (int(wave.lengths.sum()),)
    assert np.array_equal(wave.timesteps()[: wave.lengths[0]], np.arange(wave.lengths[0]))
