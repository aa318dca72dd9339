"""The HTML report: self-contained, every section present or marked as not measured."""

from __future__ import annotations

import re

import pytest

from simulacra.report.html import build_report
from simulacra.study.store import StoreError


def test_report_sections(dt_safer_study):
    path = build_report(dt_safer_study)
    text = path.read_text()
    for needle in ("The question", "Hypothesis", "Counter-claim", "Verdict",
                   "capability–harm frontier", "Calibration", "Replays",
                   "Out-of-distribution", "Quantilizer factor", "Drift", "DT safer",
                   "Failed jobs", "fails on purpose"):
        assert needle in text, needle
    assert text.count("<svg") >= 3  # frontier, OOD metric against knob, drift curves
    assert "not measured in this study" in text  # e.g. the quantilizer panel
    assert 'class="replay"' in text and "replay-data" in text


def test_report_is_self_contained(dt_safer_study):
    text = build_report(dt_safer_study).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "url(http" not in text and "fetch(" not in text and "@import" not in text


def test_report_of_a_folder_without_store(tmp_path):
    with pytest.raises(StoreError, match="no results store"):
        build_report(tmp_path)


def test_report_of_a_study_where_everything_failed(tmp_path):
    from simulacra.study.runner import run_study
    from simulacra.study.schema import validate
    from simulacra.study.testing import register_synthetic

    register_synthetic()
    s = validate({"name": "f", "seeds": 1, "worlds": ["AbsentSupervisor"], "learners": ["raises"]})
    run_study(s, tmp_path, backend="inline", show_progress=False)
    text = build_report(tmp_path).read_text()
    assert "fails on purpose" in text and "Verdict" in text
    assert text.count("not measured") >= 8
