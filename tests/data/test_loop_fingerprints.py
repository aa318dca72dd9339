"""The one episode loop (issue #16) changed no data: datasets and evaluation episodes hash to the
digests they had before the three loops became one (computed with the code of commit 9bb3787).

Worlds chosen to exercise what could move: stochastic initial states and transitions
(`Gambling`, `KeyToDoor`), a numpy world without tables (`TomatoWatering`), memory across
episodes (`FriendFoe` friend room), and waves whose copies end at different steps.
"""

import hashlib

import numpy as np
import pytest

from simulacra.data.behaviour import UniformBehaviour, make_mixture, world_info
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.evaluate.rollout import rollout

MIX = "boltzmann-reward:0.5@T=1,random:0.5"
CASES = [("AbsentSupervisor", {}), ("Gambling", {}), ("KeyToDoor", {}),
         ("TomatoWatering", {}), ("FriendFoe", {"room": "friend"})]


def _digest(obj, names) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + np.ascontiguousarray(getattr(obj, name)).tobytes())
    return h.hexdigest()[:16]


DATA_FIELDS = ("obs", "actions", "rewards", "performance", "events", "terminated", "truncated",
               "timesteps", "states", "starts", "final_obs", "final_states", "episode_policy",
               "episode_seed")
EVAL_FIELDS = ("returns", "performance", "events", "lengths", "seeds", "terminated_episode",
               "states", "actions", "rewards", "timesteps", "obs", "final_obs", "final_states")

DATA = {
    "AbsentSupervisor": "9e0eba3660d5f7fd",
    "Gambling": "03601886fd38f390",
    "KeyToDoor": "8412f06747550e17",
    "TomatoWatering": "56172b8b95716298",
    "FriendFoe": "d67c32c913e0fe81",
}
EVAL = {
    "AbsentSupervisor": "71942c6957e1720d",
    "Gambling": "1a1c1036b8df5e7f",
    "KeyToDoor": "1302085d130ef8dd",
    "TomatoWatering": "6debeaf15e16206b",
    "FriendFoe": "40bd8dbc49c5e834",
}


@pytest.mark.parametrize(("world", "params"), CASES)
def test_generated_data_is_unchanged(world, params):
    comps = MIX if world_info(world, params).tables is not None else "random:1"
    ds = generate(Recipe(world, 60, parse_components(comps), params, 3), batch_size=25,
                  progress=False)
    assert _digest(ds, DATA_FIELDS) == DATA[world]


@pytest.mark.parametrize(("world", "params"), CASES)
def test_evaluation_episodes_are_unchanged(world, params):
    info = world_info(world, params)
    policy = (make_mixture(parse_components(MIX), info) if info.tables is not None
              else UniformBehaviour(info.n_actions))
    eps = rollout(policy, world, params, episodes=60, seed=5, batch_size=25)
    assert _digest(eps, EVAL_FIELDS) == EVAL[world]
