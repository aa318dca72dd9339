"""Running part of a study with --only: what is selected, what errors, and that the rest of the
grid stays in the store, pending, for a later run to finish."""

from __future__ import annotations

import duckdb
import pytest

from simulacra.study.grid import expand
from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.select import SelectionError, parse_only, select


def study():
    return validate({"name": "sel", "seeds": 3, "worlds": ["AbsentSupervisor", "Gambling"],
                     "learners": ["random", {"learner": "reward_optimal",
                                             "worlds": ["AbsentSupervisor"]}],
                     "evaluation": {"episodes": 4, "replays": 1}})


def labels(jobs):
    return sorted((j.world.label, j.learner.label, j.seed) for j in jobs)


def test_values_of_one_field_are_alternatives_and_fields_combine():
    jobs = expand(study())
    chosen = select(jobs, parse_only(["seed=0", "seed=2", "learner=random"]))
    assert labels(chosen) == [("AbsentSupervisor", "random", 0), ("AbsentSupervisor", "random", 2),
                              ("Gambling", "random", 0), ("Gambling", "random", 2)]
    assert labels(select(jobs, parse_only(["world=Gambling"]))) == [
        ("Gambling", "random", s) for s in range(3)]


@pytest.mark.parametrize("items, message", [
    (["seed"], "expected FIELD=VALUE"),
    (["colour=red"], "unknown field 'colour'"),
    (["world=Nowhere"], "no such world"),
    (["seed=7"], "no such seed"),
    (["world=Gambling", "learner=reward_optimal"], "no job of the study matches"),
])
def test_bad_filters_are_one_line_errors(items, message):
    with pytest.raises(SelectionError, match=message):
        select(expand(study()), parse_only(items))


def test_a_partial_run_leaves_the_rest_pending_and_a_full_run_finishes_it(tmp_path):
    s = study()
    part = run_study(s, tmp_path, backend="inline", show_progress=False,
                     only=parse_only(["world=AbsentSupervisor", "seed=1"]))
    assert (part.total, part.done) == (2, 2)
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    status = dict(con.execute("SELECT status, count(*) FROM jobs GROUP BY status").fetchall())
    con.close()
    assert status == {"done": 2, "pending": 7}
    rest = run_study(s, tmp_path, backend="inline", show_progress=False)
    assert (rest.total, rest.skipped, rest.done) == (9, 2, 7)


def test_a_bad_filter_makes_no_folder(tmp_path):
    with pytest.raises(SelectionError):
        run_study(study(), tmp_path / "out", backend="inline", show_progress=False,
                  only=parse_only(["world=Nowhere"]))
    assert not (tmp_path / "out").exists()
