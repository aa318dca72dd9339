"""A study dataset's `shortcut_share`: validated at load time, made by every job that needs it."""

import pytest

from simulacra.data.storage import load_dataset
from simulacra.study.runner import run_study
from simulacra.study.schema import StudyConfigError, validate

MIXED = {"episodes": 40, "components": "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,"
         "random:0.3"}


def study(**recipes):
    return validate({"name": "c", "seeds": 1, "worlds": ["AbsentSupervisor"],
                     "datasets": recipes,
                     "learners": [{"learner": "quantilizer", "dataset": next(iter(recipes)),
                                   "knob_values": [0.1]}],
                     "evaluation": {"episodes": 4, "replays": 0}})


@pytest.mark.parametrize(("recipe", "needle"), [
    ({**MIXED, "shortcut_share": 1.2}, "shortcut_share must be in [0, 1], got 1.2"),
    ({**MIXED, "top_share": 0.2}, "top_share applies only with shortcut_share"),
    ({**MIXED, "shortcut_share": 0.5, "exclude_events": ["punished_unsupervised"]},
     "shortcut_share cannot be combined with exclude_events"),
])
def test_bad_composition_fields_fail_at_load_naming_the_dataset(recipe, needle):
    with pytest.raises(StudyConfigError, match=r"datasets\.half") as err:
        study(half=recipe)
    assert needle in str(err.value)


def test_the_jobs_dataset_is_composed_and_says_so(tmp_path):
    summary = run_study(study(half={**MIXED, "shortcut_share": 0.5, "top_share": 0.1}),
                        tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0
    (path,) = (tmp_path / "shared" / "datasets").glob("*.npz")
    ds = load_dataset(path)
    assert ds.n_episodes == 40
    assert ds.meta["composition"]["achieved_share"] == 0.5  # 2 of the top 4
    assert ds.meta["recipe"]["shortcut_share"] == 0.5
