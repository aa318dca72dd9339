"""`simulacra sql DIR "QUERY"`: the README's queries on a study's store, read-only."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def study_dir(tmp_path, tiny_study, cli):
    study = tmp_path / "s.yaml"
    study.write_text(tiny_study)
    out = tmp_path / "out"
    ran = cli("run", str(study), "--out", str(out), "--backend", "inline", "--no-progress",
              "--no-report")
    assert ran.exit_code == 0, ran.output
    return out


def test_query_prints_rows_as_json_csv_and_table(study_dir, cli):
    q = "SELECT learner, count(*) AS n FROM episodes GROUP BY ALL ORDER BY ALL"
    res = cli("sql", str(study_dir), q, "--format", "json")
    assert res.exit_code == 0, res.output
    # 2 seeds x 5 episodes of each of the tiny study's two learners, under each of 2 decodes.
    assert json.loads(res.output) == [{"learner": "random", "n": 20},
                                      {"learner": "reward_optimal", "n": 20}]
    res = cli("sql", str(study_dir), q, "--format", "csv")
    assert res.output.splitlines() == ["learner,n", "random,20", "reward_optimal,20"]
    res = cli("sql", str(study_dir), q)
    assert res.exit_code == 0 and "reward_optimal" in res.output


def test_limit_says_rows_were_left_out(study_dir, cli):
    res = cli("sql", str(study_dir), "SELECT * FROM episodes", "--format", "csv", "--limit", "3")
    assert res.exit_code == 0
    assert len(res.stdout.splitlines()) == 4  # header + 3 rows
    assert "first 3 rows" in res.output


def test_store_is_read_only(study_dir, cli):
    res = cli("sql", str(study_dir), "DELETE FROM episodes")
    assert res.exit_code == 2
    assert res.output.startswith("error: query failed:") and res.output.count("\n") == 1
    count = cli("sql", str(study_dir), "SELECT count(*) AS n FROM episodes", "--format", "json")
    assert json.loads(count.output) == [{"n": 40}]


def test_bad_query_and_missing_store_are_one_line_errors(tmp_path, study_dir, cli):
    res = cli("sql", str(study_dir), "SELECT nope FROM episodes")
    assert res.exit_code == 2 and res.output.count("\n") == 1
    res = cli("sql", str(tmp_path / "nothing"), "SELECT 1")
    assert res.exit_code == 2 and "no results store" in res.output
    res = cli("sql", str(study_dir), "SELECT 1", "--format", "xml")
    assert res.exit_code == 2
