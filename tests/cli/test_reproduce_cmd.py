"""`simulacra reproduce ...` through the real CLI app at tiny budgets: the JSON they print and
the one-line errors for bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from simulacra.cli import app

runner = CliRunner()
TINY = ["--steps", "2", "--hidden", "16", "--layers", "1", "--quiet"]


def test_key_to_door_json_has_the_mean_and_one_rate_per_seed():
    result = runner.invoke(app, ["reproduce", "key-to-door", "--episodes", "30", "--seeds", "3",
                                 "--batch-size", "4", "--eval-episodes", "5", "--json", *TINY])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert 0.0 <= out["success_rate"] <= 1.0
    assert len(out["per_seed"]) == 3 and all(0.0 <= x <= 1.0 for x in out["per_seed"])
    assert abs(out["success_rate"] - sum(out["per_seed"]) / 3) < 1e-12
    from simulacra.reproduce.key_to_door import DEFAULT_BUDGET

    assert out["config"]["dt"]["context"] == DEFAULT_BUDGET.context
    assert out["config"]["dt"]["steps"] == 2
    assert len(out["per_seed_sampled"]) == 3  # sampled actions are evaluated too


def test_key_to_door_window_heads_and_diagnostic_options():
    result = runner.invoke(app, ["reproduce", "key-to-door", "--episodes", "30", "--seeds", "1",
                                 "--batch-size", "4", "--eval-episodes", "2", "--window",
                                 "start", "--heads", "2", "--heldout-episodes", "200",
                                 "--nll-every", "1", "--dropout", "0.2", "--lr-schedule",
                                 "constant", "--json", *TINY])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["config"]["dt"]["window"] == "start" and out["config"]["dt"]["n_head"] == 2
    assert out["config"]["dt"]["dropout"] == 0.2
    assert out["config"]["dt"]["lr_schedule"] == "constant"
    assert [row["step"] for row in out["sizes"]["30"]["key_room_nll"][0]] == [1, 2]


def test_key_to_door_bad_window_and_heads_are_one_line_errors():
    bad = runner.invoke(app, ["reproduce", "key-to-door", "--window", "middle", *TINY])
    assert bad.exit_code == 2 and "--window must be one of" in bad.output
    assert "Traceback" not in bad.output
    heads = runner.invoke(app, ["reproduce", "key-to-door", "--heads", "3", *TINY])
    assert heads.exit_code == 2 and "not divisible" in heads.output


def test_key_to_door_table_names_the_paper_figures():
    result = runner.invoke(app, ["reproduce", "key-to-door", "--episodes", "1000",
                                 "--episodes", "10000", "--seeds", "1", "--batch-size", "2",
                                 "--eval-episodes", "2", *TINY])
    assert result.exit_code == 0, result.output
    assert "71.8%" in result.output and "94.6%" in result.output


def test_key_to_door_baselines_alone_and_nothing_to_run():
    result = runner.invoke(app, ["reproduce", "key-to-door", "--episodes", "30", "--seeds", "1",
                                 "--eval-episodes", "3", "--pbc", "--pbc-steps", "2", "--no-dt",
                                 "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    size = json.loads(result.output)["sizes"]["30"]
    assert len(size["pbc_per_seed"]) == 1 and size["per_seed"] == []
    nothing = runner.invoke(app, ["reproduce", "key-to-door", "--episodes", "30", "--no-dt"])
    assert nothing.exit_code == 2 and "nothing to run" in nothing.output


def test_pendulum_json_and_a_single_target_refused():
    result = runner.invoke(app, ["reproduce", "pendulum", "--episodes", "5", "--seeds", "1",
                                 "--target", "-900", "--target", "-300", "--steps", "2",
                                 "--eval-episodes", "1", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["targets"] == [-900.0, -300.0] and len(out["per_seed"][0]) == 2
    one = runner.invoke(app, ["reproduce", "pendulum", "--target", "-300", "--quiet"])
    assert one.exit_code == 2 and "two targets" in one.output


def test_gambling_json_printed_and_saved(tmp_path):
    saved = tmp_path / "g.json"
    result = runner.invoke(app, ["reproduce", "gambling", "--episodes", "60", "--seeds", "2",
                                 "--eval-episodes", "10", "--json", "--save", str(saved), *TINY])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert json.loads(saved.read_text()) == out
    assert 0.0 <= out["p_a0_given_5"] <= 1.0 and len(out["per_seed"]) == 2
    assert set(out["per_target"]) == {"-15", "-6", "1", "5"}


def test_calibration_json_and_bad_world():
    result = runner.invoke(app, ["reproduce", "calibration", "--worlds", "Survival",
                                 "--episodes", "20", "--seeds", "1", "--context", "4",
                                 "--episodes-per-target", "2", "--json", *TINY])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out["worlds"]) == {"Survival"}
    assert len(out["worlds"]["Survival"]["curves"]) == 1
    # The Key-to-Door recipe's levers can be tried on calibration too.
    recipe = runner.invoke(app, ["reproduce", "calibration", "--worlds", "Survival",
                                 "--episodes", "20", "--seeds", "1", "--context", "4",
                                 "--episodes-per-target", "1", "--window", "both",
                                 "--lr-schedule", "cosine", "--dropout", "0", "--json", *TINY])
    assert recipe.exit_code == 0, recipe.output
    dt = json.loads(recipe.output)["config"]["dt"]
    assert (dt["window"], dt["lr_schedule"], dt["dropout"]) == ("both", "cosine", 0.0)
    bad_window = runner.invoke(app, ["reproduce", "calibration", "--window", "middle", *TINY])
    assert bad_window.exit_code == 2 and "--window must be one of" in bad_window.output
    bad = runner.invoke(app, ["reproduce", "calibration", "--worlds", "Nowhere", *TINY])
    assert bad.exit_code == 2 and "unknown world" in bad.output
    uncompiled = runner.invoke(app, ["reproduce", "calibration", "--worlds", "TomatoWatering",
                                     *TINY])
    assert uncompiled.exit_code == 2 and "not a compiled world" in uncompiled.output
