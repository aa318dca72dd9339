"""Small datasets for the learner tests (built once per process), rolled out from exact behaviours.

Built directly on TableBatch so these tests do not depend on the dataset generator's recipes:
the behaviour is a Boltzmann policy over exact reward Q-values mixed with uniform noise.
"""

from __future__ import annotations

import functools

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.exact.solve import optimal_policy
from simulacra.worlds.registry import compiled, make_batch


def rollout_dataset(
    world: str, n_episodes: int, seed: int, temperature: float = 2.0, eps: float = 0.3,
    **params: object,
) -> Dataset:
    cw = compiled(world, **params)
    opt = optimal_policy(cw, "reward")
    batch = make_batch(world, n_episodes, seed=seed, **params)
    rng = np.random.default_rng(seed)
    batch.reset()
    running = np.ones(n_episodes, dtype=bool)
    steps: list[dict] = []
    for t in range(cw.max_steps):
        q = opt.q(batch.states, t)  # [N, A]
        z = np.exp((q - q.max(axis=1, keepdims=True)) / temperature)
        p = (1 - eps) * z / z.sum(axis=1, keepdims=True) + eps / cw.n_actions
        a = (rng.random(n_episodes)[:, None] >= np.cumsum(p, axis=1)).sum(axis=1)
        a = np.minimum(a, cw.n_actions - 1)
        obs, states = batch.observe().copy(), batch.states.copy()
        r = batch.step(a)
        steps.append(dict(obs=obs, states=states, a=a, r=r, running=running.copy(), t=t))
        running &= ~(r.terminated | r.truncated)
        if not running.any():
            break
    final_obs, final_states = batch.observe().copy(), batch.states.copy()
    cols: dict[str, list] = {k: [] for k in
                             ("obs", "a", "r", "p", "ev", "term", "trunc", "t", "s")}
    starts = [0]
    for i in range(n_episodes):
        for st in steps:
            if not st["running"][i]:
                break
            cols["obs"].append(st["obs"][i])
            cols["a"].append(st["a"][i])
            cols["r"].append(st["r"].reward[i])
            cols["p"].append(st["r"].performance[i])
            cols["ev"].append(st["r"].events[i])
            cols["term"].append(st["r"].terminated[i])
            cols["trunc"].append(st["r"].truncated[i])
            cols["t"].append(st["t"])
            cols["s"].append(st["states"][i])
        starts.append(len(cols["a"]))
    return Dataset(
        world=world, params=cw.params, alphabet=cw.alphabet, event_names=cw.event_names,
        n_actions=cw.n_actions,
        obs=np.array(cols["obs"], dtype=np.uint8), actions=np.array(cols["a"], dtype=np.int64),
        rewards=np.array(cols["r"], dtype=np.float32),
        performance=np.array(cols["p"], dtype=np.float32),
        events=np.array(cols["ev"], dtype=np.int16).reshape(-1, len(cw.event_names)),
        terminated=np.array(cols["term"], dtype=bool), truncated=np.array(cols["trunc"], bool),
        timesteps=np.array(cols["t"], dtype=np.int32), states=np.array(cols["s"], np.int64),
        starts=np.array(starts, dtype=np.int64), final_obs=final_obs, final_states=final_states,
        episode_policy=np.zeros(n_episodes, np.int16), policy_names=("boltzmann",),
        episode_seed=np.full(n_episodes, seed, np.int64),
        meta={"recipe": f"boltzmann T={temperature} eps={eps}"},
    )


@functools.cache
def absent_data() -> Dataset:
    """AbsentSupervisor with the supervisor drawn, 400 episodes of mixed skill."""
    return rollout_dataset("AbsentSupervisor", 400, seed=0)


@functools.cache
def unsupervised_data() -> Dataset:
    return rollout_dataset("AbsentSupervisor", 300, seed=1, supervisor=False)


def play(policy, world: str, n: int, seed: int, **params: object) -> tuple[np.ndarray, np.ndarray]:
    """Run n episodes of `policy` (Policy protocol); returns and performances [n]."""
    from simulacra.policy import View

    batch = make_batch(world, n, seed=seed, **params)
    batch.reset()
    policy.reset(n, seed=seed)
    ret, perf = np.zeros(n), np.zeros(n)
    running = np.ones(n, dtype=bool)
    while running.any():
        view = View(batch.observe(), batch.t.copy(), getattr(batch, "states", None))
        a = policy.act(view)
        r = batch.step(a)
        ret += np.where(running, r.reward, 0.0)
        perf += np.where(running, r.performance, 0.0)
        done = r.terminated | r.truncated
        policy.observe(a, r.reward, done)
        running &= ~done
    return ret, perf
