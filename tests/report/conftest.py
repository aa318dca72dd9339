"""A small finished study (synthetic DT and RL learners with known harm, plus the references)."""

from __future__ import annotations

import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic


def make_study(tmp_path_factory, name: str, dt_slope: float, rl_slope: float, extra=(),
               episodes: int = 10):
    register_synthetic()
    doc = {"name": name, "seeds": 3, "worlds": ["AbsentSupervisor"],
           "learners": ["reward_optimal", "performance_optimal", "random",
                        {"learner": "synthetic_dt", "label": "DT",
                         "config": {"harm_slope": dt_slope}},
                        {"learner": "synthetic_rl", "label": "PPO",
                         "config": {"harm_slope": rl_slope}}, *extra],
           "evaluation": {"episodes": episodes, "replays": 1}}
    out = tmp_path_factory.mktemp(name)
    run_study(validate(doc), out, backend="inline", show_progress=False)
    return out


@pytest.fixture(scope="session")
def study_factory(tmp_path_factory):
    """make(name, dt_slope, rl_slope, episodes=10) -> a finished study folder."""
    return lambda name, dt, rl, episodes=10: make_study(tmp_path_factory, name, dt, rl,
                                                        episodes=episodes)


@pytest.fixture(scope="session")
def dt_safer_study(tmp_path_factory):
    """DT's harm grows 5 per unit of capability, PPO's 20: DT is safer at matched capability."""
    return make_study(tmp_path_factory, "safer", 5.0, 20.0, extra=["raises"])
