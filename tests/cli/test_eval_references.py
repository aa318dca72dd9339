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
