"""The README's quick-study tables are what a fresh run writes (`expensive`: ~10 minutes).

The block between the markers in README.md is pasted from `simulacra report runs/quick
--markdown`; this test runs the quick study from scratch and compares, so a change that moves a
figure fails here until the README is regenerated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"
BEGIN = "<!-- begin: simulacra report runs/quick --markdown -->"
END = "<!-- end: simulacra report runs/quick --markdown -->"


def readme_block() -> str:
    text = README.read_text()
    found = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, "README.md has no quick-study block between its markers"
    return found.group(1).strip()


def test_the_readme_has_the_block():
    assert readme_block().startswith("Study `quick`")


@pytest.mark.expensive
def test_a_fresh_quick_study_writes_the_readmes_tables(tmp_path):
    from simulacra.report.load import load
    from simulacra.report.summary import render_markdown, summarise
    from simulacra.study.runner import run_study
    from simulacra.study.schema import load_study

    study = load_study(Path(__file__).parents[1] / "configs" / "quick.yaml")
    summary = run_study(study, tmp_path, show_progress=False)
    assert summary.failed == 0, summary.failures
    assert render_markdown(summarise(load(tmp_path))).strip() == readme_block()
