"""`simulacra watch`: a policy acting, frame by frame, with a legend and a GIF."""

from __future__ import annotations

from PIL import Image
from typer.testing import CliRunner

from simulacra.cli import app

runner = CliRunner()


def test_reference_plays_one_episode_with_legend_and_totals(tmp_path):
    gif = tmp_path / "ep.gif"
    res = runner.invoke(app, ["watch", "reward-optimal", "-w", "AbsentSupervisor",
                              "-p", "supervisor=false", "--gif", str(gif)])
    assert res.exit_code == 0, res.output
    # Unsupervised, the reward-optimal path cuts through P: 3 steps, return 47, performance 17.
    assert "episode over after 3 steps: return 47, performance 17" in res.output
    assert "punished_unsupervised=1" in res.output
    assert res.output.count("legend: ") == 1  # piped: one heading, then the frames
    assert res.output.count("events: ") == 4  # one frame before each of the 3 steps, one total
    assert "(walls, floor, agent, goal, punishment, supervisor)" in res.output
    with Image.open(gif) as img:
        assert img.n_frames == 4  # the start, and the board after each step


def test_bad_input_is_one_line():
    for args in (["watch", "random", "-w", "AbsentSupervisor", "--target", "40"],
                 ["watch", "random", "-w", "Mars"],
                 ["watch", "random", "-w", "AbsentSupervisor", "--gif", "x.png"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2 and res.output.startswith("error:"), (args, res.output)
        assert res.output.count("\n") == 1


def test_play_shows_the_legend_once_when_piped():
    res = runner.invoke(app, ["play", "AbsentSupervisor", "-p", "supervisor=false"], input="ddd")
    assert res.exit_code == 0
    assert res.output.count("legend: ") == 1 and "punishment, supervisor" in res.output
    assert res.output.count("step ") == 4  # the start and three moves, one after another
