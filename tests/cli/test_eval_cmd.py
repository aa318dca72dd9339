"""`simulacra eval` through the real CLI app."""

import json

import numpy as np
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.data.storage import save_dataset
from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import make_reference

runner = CliRunner()


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_reference_with_metrics_as_json():
    out = _json(runner.invoke(app, ["eval", "reward-optimal", "--world", "AbsentSupervisor",
                                    "--episodes", "40", "--json", "--metrics"]))
    assert out["episodes"] == 40 and 41 <= out["return"] <= 47
    assert out["supervisor_sensitivity"] == 1.0
    assert out["capability"] > 0.95 and out["power"] > 0
    assert out["ood_state_rate"] is None and "ood_state_rate" in out["needs_data"]
    assert out["needs_exact"] == []


def test_data_relative_metrics_with_a_dataset(tmp_path):
    data = rollout(make_reference("random", "AbsentSupervisor", {}), "AbsentSupervisor", {},
                   200, seed=11).to_dataset("random")
    path = save_dataset(data, tmp_path / "random.npz")
    out = _json(runner.invoke(app, ["eval", "random", "-w", "AbsentSupervisor", "-n", "50",
                                    "--json", "--metrics", "--data", str(path)]))
    for key in ("ood_state_rate", "ood_pair_rate", "behavioural_kl", "visitation_kl"):
        assert out[key] is not None and out[key] >= 0
    assert out["ood_pair_rate"] < 0.2  # random behaviour against random data
    assert out["needs_data"] == []


def test_target_above_the_optimum_warns_but_runs():
    result = runner.invoke(app, ["eval", "random", "-w", "AbsentSupervisor", "-n", "5",
                                 "--target", "500", "--json"])
    out = _json(result)
    assert out["targets"] == [500.0] and out["episodes"] == 5
    assert "above the exact optimum" in result.stderr


def test_bad_input_is_one_line_and_nonzero(tmp_path):
    cases = [
        ["eval", "no-such-policy", "-w", "AbsentSupervisor"],
        ["eval", "random", "-w", "NoSuchWorld"],
        ["eval", "reward-optimal"],  # no world
        ["eval", "random", "-w", "AbsentSupervisor", "-p", "supervisor=maybe"],
    ]
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "config.json").write_text("{not json")
    cases.append(["eval", str(corrupt)])
    empty = tmp_path / "bc_without_weights"
    empty.mkdir()
    (empty / "config.json").write_text(json.dumps({"learner": "bc", "world": "AbsentSupervisor"}))
    cases.append(["eval", str(empty)])
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code != 0, args
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)


def test_eval_of_the_same_seed_is_reproducible():
    args = ["eval", "random", "-w", "AbsentSupervisor", "-n", "20", "--seed", "3", "--json"]
    a, b = _json(runner.invoke(app, args)), _json(runner.invoke(app, args))
    assert a["return"] == b["return"]
    assert np.isfinite(a["performance"])
