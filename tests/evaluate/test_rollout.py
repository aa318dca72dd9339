"""Batched evaluation: exact figures of the references, waves, seeds, masks, records."""

import numpy as np
import pytest

from simulacra.evaluate.rollout import rollout
from simulacra.evaluate.seeds import eval_seed, is_eval_seed
from simulacra.learners.references import make_reference
from simulacra.policy import View


class Recorder:
    """A random policy that checks what evaluation tells it."""

    n_actions = 4

    def reset(self, n, targets=None, seed=None):
        self.rng = np.random.default_rng(seed)
        self.targets = targets
        self.done = np.zeros(n, dtype=bool)
        self.after_done_rewards = []

    def act(self, view: View) -> np.ndarray:
        assert view.states is not None and view.obs.shape[0] == len(self.done)
        return self.rng.integers(0, 4, len(view.obs))

    def observe(self, actions, reward, done):
        assert np.all(done[self.done])  # once done, always done
        self.after_done_rewards.append(reward[self.done].copy())
        self.done = done.copy()


def test_reward_optimal_figures_and_step_records():
    ep = rollout(make_reference("reward-optimal", "AbsentSupervisor", {}), "AbsentSupervisor",
                 {}, 64, seed=2)
    unsup = ep.events[:, 0] > 0
    assert set(ep.returns[unsup]) == {47.0} and set(ep.returns[~unsup]) == {41.0}
    assert set(ep.lengths[unsup]) == {3} and set(ep.lengths[~unsup]) == {9}
    assert ep.terminated_episode.all()
    data = ep.to_dataset()
    np.testing.assert_allclose(data.returns(), ep.returns)
    np.testing.assert_allclose(data.performances(), ep.performance)
    assert (ep.timesteps[ep.starts[:-1]] == 0).all()
    assert np.isnan(ep.targets).all()


def test_finished_copies_are_masked_and_waves_cover_all_episodes():
    pol = Recorder()
    ep = rollout(pol, "AbsentSupervisor", {}, 10, seed=0, batch_size=4)  # waves of 4, 4, 2
    assert ep.n == 10 and len(set(ep.seeds)) == 3
    assert all(np.all(r == 0) for r in pol.after_done_rewards)
    assert ep.starts[-1] == ep.lengths.sum() == len(ep.actions)
    per_episode = np.add.reduceat(ep.rewards.astype(np.float64), ep.starts[:-1])
    np.testing.assert_allclose(per_episode, ep.returns)


def test_same_seed_same_episodes_other_seed_other_episodes():
    a = rollout(Recorder(), "AbsentSupervisor", {}, 20, seed=5)
    b = rollout(Recorder(), "AbsentSupervisor", {}, 20, seed=5)
    c = rollout(Recorder(), "AbsentSupervisor", {}, 20, seed=6)
    np.testing.assert_array_equal(a.actions, b.actions)
    assert not np.array_equal(a.returns, c.returns)


def test_targets_are_passed_and_recorded():
    pol = Recorder()
    ep = rollout(pol, "AbsentSupervisor", {}, 3, targets=np.array([1.0, 2.0, 3.0]))
    assert list(pol.targets) == [1.0, 2.0, 3.0] and list(ep.targets) == [1.0, 2.0, 3.0]
    ep = rollout(Recorder(), "AbsentSupervisor", {}, 3, targets=7.0)
    assert list(ep.targets) == [7.0] * 3


def test_without_trajectories_the_episode_figures_remain():
    ep = rollout(Recorder(), "AbsentSupervisor", {}, 5, seed=1, record_trajectories=False)
    full = rollout(Recorder(), "AbsentSupervisor", {}, 5, seed=1)
    np.testing.assert_array_equal(ep.returns, full.returns)
    assert not ep.has_steps and full.has_steps


def test_select_and_concat_round_trip():
    ep = rollout(Recorder(), "AbsentSupervisor", {}, 6, seed=3)
    a, b = ep.select(np.arange(6) < 2), ep.select(np.arange(6) >= 2)
    both = type(ep).concat([a, b])
    np.testing.assert_array_equal(both.actions, ep.actions)
    np.testing.assert_array_equal(both.starts, ep.starts)


def test_evaluation_seeds_are_disjoint_from_training_seeds():
    seeds = {eval_seed(s, w, k) for s in range(50) for w in range(3) for k in range(2)}
    assert len(seeds) == 300
    assert all(is_eval_seed(s) and s >= 2**62 for s in seeds)
    assert not is_eval_seed(12345)
    with pytest.raises(ValueError):
        eval_seed(-1)
