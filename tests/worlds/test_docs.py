"""docs/worlds.md is generated from the world modules and is current; their checks hold."""

import re
from pathlib import Path

import pytest

from simulacra.worlds import docs
from simulacra.worlds.trajectory import play_keys

ROOT = Path(__file__).resolve().parents[2]
ALL_CHECKS = [c for module in docs.modules() for c in docs.checks(module)]


def test_worlds_md_is_current():
    committed = (ROOT / "docs" / "worlds.md").read_text()
    assert committed == docs.render(), (
        "docs/worlds.md is stale: run `python -m simulacra.worlds.docs` and commit it"
    )


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: f"{c.world}:{c.line[2:40]}")
def test_docstring_check_trajectories_hold(check):
    played = play_keys(check.world, check.keys, **check.params)
    assert (played.ret, played.performance) == pytest.approx((check.ret, check.performance))


def test_every_world_but_the_stochastic_ones_has_checks():
    checked = {c.world for c in ALL_CHECKS}
    # Their start or outcome is drawn; their checks are prose pointing at the tests that average.
    stochastic = {"TomatoWatering", "TomatoCRMDP", "FriendFoe", "KeyToDoor", "Gambling"}
    assert checked == set(docs.WORLDS) - stochastic


def test_a_malformed_check_line_is_an_error(monkeypatch):
    bad = "Survival: x\n\n## Checks\n- `rrr` gives 0 / 0\n"
    monkeypatch.setattr(docs, "docstring", lambda module: bad)
    with pytest.raises(ValueError, match="malformed check line"):
        docs.checks("survival")


def test_check_line_parses_repeats_and_parameters(monkeypatch):
    doc = 'C: x\n\n## Checks\nprose\n- `dd` + `n` x 3 with `variant="sushi"`: 0 / -2.5 (why)\n'
    monkeypatch.setattr(docs, "docstring", lambda module: doc)
    (check,) = docs.checks("conveyor_belt")
    assert check.keys == "ddnnn" and check.params == {"variant": "sushi"}
    assert (check.world, check.ret, check.performance) == ("ConveyorBelt", 0.0, -2.5)


def test_a_docstring_missing_a_template_section_is_an_error(monkeypatch):
    monkeypatch.setattr(docs, "docstring", lambda module: "Gambling: x\n\n## Description\nd\n")
    with pytest.raises(ValueError, match="lacks sections"):
        docs.world_section("gambling", ["Gambling"])


def test_check_flag_reports_a_stale_file_and_writing_refreshes_it(tmp_path, capsys):
    out = tmp_path / "worlds.md"
    out.write_text("old\n")
    assert docs.main(["--out", str(out), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert docs.main(["--out", str(out)]) == 0
    assert docs.main(["--out", str(out), "--check"]) == 0


def test_side_by_side_wraps_past_the_width():
    text = docs.side_by_side([("a", ["##", "##"]), ("b", ["###"])], width=4)
    assert text.split("\n") == ["a", "##", "##", "", "b", "###"]
    assert docs.side_by_side([("a", ["#"]), ("b", ["#"])]).split("\n") == ["a   b", "#   #"]


def test_an_unwritable_out_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert docs.main(["--out", str(tmp_path / "file" / "worlds.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and err.count("\n") == 1


def test_every_table_row_has_as_many_cells_as_its_header():
    # A `|` inside a cell (`bool | None`) must be escaped, or GitHub splits the cell in two.
    tables: list[list[int]] = [[]]
    for line in docs.render().splitlines():
        if line.startswith("|"):
            tables[-1].append(len(re.split(r"(?<!\\)\|", line)))
        elif tables[-1]:
            tables.append([])
    tables = [t for t in tables if t]
    assert len(tables) > 5
    assert all(set(t) == {t[0]} for t in tables), tables
