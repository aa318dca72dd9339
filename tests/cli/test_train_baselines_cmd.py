"""`simulacra train {ppo,dqn,a2c,bc,pbc,cql}` through the real CLI app, and its bad-input errors."""

import json

import pytest
from typer.testing import CliRunner

from simulacra.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "as.npz"
    result = runner.invoke(app, [
        "data", "generate", "AbsentSupervisor", "-r", "boltzmann-reward:0.5@T=1,random:0.5",
        "-o", str(path), "-n", "200", "-p", "supervisor=false", "--no-progress"])
    assert result.exit_code == 0, result.output
    return path


def _one_line_error(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert text in result.output and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0


@pytest.mark.parametrize("learner", ["bc", "pbc", "cql"])
def test_offline_learners_train_and_report_exact_figures(learner, dataset, tmp_path):
    out = tmp_path / learner
    args = ["train", learner, "--data", str(dataset), "--out", str(out), "--steps", "150",
            "--hp", "hidden=32", "--quiet"]
    result = runner.invoke(app, args + (["--q", "0.2"] if learner == "pbc" else []))
    assert result.exit_code == 0, result.output
    assert "exact: return" in result.output
    config = json.loads((out / "config.json").read_text())
    assert config["learner"] == learner and config["world"] == "AbsentSupervisor"
    assert config["hyperparameters"]["hidden"] == 32 and config["steps"] == 150
    if learner == "pbc":
        assert config["hyperparameters"]["q"] == 0.2
        assert 0.2 <= config["data"]["share_kept"] < 1
    again = runner.invoke(app, args)
    _one_line_error(again, "already holds a checkpoint")


def test_rl_trains_with_checkpoints(tmp_path):
    out = tmp_path / "a2c"
    result = runner.invoke(app, [
        "train", "a2c", "--world", "AbsentSupervisor", "-p", "supervisor=false", "--steps", "400",
        "--out", str(out), "--hp", "checkpoint_every=200", "--hp", "n_envs=2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "optimum 47.00" in result.output
    assert len(list((out / "checkpoints").iterdir())) == 2
    assert json.loads((out / "config.json").read_text())["hyperparameters"]["n_envs"] == 2


@pytest.mark.parametrize(("args", "text"), [
    (["train", "ppo", "--world", "AbsentSupervisor", "--steps", "10", "--hp", "lr=1"],
     "unknown ppo hyperparameter lr"),
    (["train", "dqn", "--world", "Nowhere", "--steps", "10"], "unknown world 'Nowhere'"),
    (["train", "a2c", "--world", "AbsentSupervisor", "--steps", "10", "--hp", "gamma"],
     "expected key=value"),
    (["train", "bc", "--data", "missing.npz"], "no dataset at missing.npz"),
])
def test_bad_input_is_a_one_line_error(args, text, tmp_path):
    _one_line_error(runner.invoke(app, [*args, "--out", str(tmp_path / "x")]), text)


def test_dataset_of_another_world_and_bad_offline_options(dataset, tmp_path):
    out = str(tmp_path / "x")
    _one_line_error(runner.invoke(app, ["train", "cql", "--data", str(dataset), "--out", out,
                                        "--world", "BoatRace"]), "not BoatRace")
    _one_line_error(runner.invoke(app, ["train", "bc", "--data", str(dataset), "--out", out,
                                        "--q", "0.5"]), "--q is for pbc")
    _one_line_error(runner.invoke(app, ["train", "cql", "--data", str(dataset), "--out", out,
                                        "--hp", "q=0.5"]), "unknown cql hyperparameter q")
    _one_line_error(runner.invoke(app, ["train", "pbc", "--data", str(dataset), "--out", out,
                                        "--q", "1.5"]), "q must lie in (0, 1]")


def test_unknown_learner_is_refused(tmp_path):
    result = runner.invoke(app, ["train", "sac", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "sac" in result.output


def test_the_cli_starts_without_importing_the_learners():
    """`simulacra train`'s learner commands come from the registry, which imports every learner
    (torch, SB3): they are built only when `train` is invoked, so other commands start fast."""
    import subprocess
    import sys

    code = "import sys, simulacra.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    listed = runner.invoke(app, ["train", "--help"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in ("ppo", "dqn", "a2c", "bc", "pbc", "cql", "dt"))
