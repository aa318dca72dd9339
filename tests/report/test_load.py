"""The report refuses a store that holds no gridworld study with one line, not a traceback."""

from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from simulacra.cli import app


def _store(folder, table):
    folder.mkdir()
    con = duckdb.connect(str(folder / "results.duckdb"))
    con.execute(f"CREATE TABLE {table} (key VARCHAR, value VARCHAR)")
    con.close()


def test_a_language_model_store_is_named_and_pointed_elsewhere(tmp_path):
    _store(tmp_path / "lm", "lm_study")
    for extra in ([], ["--summary"], ["--json"]):
        res = CliRunner().invoke(app, ["report", str(tmp_path / "lm"), *extra])
        assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
        assert "language-model study" in res.output and "simulacra lm run" in res.output


def test_a_store_of_something_else_says_what_it_holds(tmp_path):
    _store(tmp_path / "x", "other")
    res = CliRunner().invoke(app, ["report", str(tmp_path / "x")])
    assert res.exit_code == 2 and "holds no gridworld study (tables: other)" in res.output


def test_plan_on_a_language_model_store_is_one_line(tmp_path, monkeypatch):
    _store(tmp_path / "lm", "lm_study")
    res = CliRunner().invoke(app, ["plan", "--out", str(tmp_path / "lm")])
    assert res.exit_code == 2 and "language-model study" in res.output
    assert "Traceback" not in res.output
