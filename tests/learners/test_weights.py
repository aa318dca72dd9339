"""Checkpoint configs are checked against their weights files before any network is built."""

from __future__ import annotations

import json
import resource
import time

import pytest
from _dt_data import random_dataset
from baseline_data import unsupervised_data

from simulacra.learners import CheckpointError, load_policy
from simulacra.learners.bc import BCConfig, train_bc
from simulacra.learners.dt_train import TrainConfig, train_dataset


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refused_fast(folder, edit, key: str, value: object) -> None:
    """Set config.json[edit...][key] = value: loading fails in under 5 s, without growing."""
    path = folder / "config.json"
    info = json.loads(path.read_text())
    section = info
    for part in edit:
        section = section[part]
    section[key] = value
    path.write_text(json.dumps(info))
    before, started = _peak_mb(), time.perf_counter()
    with pytest.raises(CheckpointError, match="does not fit"):
        load_policy(folder)
    assert time.perf_counter() - started < 5
    assert _peak_mb() - before < 200  # peak RSS grew by less than 200 MB


@pytest.fixture(scope="module")
def dt_ckpt(tmp_path_factory):
    out = tmp_path_factory.mktemp("dt") / "ck"
    data = random_dataset("AbsentSupervisor", 6, seed=0, max_steps=10)
    train_dataset(data, TrainConfig(steps=2, hidden=16, n_layer=1, n_head=1, context=4,
                                    batch_size=8, progress=False), out)
    return out


@pytest.mark.parametrize(("key", "value"), [("hidden", 16384), ("n_layer", 1_000_000),
                                            ("max_timestep", 10**9), ("n_layer", 2)])
def test_dt_config_larger_than_its_weights_is_refused_before_building(dt_ckpt, tmp_path,
                                                                        key, value):
    import shutil

    folder = tmp_path / "ck"
    shutil.copytree(dt_ckpt, folder)
    _refused_fast(folder, ["model"], key, value)


def test_bc_config_larger_than_its_weights_is_refused_before_building(tmp_path):
    train_bc(unsupervised_data(), BCConfig(steps=3, hidden=16), out=tmp_path / "bc",
             progress=False)
    load_policy(tmp_path / "bc")  # the untouched checkpoint loads
    _refused_fast(tmp_path / "bc", ["hyperparameters"], "hidden", 200_000)
    _refused_fast(tmp_path / "bc", ["hyperparameters"], "layers", 1_000_000)


def test_dt_context_no_weight_bounds_is_capped(dt_ckpt, tmp_path):
    import shutil

    from simulacra.learners.dt import MAX_CONTEXT

    folder = tmp_path / "ck"
    shutil.copytree(dt_ckpt, folder)
    info = json.loads((folder / "config.json").read_text())
    info["model"]["context"] = 10**7  # the weights fit, but acting would cache 3e7 tokens a row
    (folder / "config.json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match=f"limit of {MAX_CONTEXT}"):
        load_policy(folder)
