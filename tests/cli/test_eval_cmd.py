"""`simulacra eval` through the real CLI app."""

import json
import sys
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.data.storage import save_dataset
from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import make_reference

sys.path.insert(0, str(Path(__file__).parents[1] / "learners"))
from _dt_data import random_dataset

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


def _tiny_dt(tmp_path):
    data = save_dataset(random_dataset("AbsentSupervisor", 6, seed=0, max_steps=10),
                        tmp_path / "d.npz")
    out = tmp_path / "ck"
    trained = runner.invoke(app, ["train", "dt", "--data", str(data), "--out", str(out),
                                  "--steps", "3", "--hidden", "16", "--layers", "1",
                                  "--context", "4", "--batch-size", "8", "--quiet"])
    assert trained.exit_code == 0, trained.output
    return out


def test_one_row_per_target_and_a_warning_above_the_optimum(tmp_path):
    ckpt = _tiny_dt(tmp_path)
    result = runner.invoke(app, ["eval", str(ckpt), "-n", "6", "--target", "0",
                                 "--target", "500", "--json"])
    out = _json(result)
    assert out["targets"] == [0.0, 500.0] and out["episodes"] == 12
    rows = out["per_target"]
    assert [r["target"] for r in rows] == [0.0, 500.0] and all(r["episodes"] == 6 for r in rows)
    assert np.isclose(np.mean([r["return"] for r in rows]), out["return"])
    assert "above the exact optimum" in result.stderr
    table = runner.invoke(app, ["eval", str(ckpt), "-n", "4", "-g", "0", "-g", "500"])
    assert table.exit_code == 0 and "per target" in table.output


def test_a_target_for_a_policy_that_is_not_return_conditioned_is_an_error():
    result = runner.invoke(app, ["eval", "random", "-w", "AbsentSupervisor", "-n", "5",
                                 "--target", "40"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "not return-conditioned" in result.output


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


def test_decode_is_chosen_and_reported(tmp_path):
    """A DT checkpoint decodes greedily unless --decode sample says otherwise (what the study's
    verdicts read); sampled episodes of a barely trained DT differ from greedy ones."""
    ckpt = _tiny_dt(tmp_path)
    args = ["eval", str(ckpt), "-n", "30", "--target", "0", "--json"]
    default, greedy, sampled = (_json(runner.invoke(app, [*args, *extra]))
                                for extra in ([], ["--decode", "greedy"],
                                              ["--decode", "sample"]))
    assert (default["decode"], greedy["decode"], sampled["decode"]) == (
        "greedy", "greedy", "sample")
    assert default["return"] == greedy["return"]
    assert (sampled["return"], sampled["length"]) != (greedy["return"], greedy["length"])
    bad = runner.invoke(app, [*args, "--decode", "argmax"])
    assert bad.exit_code == 2 and "--decode 'argmax'" in bad.output
    ref = runner.invoke(app, ["eval", "random", "-w", "AbsentSupervisor", "-n", "3", "--json",
                              "--decode", "greedy"])
    assert _json(ref)["decode"] is None and "nothing to decode" in ref.stderr
