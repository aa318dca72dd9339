"""`simulacra train dt` through the real CLI app: a checkpoint on success, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.data.storage import save_dataset
from simulacra.learners.dt_train import load_checkpoint

sys.path.insert(0, str(Path(__file__).parents[1] / "learners"))
from _dt_data import random_dataset

runner = CliRunner()
SMALL = ["--steps", "3", "--hidden", "16", "--layers", "1", "--context", "4",
         "--batch-size", "8", "--quiet"]


def test_train_dt_writes_a_checkpoint(tmp_path):
    data = save_dataset(random_dataset("AbsentSupervisor", 6, seed=0, max_steps=10),
                        tmp_path / "d.npz")
    out = tmp_path / "ck"
    result = runner.invoke(app, ["train", "dt", "--data", str(data), "--out", str(out),
                                 "--seed", "3", *SMALL])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "config.json").read_text())
    assert info["learner"] == "dt" and info["seed"] == 3 and info["model"]["context"] == 4
    # Options not given take TrainConfig's defaults (written once, in the learner).
    from simulacra.learners.dt_train import TrainConfig

    assert info["train"]["lr"] == TrainConfig().lr
    assert info["train"]["warmup_steps"] == TrainConfig().warmup_steps
    model, _ = load_checkpoint(out, device="cpu")
    assert model.cfg.hidden == 16
    # An existing checkpoint is never overwritten silently.
    again = runner.invoke(app, ["train", "dt", "--data", str(data), "--out", str(out), *SMALL])
    assert again.exit_code == 2 and "already holds a checkpoint" in again.output


def test_corrupt_dataset_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = runner.invoke(app, ["train", "dt", "--data", str(bad), "--out",
                                 str(tmp_path / "ck"), *SMALL])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "ck").exists()
