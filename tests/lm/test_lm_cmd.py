"""`simulacra lm run`: one-line errors, the --json shape, resume and same-seed results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulacra.cli import app

TINY = """
name: lm-tiny
seeds: [0]
data: {documents: 300, comparisons: 100}
model: {width: 16, layers: 1, heads: 2}
pretrain: {epochs: 1.0}
eval: {samples: 32, pool: 128}
methods:
  conditional: {buckets: [0.5]}
  filtered: {q: [0.5], epochs: 0.5}
  best_of_n: {n: [4]}
  rl: {kl_coefs: [0.1], steps: 2, checkpoints: [1, 2], batch: 8, group: 4}
  iterated: {buckets: [0.5], rounds: 1, samples: 8, epochs: 0.5}
"""


def _run(tmp_path: Path, text: str, out: str = "out", *extra: str):
    study = tmp_path / "study.yaml"
    study.write_text(text)
    return CliRunner().invoke(app, ["lm", "run", str(study), "--out", str(tmp_path / out),
                                    *extra])


@pytest.mark.parametrize(("edit", "message"), [
    (("conditional: {buckets: [0.5]}", "sampling: {}"), "unknown method 'sampling'"),
    (("eval: {samples: 32", "eval: {sample: 32"), "eval: unknown field 'sample'"),
    (("rl: {kl_coefs: [0.1]", "rl: {kl_coefs: [x]"), "methods.rl.kl_coefs[0]: expected a number"),
    (("seeds: [0]", "seeds: [0, 0]"), "seeds: expected distinct integers"),
    (("name: lm-tiny", "colour: red"), "unknown field 'colour'"),
    (("checkpoints: [1, 2]", "checkpoints: [1, 9]"), "checkpoints: each in 1..steps"),
])
def test_bad_study_is_a_one_line_error(tmp_path, edit, message):
    result = _run(tmp_path, TINY.replace(*edit))
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_missing_study_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["lm", "run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read" in result.output
    assert result.output.count("\n") == 1


def test_a_store_that_is_not_duckdb_is_a_one_line_error(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.duckdb").write_text("not a database")
    result = _run(tmp_path, TINY)
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert result.output.count("\n") == 1


def test_json_shape_resume_and_same_seed_same_result(tmp_path):
    first = _run(tmp_path, TINY, "out", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert set(data["methods"]) == {"conditional", "filtered", "best_of_n", "rl", "iterated"}
    for method in data["methods"].values():
        for p in method["points"]:
            assert {"kl", "proxy", "gold", "impossible_rate", "loglik", "hacking"} <= set(p)
    assert [p["knob"] for p in data["methods"]["best_of_n"]["points"]] == [1.0, 4.0]  # n=1 added
    assert {p["knob"] for p in data["methods"]["rl"]["points"]} == {1.0, 2.0}
    assert [p["queries"] for p in data["methods"]["iterated"]["points"]] == [0.0, 8.0]
    assert set(data["fits"]) == {"best_of_n", "rl"}
    assert set(data["questions"]) == {"simulator", "safety", "trial_and_error"}
    assert all("verdict" in q for q in data["questions"].values())
    # the report: one file with the three answers, the Gao-style figure and every comparison
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.count("<svg") == 1 and "gold reward (the truth)" in page
    for q in data["questions"].values():
        assert f"<div class='word'>{q['verdict']}</div>" in page
        assert all(f"<td>{m}</td><td>{c['verdict']}</td>" in page
                   for m, c in q["measures"].items())
    # a rerun skips every finished unit and reports the same figures
    again = _run(tmp_path, TINY, "out", "--json")
    assert "all methods finished, skipped" in again.stderr
    assert json.loads(again.stdout) == data
    # a fresh folder recomputes them: same seed, same result
    fresh = _run(tmp_path, TINY, "fresh", "--json")
    assert json.loads(fresh.stdout) == data
    # a different study in the same folder is refused, not mixed in
    other = _run(tmp_path, TINY.replace("pool: 128", "pool: 64"), "out")
    assert other.exit_code == 2 and "holds another LM study" in other.output
