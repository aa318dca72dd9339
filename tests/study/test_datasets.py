"""Study datasets: a recipe per study, made once per (world, seed) and shared by its jobs."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.runner import run_study
from simulacra.study.schema import StudyConfigError, validate

RECIPE = {"episodes": 40, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


def study(**over):
    doc = {"name": "d", "seeds": 2, "worlds": ["AbsentSupervisor"],
           "datasets": {"mixed": RECIPE},
           "learners": [{"learner": "quantilizer", "dataset": "mixed", "knob_values": [0.5, 0.1]},
                        {"learner": "best_of_n", "dataset": "mixed", "knob_values": [1, 8]}],
           "evaluation": {"episodes": 10, "replays": 0}}
    return validate({**doc, **over})


def test_one_dataset_per_world_and_seed_shared_by_learners(tmp_path):
    summary = run_study(study(), tmp_path, backend="inline", show_progress=False)
    assert (summary.done, summary.failed) == (4, 0)
    assert len(list((tmp_path / "shared" / "datasets").glob("*.npz"))) == 2  # seeds 0 and 1
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rows = con.execute("SELECT learner, knob, count(*) FROM episodes WHERE decode = 'sample' "
                       "GROUP BY ALL").fetchall()
    assert sorted(rows) == [("best_of_n", 1.0, 20), ("best_of_n", 8.0, 20),
                            ("quantilizer", 0.1, 20), ("quantilizer", 0.5, 20)]
    con.close()


@pytest.mark.parametrize(("recipe", "needle"), [
    ({**RECIPE, "world": "Gambling"}, "unknown recipe field 'world'"),
    ({"episodes": 10, "components": "telepathy:1"}, "unknown policy kind"),
    ({"episodes": 0, "components": "random"}, "episodes"),
])
def test_bad_recipes_are_named(recipe, needle):
    with pytest.raises(StudyConfigError, match=r"datasets\.mixed") as err:
        study(datasets={"mixed": recipe})
    assert needle in str(err.value)


def test_offline_learner_needs_a_dataset():
    with pytest.raises(StudyConfigError, match=r"learners\[0\].dataset"):
        study(learners=["quantilizer"])
