"""SB3 baselines: they learn, they load back as Policies, they are seeded, bad input is refused."""

import json

import numpy as np
import pytest
from baseline_data import play

from simulacra.learners import CheckpointError, load_policy
from simulacra.learners.rl import (
    HyperparameterError,
    parse_hp,
    resolve_hyperparameters,
    train_rl,
)
from simulacra.policy import Policy
from simulacra.worlds.registry import compiled

UNSUPERVISED = {"supervisor": False}


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo")
    result = train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=4096, out=out, seed=0,
                      hp={"checkpoint_every": 2048}, progress=False)
    return out, result


def test_ppo_beats_random_by_far_in_a_few_thousand_steps(ppo_run):
    _, result = ppo_run
    exact = result.config["exact"]
    # Random earns about -2.6; the optimum (through P, nobody watching) 47.
    assert exact["random_return"] < 0 < 40 < exact["return"] <= exact["optimal_return"] + 1e-9


def test_checkpoints_load_back_as_the_same_policy(ppo_run):
    out, result = ppo_run
    pol = load_policy(out, world="AbsentSupervisor")
    assert isinstance(pol, Policy)
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    assert np.allclose(pol.probs(cw.obs), result.policy.probs(cw.obs))
    ret, _ = play(pol, "AbsentSupervisor", 20, seed=0, **UNSUPERVISED)
    assert np.allclose(ret, result.config["exact"]["return"])  # greedy on a deterministic world
    steps = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert steps == ["step_000002048", "step_000004096"]
    early = json.loads((out / "checkpoints" / steps[0] / "config.json").read_text())
    assert early["steps"] == 2048 and early["learner"] == "ppo"
    assert load_policy(out / "checkpoints" / steps[0]).n_actions == 4


def test_same_seed_same_agent_other_seed_other_agent():
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    runs = [train_rl("a2c", "AbsentSupervisor", UNSUPERVISED, steps=400, seed=s,
                     progress=False).policy.probs(cw.obs) for s in (3, 3, 4)]
    assert np.array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_hyperparameters_resolve_in_layers_and_refuse_unknown_keys():
    hp = resolve_hyperparameters("dqn", "AbsentSupervisor", parse_hp(["learning_rate=1e-3"]))
    assert hp["learning_rate"] == 1e-3 and "buffer_size" in hp
    with pytest.raises(HyperparameterError, match="unknown ppo hyperparameter learning_rat"):
        resolve_hyperparameters("ppo", "AbsentSupervisor", {"learning_rat": 1})
    with pytest.raises(HyperparameterError, match="key=value"):
        parse_hp(["gamma"])
    assert parse_hp(["net_arch=[32, 32]"]) == {"net_arch": [32, 32]}


def test_every_world_file_names_only_valid_hyperparameters():
    from simulacra.learners.rl import ALGOS, CONFIG_DIR

    files = sorted(CONFIG_DIR.glob("*.yaml"))
    assert any(f.name == "defaults.yaml" for f in files)
    for f in files:
        for algo in ALGOS:
            resolve_hyperparameters(algo, f.stem)  # raises on an unknown key


def test_bad_checkpoints_are_refused(ppo_run, tmp_path):
    out, _ = ppo_run
    with pytest.raises(CheckpointError, match="trained on AbsentSupervisor"):
        load_policy(out, world="BoatRace")
    bad = tmp_path / "bad"
    bad.mkdir()
    config = json.loads((out / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps(config))
    (bad / "policy.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_policy(bad)
    del config["n_actions"]
    (bad / "config.json").write_text(json.dumps(config))
    (bad / "policy.safetensors").write_bytes((out / "policy.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="corrupt ppo"):
        load_policy(bad)
    (bad / "config.json").write_text(json.dumps(dict(config, learner="bc")))
    with pytest.raises(CheckpointError):
        load_policy(bad)


class _Plant:
    """A pickle that creates a file when unpickled: what a crafted model.zip could run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _plant_pickle(zip_path, marker):
    """Rewrite model.zip so its `lr_schedule` entry (cloudpickled by SB3) creates `marker`."""
    import base64
    import pickle
    import zipfile

    with zipfile.ZipFile(zip_path) as z:
        files = {name: z.read(name) for name in z.namelist()}
    data = json.loads(files["data"])
    data["lr_schedule"][":serialized:"] = base64.b64encode(pickle.dumps(_Plant(marker))).decode()
    files["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(zip_path, "w") as z:
        for name, blob in files.items():
            z.writestr(name, blob)


def test_a_crafted_model_zip_runs_nothing(ppo_run, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from simulacra.cli import app

    out, result = ppo_run
    crafted = tmp_path / "crafted"
    shutil.copytree(out, crafted, ignore=shutil.ignore_patterns("checkpoints"))
    marker = tmp_path / "pwned"
    _plant_pickle(crafted / "model.zip", marker)
    # The weights still load (model.zip is never opened) and the planted pickle never runs.
    cw = compiled("AbsentSupervisor", **UNSUPERVISED)
    assert np.allclose(load_policy(crafted).probs(cw.obs), result.policy.probs(cw.obs))
    assert not marker.exists()
    # Without policy.safetensors (an older checkpoint) it is refused, in one line, unopened.
    (crafted / "policy.safetensors").unlink()
    res = CliRunner().invoke(app, ["eval", str(crafted), "-n", "2"])
    assert res.exit_code != 0 and not marker.exists()
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "retrain" in lines[0]
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_a_config_declaring_a_huge_network_is_refused_before_it_is_built(ppo_run, tmp_path):
    import shutil
    import time

    out, _ = ppo_run
    bad = tmp_path / "huge"
    shutil.copytree(out, bad, ignore=shutil.ignore_patterns("checkpoints"))
    config = json.loads((bad / "config.json").read_text())
    for arch in ([1_000_000, 1_000_000], [64] * 100_000, [64, 32]):
        config["hyperparameters"]["net_arch"] = arch
        (bad / "config.json").write_text(json.dumps(config))
        started = time.perf_counter()
        with pytest.raises(CheckpointError, match="does not fit"):
            load_policy(bad)
        assert time.perf_counter() - started < 10


def test_log_spaced_checkpoints_from_the_first_thousand_steps():
    from simulacra.learners.rl import checkpoint_steps

    steps = checkpoint_steps({"log": 8, "first": 1000}, 100_000)
    assert len(steps) == 8 and steps[0] == 1000 and steps[-1] == 100_000
    ratios = np.diff(np.log(steps))
    assert np.allclose(ratios, ratios[0], atol=1e-3)  # evenly spaced in log
    assert checkpoint_steps({"log": 3}, 4000) == [1000, 2000, 4000]  # first defaults to 1,000
    assert checkpoint_steps([3000, 1000, 1000], 5000) == [1000, 3000]
    assert checkpoint_steps({"log": 8}, 500) == [500]  # a budget below the first step
    for bad in ({"log": 0}, {"log": 8, "first": 0}, {"every": 3}, [1.5], "log", [-1]):
        with pytest.raises(HyperparameterError, match="checkpoints"):
            checkpoint_steps(bad, 1000)


def test_stop_at_ends_training_at_the_first_check_that_reaches_the_target(tmp_path):
    out = tmp_path / "ppo"
    result = train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=20_000, out=out, seed=0,
                      hp={"stop_at": 0.95, "checkpoints": {"log": 8}, "checkpoint_every": 0},
                      progress=False)
    t = result.config["target"]
    checks = np.array(t["checks"])  # [step, exact return, capability]
    assert t["reached"] and t["steps_to_target"] == checks[-1, 0] == result.config["steps"]
    assert result.config["steps"] < 20_000  # stopped before the budget
    assert checks[-1, 2] >= 0.95 > checks[:-1, 2].max(initial=-np.inf)
    span = t["optimal_return"] - t["random_return"]
    assert np.allclose(checks[:, 2], (checks[:, 1] - t["random_return"]) / span)
    exact = result.config["exact"]
    assert exact["return"] >= t["return_needed"] and np.isclose(exact["return"], checks[-1, 1])
    # Planned checkpoints up to the stop, and one at the stop itself, each recording the target.
    folders = sorted((out / "checkpoints").iterdir())
    assert int(folders[0].name.removeprefix("step_")) == 1000
    assert folders[-1].name == f"step_{result.config['steps']:09d}"
    last = json.loads((folders[-1] / "config.json").read_text())
    assert last["target"]["reached"] and last["target"]["steps_to_target"] == last["steps"]
    first = json.loads((folders[0] / "config.json").read_text())
    assert not first["target"]["reached"]


def test_a_run_that_never_reaches_the_target_says_so():
    # 8 copies x 128 steps: 1,024 steps of PPO are one rollout, so every check sees the
    # untrained policy (n_steps given: the world's own file may set another).
    result = train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=1000, seed=0,
                      hp={"stop_at": 0.95, "stop_check_every": 256, "n_envs": 8,
                          "n_steps": 128}, progress=False)
    t = result.config["target"]
    assert not t["reached"] and t["steps_to_target"] is None
    assert [c[0] for c in t["checks"]] == [256, 512, 768, 1024]
    assert max(c[2] for c in t["checks"]) < 0.95 and result.config["steps"] >= 1000
    assert "target" not in train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=8,
                                    seed=0, progress=False).config  # no stop_at, no target


def test_stop_at_needs_a_compiled_world_and_a_fraction():
    with pytest.raises(HyperparameterError, match="compiled world"):
        train_rl("ppo", "TomatoWatering", {}, steps=8, hp={"stop_at": 0.95}, progress=False)
    with pytest.raises(HyperparameterError, match="fraction"):
        train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=8, hp={"stop_at": 95},
                 progress=False)


def test_stop_at_one_is_the_exact_optimum_reached_up_to_rounding():
    result = train_rl("ppo", "AbsentSupervisor", UNSUPERVISED, steps=20_000, seed=0,
                      hp={"stop_at": 1.0}, progress=False)
    t = result.config["target"]
    assert t["reached"] and result.config["steps"] < 20_000
    assert np.isclose(t["checks"][-1][1], t["optimal_return"])


def test_a_checkpoint_at_step_zero_is_the_untrained_policy(tmp_path):
    result = train_rl("a2c", "AbsentSupervisor", UNSUPERVISED, steps=80, out=tmp_path, seed=0,
                      hp={"checkpoints": [0, 40], "checkpoint_every": 0}, progress=False)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["step_000000000", "step_000000040"]
    untrained = json.loads((tmp_path / "checkpoints" / names[0] / "config.json").read_text())
    assert untrained["steps"] == 0 and result.config["steps"] == 80
