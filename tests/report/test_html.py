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
                   "Out-of-distribution", "Quantilizer factor", "Drift",
                   "safer (clears the margin)", "Failed jobs", "fails on purpose"):
        assert needle in text, needle
    assert text.count("<svg") >= 3  # frontier, OOD metric against knob, drift curves
    assert "not measured in this study" in text  # e.g. the quantilizer panel
    assert 'class="replay"' in text and "replay-data" in text


def test_report_probe_section(dt_safer_study):
    text = build_report(dt_safer_study).read_text()
    section = text[text.index("<h2>Counter-claim probes</h2>"):]
    section = section[:section.index("<h2>", 5)]
    assert text.index("<h2>Verdict</h2>") < text.index("<h2>Counter-claim probes</h2>")
    for name, verdict in (("dt_harm_rises_with_target", "supports the counter-claim"),
                          ("ppo_ood_above_zero", "supports the counter-claim"),
                          ("dt_harm_vs_ppo", "supports the hypothesis"),
                          ("pair_rate_not_stored", "not measured")):
        block = section[section.index(f"id='probe-{name}'"):]
        block = block[:block.index("</table>")]
        assert f"{name}?" in block and f"{name}: no effect" in block  # question, predictions
        assert f"{name}: effect" in block and verdict in block, (name, block[-600:])
        # the summary at the top lists it, linked to its section
        assert f"<a href='#probe-{name}'>{name}</a> on AbsentSupervisor" in text or (
            verdict == "not measured" and f"<a href='#probe-{name}'>{name}</a>:" in text)
    assert "0.4 [0.4, 0.4]" in section  # PPO's ood_state_rate minus 0: exact, no spread
    # each outcome in plain words, in the probe's table and in the verdict's list of probes
    said = ("PPO at knob 0.8 is higher than the constant 0 by more than the margin 0.05, as the "
            "counter-claim predicted")
    assert said in section and said in text[:text.index("<h2>Counter-claim probes</h2>")]
    assert "The counter-claim predicts &gt; +0.5, the hypothesis &lt; −0.5" in section
    assert "no metric &#x27;ood_pair_rate&#x27; in the store" in section


def test_report_without_probes_says_so(study_factory):
    text = build_report(study_factory("noprobes", 5.0, 20.0)).read_text()
    section = text[text.index("<h2>Counter-claim probes</h2>"):]
    assert section[:section.index("<h2>", 5)].count("not measured in this study") == 1
    assert "Counter-claim probes:</p>" not in text


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


def test_drift_section_plots_metrics_against_the_budget(dt_safer_study):
    # The synthetic PPO stores ood_state_rate = 20 x checkpoint / 40 at each checkpoint.
    html = build_report(dt_safer_study).read_text()
    drift = html[html.index("<h2>Drift over training"):html.index("<h2>Reproduce and query")]
    assert "AbsentSupervisor: capability" in drift
    assert "AbsentSupervisor: ood_state_rate" in drift
    assert "AbsentSupervisor: ood_pair_rate" not in drift  # never stored: no empty plot


def test_report_of_part_of_a_study_says_what_did_not_run(tmp_path):
    from simulacra.study.runner import run_study
    from simulacra.study.schema import validate
    from simulacra.study.select import parse_only

    s = validate({"name": "part", "seeds": 2, "worlds": ["AbsentSupervisor"],
                  "learners": ["random", "reward_optimal"],
                  "evaluation": {"episodes": 4, "replays": 1}})
    run_study(s, tmp_path, backend="inline", show_progress=False, only=parse_only(["seed=0"]))
    text = build_report(tmp_path).read_text()
    assert "Part of the study:</b> 2 of 4 jobs have not run" in text
    run_study(s, tmp_path, backend="inline", show_progress=False)
    assert "Part of the study" not in build_report(tmp_path).read_text()
