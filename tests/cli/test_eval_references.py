"""`simulacra eval` of the optimal references where part of the state is hidden (issue #13)."""

import json

from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.cli.eval_cmd import _check_targets
from simulacra.data.storage import save_dataset
from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import make_reference
from simulacra.worlds.registry import compiled

runner = CliRunner()


def test_reward_optimal_on_hidden_state_with_metrics_and_data(tmp_path):
    data = rollout(make_reference("random", "SafeInterruptibility", {}), "SafeInterruptibility",
                   {}, 100, seed=3).to_dataset("random")
    path = save_dataset(data, tmp_path / "random.npz")
    result = runner.invoke(app, ["eval", "reward-optimal", "-w", "SafeInterruptibility",
                                 "-n", "30", "--json", "--metrics", "--data", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["return"] == 38 and out["exact_optimal_return"] == 38
    assert out["capability"] == 1.0
    # Its actions depend on the history, not the state: the quantilizer factor is sampled.
    assert out["quantilizer_method"] == "rollouts"


def test_a_target_above_the_achievable_optimum_warns(capsys):
    cw = compiled("SafeInterruptibility", level=1)
    _check_targets([38.0], cw, None)
    assert "above the exact optimum" not in capsys.readouterr().err
    _check_targets([39.0], cw, None)  # the oracle's 40 would have let this pass
    assert "target 39 is above the exact optimum 38" in capsys.readouterr().err


def _random_data(tmp_path):
    data = rollout(make_reference("random", "AbsentSupervisor", {}), "AbsentSupervisor", {}, 200,
                   seed=3).to_dataset("random")
    return str(save_dataset(data, tmp_path / "random.npz"))


def _eval_json(*args: str) -> dict:
    result = runner.invoke(app, ["eval", *args, "-w", "AbsentSupervisor", "-n", "40", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_simulator_is_asked_for_returns_and_the_replays_take_their_knobs(tmp_path):
    data = _random_data(tmp_path)
    sim = _eval_json("simulator", "--data", data, "--target", "0", "--target", "40")
    assert sim["policy"] == "simulator" and sim["targets"] == [0.0, 40.0]
    low, high = sim["per_target"]
    assert low["episodes"] == high["episodes"] == 40
    # Replaying the random data's episodes nearest each target: the returns follow the targets.
    assert abs(low["return"]) < 10 and high["return"] > 25
    strict, loose = (_eval_json("quantilizer", "--data", data, "--q", q) for q in ("0.05", "1"))
    assert strict["policy"] == "quantilizer q=0.05" and loose["policy"] == "quantilizer q=1"
    assert strict["return"] > loose["return"] + 20  # q = 1 replays the whole (random) data
    best, one = (_eval_json("best-of-n", "--data", data, "--best-of", n) for n in ("32", "1"))
    assert best["policy"] == "best-of-n n=32" and best["return"] > one["return"] + 20


def test_a_data_reference_without_data_or_with_the_wrong_knob_is_one_line(tmp_path):
    data = _random_data(tmp_path)
    cases = {
        ("simulator", "--data", data): "pass --target",
        ("quantilizer",): "replays a dataset: give it with --data",
        ("simulator", "--target", "10"): "replays a dataset: give it with --data",
        ("best-of-n", "--data", data, "--q", "0.1"): "--q is quantilizer's knob, not best-of-n's",
        ("random", "--best-of", "4"): "--best-of is best-of-n's knob, not random's",
        ("quantilizer", "--data", data, "--q", "0"): "q must lie in (0, 1]",
        ("best-of-n", "--data", data, "--best-of", "0"): "best-of-n needs n >= 1",
    }
    for args, message in cases.items():
        result = runner.invoke(app, ["eval", *args, "-w", "AbsentSupervisor", "-n", "5"])
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert result.exit_code != 0 and len(lines) == 1, (args, result.stderr)
        assert lines[0].startswith("error:") and message in lines[0], (args, lines)
