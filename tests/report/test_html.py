"""The HTML report: self-contained, the answers first, per world a computed account, tables with
plain names, rates on [0, 1], flat metrics and the appendix folded away, and a bounded size."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from simulacra.report import labels, plots
from simulacra.report.analysis import Estimate
from simulacra.report.html import build_report
from simulacra.report.load import load
from simulacra.report.markup import cell
from simulacra.report.story import ordered_worlds, tension
from simulacra.study.store import StoreError


def _section(text: str, start: str, end: str = "<h2") -> str:
    s = text[text.index(start):]
    return s[:s.index(end, len(start))] if end in s[len(start):] else s


@pytest.fixture(scope="module")
def page(dt_safer_study) -> str:
    return build_report(dt_safer_study).read_text()


def test_report_sections(page):
    for needle in ("The question", "Hypothesis", "Counter-claim", "The answers",
                   "harm against capability", "return achieved against return asked for",
                   "Replays", "share of visited states unseen in the data", "Drift",
                   "safer (clears the margin)", "Failed jobs", "fails on purpose",
                   "Counter-claim probes", "Appendix"):
        assert needle in page, needle
    assert page.count("<svg") >= 3  # frontier, calibration, drift
    assert 'class="replay"' in page and "replay-data" in page


def test_answer_cards_are_the_three_questions(page):
    """Above the fold: per question its word over tension worlds, the count and a computed why."""
    top = page[:page.index("<h2 id='world-")]  # everything before the first world
    cards = {c[c.index("<h3>") + 4:c.index("</h3>")]: c
             for c in top.split("<div class='card'>")[1:]}
    assert list(cards) == ["Simulator?", "Safer than RL?", "Safer as trial and error?",
                           "The counter-claim probes"]
    # The synthetic DT's harm is 5 x capability, PPO's 20 x: the safety gap says safer; the
    # unsafe-event rows' interval straddles 0, so the world's word is inconclusive.
    card = cards["Safer than RL?"]
    assert "inconclusive</span>" in card
    assert "inconclusive on 1 of 1 comparable tension world" in card
    why = card[card.index("Why:"):]
    assert "AbsentSupervisor" in why and "safer (clears the margin)" in why
    assert re.search(r"PPO − DT \d+\.?\d* \[\d+\.?\d*, \d+\.?\d*\]", why), why
    # no quantilizer pairs with the DT, no loop: not measured, with the reason
    assert "not measured</span>" in cards["Simulator?"]
    assert "no quantilizer of its own data" in cards["Simulator?"]
    assert "no online or iterated DT" in cards["Safer as trial and error?"]
    assert "supports the counter-claim: 2" in top and "supports the hypothesis: 1" in top
    assert "Tension worlds (they decide)" in top


def test_world_paragraph_is_computed_from_the_episodes(dt_safer_study, page):
    """The paragraph's shares are the episodes' own: recompute one from the store."""
    res = load(dt_safer_study)
    ep = res.episodes
    at = ep[(ep["learner"] == "PPO") & np.isclose(ep["knob"], 0.8)]
    share = (at["event_unsafe"].fillna(0) > 0).groupby(at["seed"]).mean().mean()
    story = _section(page, "<div class='story'>", "</div>")
    assert "At the matched capability c* = 0.78" in story
    assert f"<b>PPO (after 80% of its step budget, capability 0.80)</b>: unsafe in {share:.0%}" \
        in story
    ref = ep[ep["learner"] == "reward_optimal"]
    cut = (ref["event_punished_unsupervised"].fillna(0) > 0).groupby(ref["seed"]).mean().mean()
    assert f"cut through P while unwatched in {cut:.0%} of episodes" in story  # world's words


def test_column_names_are_plain(page):
    heads = re.findall(r"<th>([^<]*)</th>", page)
    assert len(heads) > 30
    internal = {k for k in [*labels.METRICS, *labels.KNOBS] if "_" in k or len(k) < 3} | {
        "knob", "family"}
    for h in heads:
        assert "_" not in h and h not in internal, h


def test_axes_are_plain(dt_safer_study, page):
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", page)
    learners = tuple(s["label"] for s in load(dt_safer_study).study["learners"])
    assert texts
    for t in texts:
        if not t.startswith(learners):  # a legend names learners by their study-file labels
            assert not re.search(r"[a-z]_[a-z]", t), t  # no ood_pair_rate, target_fraction
    assert "capability (0 = random, 1 = optimal return)" in texts


def test_rates_are_clipped_in_cells():
    """An interval of a rate never leaves [0, 1] (mean ± sd did: −0.2 to 1.2 for button presses);
    another measure's is left alone."""
    e = Estimate(0.9, 0.6, 1.2, 3)
    assert cell(e, "ood_pair_rate") == "0.90<span class='ci'>[0.60, 1.00]</span>"
    assert cell(e, "return") == "0.90<span class='ci'>[0.60, 1.20]</span>"
    assert cell(Estimate(-0.1, -0.3, 0.2, 3), "button_press_rate").startswith("0.00")


def test_rates_are_clipped_in_figures():
    curve = pd.DataFrame({"knob": [0.0, 0.5, 1.0], "point": [-0.1, 0.5, 1.1],
                          "low": [-0.4, 0.2, 0.8], "high": [0.2, 0.9, 1.5], "seeds": 3})
    fig = plots.knob_figure("t", [("button_press_rate", "checkpoint", {"PPO": curve}),
                                  ("return", "checkpoint", {"PPO": curve})], {"PPO": "C0"})
    rate, other = fig.axes[0], fig.axes[1]
    y = rate.lines[0].get_ydata()
    band = rate.collections[0].get_paths()[0].vertices[:, 1]
    assert y.min() >= 0 and y.max() <= 1 and band.min() >= 0 and band.max() <= 1
    assert rate.get_ylim()[0] >= -0.05 and rate.get_ylim()[1] <= 1.05
    assert rate.get_ylabel() == "" and rate.get_title() == labels.metric("button_press_rate").name
    assert other.lines[0].get_ydata().max() == pytest.approx(1.1)  # not a rate: as measured


def test_rates_within_bounds_in_the_report(page):
    """Every figure in a row of a rate in the appendix's tables lies in [0, 1]."""
    rates = {labels.metric(k).axis for k, v in labels.METRICS.items() if v.rate}
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", page)
    seen = 0
    for name, cells in rows:
        if name in rates:
            for x in re.findall(r"-?\d+\.\d+", cells):
                assert 0.0 <= float(x) <= 1.0, (name, cells)
            seen += 1
    assert seen  # the synthetic study stores ood_state_rate


def test_flat_metrics_are_listed_not_drawn(page):
    """Relative reachability is 0 for every learner of the synthetic study: named, not drawn."""
    appendix = page[page.index("<details class='appendix'>"):]
    flat = labels.metric("relative_reachability").name
    assert f"the same for every learner and setting: {flat} = 0" in appendix
    assert f">{flat}<" not in page  # no panel title, no table row


def test_appendix_is_folded(page):
    start = page.index("<details class='appendix'>")  # no `open`: folded by default
    appendix = page[start:]
    for needle in ("Every metric per learner and setting", "Jobs and timings",
                   "Resolved study config", "Versions:", "Method"):
        assert needle in appendix, needle
    assert "Every metric per learner and setting" not in page[:start]


def test_report_size_is_bounded(page):
    """The quick study's report was 3.3 MB; the small test study's is bounded far below it."""
    assert len(page.encode()) < 150_000


def test_tension_worlds_come_first(dt_safer_study):
    res = load(dt_safer_study)
    assert tension(res, "AbsentSupervisor") is True  # 29 < 41
    res.worlds.loc["AbsentSupervisor", "performance_of_reward_optimal"] = 41.0
    assert tension(res, "AbsentSupervisor") is False
    res.study = {**res.study, "worlds": [{"label": "Made-up"}, *res.study["worlds"]]}
    res.worlds.loc["AbsentSupervisor", "performance_of_reward_optimal"] = 29.0
    assert [w for w, _ in ordered_worlds(res)] == ["AbsentSupervisor", "Made-up"]


def test_report_probe_section(page):
    section = _section(page, "<h2>Counter-claim probes</h2>")
    assert page.index("The answers") < page.index("<h2>Counter-claim probes</h2>")
    for name, verdict in (("dt_harm_rises_with_target", "supports the counter-claim"),
                          ("ppo_ood_above_zero", "supports the counter-claim"),
                          ("dt_harm_vs_ppo", "supports the hypothesis"),
                          ("pair_rate_not_stored", "not measured")):
        block = section[section.index(f"id='probe-{name}'"):]
        block = block[:block.index("</details>")]
        assert f"{name}?" in block and f"{name}: no effect" in block  # question, predictions
        assert f"{name}: effect" in block and verdict in block, (name, block[-600:])
        assert f"<a href='#probe-{name}'>{name}</a>" in section  # the list links to it
    assert "0.4<span class='ci'>[0.4, 0.4]</span>" in section  # PPO's ood_state_rate minus 0
    said = ("PPO at knob 0.8 is higher than the constant 0 by more than the margin 0.05, as the "
            "counter-claim predicted")
    assert said in section
    assert "The counter-claim predicts &gt; +0.5, the hypothesis &lt; −0.5" in section
    assert "no metric &#x27;ood_pair_rate&#x27; in the store" in section


def test_report_without_probes_says_so(study_factory):
    text = build_report(study_factory("noprobes", 5.0, 20.0)).read_text()
    section = _section(text, "<h2>Counter-claim probes</h2>")
    assert section.count("not measured in this study") == 1
    assert "Does the DT act as a simulator?" not in text


def test_report_is_self_contained(page):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "url(http" not in page and "fetch(" not in page and "@import" not in page


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
    assert "fails on purpose" in text and "The answers" in text
    assert "not measured" in text and "no voting DT trained on a dataset" in text


def test_drift_section_plots_metrics_against_the_budget(page):
    # The synthetic PPO stores ood_state_rate = 20 x checkpoint / 40 at each checkpoint.
    drift = _section(page, "<h2>Drift over training", "<details class='appendix'>")
    assert "AbsentSupervisor (x: training so far (share of the step budget))" in drift
    assert labels.metric("ood_state_rate").name in drift
    assert labels.metric("ood_pair_rate").name not in drift  # never stored: no empty plot


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


def test_rl_that_never_reached_its_target_is_flagged(dt_safer_study):
    """An RL run stores whether it reached its target return (rl_reached_target, per seed): the
    note after the world's table names the seeds, and the paragraph a learner that never did."""
    from simulacra.report.html import Builder

    res = load(dt_safer_study)
    m = res.metrics = res.metrics.reset_index(drop=True)
    for s in (0, 1, 2):
        m.loc[len(m)] = {"job": "x", "world": "AbsentSupervisor", "learner": "PPO",
                         "family": "rl", "seed": s, "knob_name": "checkpoint", "knob": np.nan,
                         "metric": "rl_reached_target", "value": 0.0}
    page = Builder(res).build()
    assert "PPO never reached it in seeds 0, 1, 2" in page  # rl_target_note, after the table
    assert "Never reached its target return within its budget, on any seed: <b>PPO</b>." in page
    assert "Never reached its target return" not in build_report(dt_safer_study).read_text()


def test_quantilizer_factor_axis_reads_as_its_values():
    """The quantilizer factor was 0.503 in a table and ×1e6 on its plot: a narrow range is drawn
    as it is (no offset), a range of decades on a log axis."""
    def curve(points):
        p = np.array(points, dtype=float)
        return pd.DataFrame({"knob": [0.0, 0.5, 1.0], "point": p, "low": p * 0.9,
                             "high": p * 1.1, "seeds": 2})

    fig = plots.knob_figure("t", [("quantilizer_factor", "q", {"a": curve([0.5, 0.52, 0.53])}),
                                  ("quantilizer_factor", "q", {"a": curve([0.5, 50, 5e6])})],
                            {"a": "C0"})
    narrow, wide = fig.axes[0], fig.axes[1]
    fig.canvas.draw()
    assert narrow.get_yscale() == "linear" and narrow.yaxis.get_offset_text().get_text() == ""
    assert wide.get_yscale() == "log"


def test_why_names_the_worlds_left_out(dt_safer_study):
    """A world without a common capability is left out of the count, and the why says so, with
    how far each side got; the other comparable worlds' words are named too."""
    import dataclasses

    from simulacra.report.analysis import seed_means
    from simulacra.report.story import answer_why
    from simulacra.report.verdict import DOMINATED, NOT_COMPARABLE, overall_verdict, verdicts

    res = load(dt_safer_study)
    means = seed_means(res)
    comps, _ = verdicts(res, means)
    real = comps["AbsentSupervisor"]
    gone = dataclasses.replace(real[0], world="Nowhere", capability=float("nan"),
                               verdict=NOT_COMPARABLE, reason="no common capability above random")
    dom = dataclasses.replace(real[0], world="Other", verdict=DOMINATED, dominant="DT")
    comps = {**comps, "Nowhere": [gone], "Other": [dom]}
    overall = overall_verdict(["inconclusive", NOT_COMPARABLE, DOMINATED])
    why = answer_why(res, means, comps, overall)
    assert "No capability both sides reach above random with every seed on 1 world" in why
    assert "Nowhere: no capability figures" in why
    assert "Also Other: dominated (DT dominates)" in why
