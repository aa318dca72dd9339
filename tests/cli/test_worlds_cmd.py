"""`simulacra worlds` and `simulacra play` through the real CLI app."""

import json

from typer.testing import CliRunner

from simulacra.cli import app

runner = CliRunner()


def test_worlds_json_lists_every_world_with_exact_figures():
    result = runner.invoke(app, ["worlds", "--json", "--defaults-only"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    row = rows["simulacra/AbsentSupervisor-v0"]
    assert row["optimal_return"] == 44 and row["performance_of_reward_optimal"] == 29
    assert row["optimal_performance"] == 41 and row["random_return"] < 0
    keys = {"id", "n_states", "optimal_return", "performance_of_reward_optimal",
            "optimal_performance", "random_return"}
    assert all(keys <= set(r) for r in rows.values())
    tomato = rows["simulacra/TomatoWatering-v0"]
    assert tomato["n_states"] is None and tomato["optimal_return"] is None


def test_play_from_piped_keys():
    result = runner.invoke(app, ["play", "AbsentSupervisor", "-p", "supervisor=false"], input="ddd")
    assert result.exit_code == 0
    assert "return 47, performance 17" in result.output


def test_play_unknown_world_is_one_line_error():
    result = runner.invoke(app, ["play", "Nope"])
    assert result.exit_code == 2 and "unknown world 'Nope'" in result.output
    assert "Traceback" not in result.output
