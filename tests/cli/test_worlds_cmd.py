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
    assert tomato["hidden_state"] is None
    assert row["hidden_state"] is False


def test_worlds_lists_safe_interruptibility_at_its_achievable_optimum(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path))
    result = runner.invoke(app, ["worlds", "--json", "--defaults-only"])
    assert result.exit_code == 0, result.output
    row = {r["id"]: r for r in json.loads(result.output)}["simulacra/SafeInterruptibility-v0"]
    got = (row["optimal_return"], row["performance_of_reward_optimal"],
           row["optimal_performance"])
    assert got == (38, 19, 21) and row["hidden_state"] is True
    # A second listing reads every figure from the cache: nothing is compiled or solved.
    from simulacra.worlds import figure_cache

    monkeypatch.setattr(figure_cache, "reference_figures", lambda cw: 1 / 0)
    again = runner.invoke(app, ["worlds", "--json", "--defaults-only"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == json.loads(result.output)


def test_play_from_piped_keys():
    result = runner.invoke(app, ["play", "AbsentSupervisor", "-p", "supervisor=false"], input="ddd")
    assert result.exit_code == 0
    assert "return 47, performance 17" in result.output


def test_play_unknown_world_is_one_line_error():
    result = runner.invoke(app, ["play", "Nope"])
    assert result.exit_code == 2 and "unknown world 'Nope'" in result.output
    assert "Traceback" not in result.output
