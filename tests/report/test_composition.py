"""Harm against data composition: the series, their points and the report's fragment."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from simulacra.report.composition import composed_learners, composition, composition_section
from simulacra.report.load import Results, load
from simulacra.study.runner import run_study
from simulacra.study.schema import validate

W = "AbsentSupervisor"
#: (learner label, family, knob) -> harm per seed (3 seeds)
HARM = {
    ("DT s0", "dt", -10.0): [9.0, 9.0, 9.0], ("DT s0", "dt", 40.0): [1.0, 2.0, 4.0],
    ("DT s1", "dt", 40.0): [20.0, 22.0, 27.0],
    ("q s0", "reference", 0.1): [0.0, 0.0, 0.0], ("q s0", "reference", 0.5): [7.0, 7.0, 7.0],
    ("q s1", "reference", 0.1): [30.0, 30.0, 30.0],
    ("%BC s0", "offline", 0.1): [3.0, 4.0, 5.0], ("%BC s1", "offline", 0.1): [25.0, 26.0, 27.0],
    ("PPO", "rl", 1.0): [24.0, 25.0, 26.0], ("PPO", "rl", 0.5): [99.0, 99.0, 99.0],
}
RECIPE = {"episodes": 100, "components": "random"}


def results(datasets) -> Results:
    learners = [
        {"learner": "dt", "label": "DT s0", "dataset": "s0", "knob_values": [-10.0, 40.0]},
        {"learner": "dt", "label": "DT s1", "dataset": "s1", "knob_values": [40.0]},
        {"learner": "quantilizer", "label": "q s0", "dataset": "s0", "knob_values": [0.5, 0.1]},
        {"learner": "quantilizer", "label": "q s1", "dataset": "s1", "knob_values": [0.1]},
        {"learner": "pbc", "label": "%BC s0", "dataset": "s0", "knob_values": [0.1]},
        {"learner": "pbc", "label": "%BC s1", "dataset": "s1", "knob_values": [0.1]},
        {"learner": "ppo", "label": "PPO", "worlds": None, "knob_values": [0.5, 1.0]},
    ]
    rows = [{"world": W, "learner": lab, "family": fam, "seed": seed, "knob": knob,
             "return": 40.0, "performance": 40.0 - harm, "harm": harm, "length": 10,
             "unsafe_events": 0.0, "target": math.nan}
            for (lab, fam, knob), harms in HARM.items() for seed, harm in enumerate(harms)]
    worlds = pd.DataFrame([{"world": W, "compiled": True, "return_optimal": 44.0,
                            "return_random": -100.0}]).set_index("world")
    return Results(study={"datasets": datasets, "learners": learners, "verdict": {"ci": 0.95},
                          "worlds": [{"label": W, "name": W}]},
                   versions={}, worlds=worlds, jobs=pd.DataFrame(), episodes=pd.DataFrame(rows),
                   metrics=pd.DataFrame(), replays=pd.DataFrame())


COMPOSED = {"s0": {**RECIPE, "shortcut_share": 0.0}, "s1": {**RECIPE, "shortcut_share": 1.0}}


def test_each_series_is_read_at_the_right_knob_with_a_t_interval():
    series = composition(results(COMPOSED))[W]
    assert set(series) == {"DT", "quantilizer", "%BC", "RL: PPO"}
    dt = series["DT"]
    assert [p.share for p in dt] == [0.0, 1.0] and [p.knob for p in dt] == [40.0, 40.0]
    assert "could not be read" in dt[0].note  # no study folder: its highest target
    half = scipy.stats.t.ppf(0.975, 2) * np.std([1.0, 2.0, 4.0], ddof=1) / math.sqrt(3)
    assert dt[0].mean == pytest.approx(7 / 3)
    assert (dt[0].low, dt[0].high) == pytest.approx((7 / 3 - half, 7 / 3 + half))
    assert [p.mean for p in series["quantilizer"]] == [0.0, 30.0]  # at q = top_share 0.1
    assert [p.mean for p in series["%BC"]] == pytest.approx([4.0, 26.0])
    (rl,) = series["RL: PPO"]
    assert rl.mean == pytest.approx(25.0) and rl.knob == 1.0  # its headline knob, flat


def test_the_section_is_a_fragment_with_the_figure_and_the_series():
    html = composition_section(results(COMPOSED))
    assert html is not None and html.count("<svg") == 1
    assert "Harm against data composition" in html
    for name in ("DT", "quantilizer", "%BC", "RL: PPO", "share 0", "share 1"):
        assert name in html


@pytest.mark.parametrize("datasets", [
    {"s0": RECIPE, "s1": RECIPE},  # no composition datasets
    {"s0": {**RECIPE, "shortcut_share": 0.5}, "s1": {**RECIPE, "shortcut_share": 0.5}},  # one
])
def test_no_section_without_datasets_of_different_shares(datasets):
    assert composition_section(results(datasets)) is None


def test_a_real_study_reads_the_quantilizers_and_the_datas_maximum(tmp_path):
    mixed = {"episodes": 60, "components": "boltzmann-reward:0.4@T=2,"
             "boltzmann-performance:0.3@T=2,random:0.3"}
    doc = {"name": "c", "seeds": 2, "worlds": [W],
           "datasets": {f"s{s}": {**mixed, "shortcut_share": s} for s in (0, 1)},
           "learners": [{"learner": "quantilizer", "label": f"q s{s}", "dataset": f"s{s}",
                         "knob_values": [0.1]} for s in (0, 1)],
           "evaluation": {"episodes": 20, "replays": 0}}
    run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    res = load(tmp_path)
    (q0, q1) = composition(res)[W]["quantilizer"]
    assert (q0.share, q1.share, q0.seeds) == (0.0, 1.0, 2)
    # share 1: the top set is all unwatched cuts through P (30 each), replayed where the episode
    # starts unwatched; share 0: no top episode has a gap
    assert q1.mean > q0.mean
    from simulacra.report.composition import _data_max

    assert 40.0 <= _data_max(res, W, "s1") <= 47.0  # the unwatched shortcut's return is 47


def test_the_composed_learners_are_those_on_composition_data_and_their_yardsticks():
    res = results({**COMPOSED, "mixed": RECIPE})
    res.study["learners"] += [
        {"learner": "dt", "label": "DT", "dataset": "mixed"},
        {"learner": "quantilizer", "label": "DT quantilizer", "pairs_with": "DT"},
        {"learner": "quantilizer", "label": "DT s1 quantilizer", "pairs_with": "DT s1"}]
    assert composed_learners(res) == {"DT s0", "DT s1", "q s0", "q s1", "%BC s0", "%BC s1",
                                      "DT s1 quantilizer"}
    assert composed_learners(results({"s0": RECIPE, "s1": RECIPE})) == set()


def test_the_markdown_table_gives_each_series_at_each_share():
    from dataclasses import asdict

    from simulacra.report.summary import composition_markdown

    series = composition(results(COMPOSED))[W]
    lines = composition_markdown({W: {k: [asdict(p) for p in v] for k, v in series.items()}})
    assert "| learner | share 0 | share 1 |" in lines
    d0, d1 = series["DT"]
    assert f"| DT | 2.3 [{d0.low:.1f}, {d0.high:.1f}] | 23.0 [{d1.low:.1f}, {d1.high:.1f}] |" \
        in lines
    assert "| quantilizer | 0.0 [0.0, 0.0] | 30.0 [30.0, 30.0] |" in lines
    assert next(x for x in lines if x.startswith("| RL: PPO |")).startswith(
        "| RL: PPO | 25.0 [") and "(no data) |  |" in lines[-1] + lines[-2]


def test_the_summary_carries_the_composition(tmp_path):
    """`simulacra report DIR --json` / `--markdown` carry the series the figure draws."""
    from simulacra.report.summary import render_markdown, summarise

    doc = {"name": "c", "seeds": 2, "worlds": [W],
           "datasets": {f"s{s}": {"episodes": 40, "components": "boltzmann-reward:0.5@T=2,"
                                  "random:0.5", "shortcut_share": s} for s in (0, 1)},
           "learners": [{"learner": "quantilizer", "label": f"q s{s}", "dataset": f"s{s}",
                         "knob_values": [0.1]} for s in (0, 1)],
           "evaluation": {"episodes": 10, "replays": 0}}
    run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    found = summarise(load(tmp_path))
    q0, q1 = found["composition"][W]["quantilizer"]
    assert (q0["share"], q1["share"], q0["seeds"]) == (0.0, 1.0, 2)
    assert "| learner | share 0 | share 1 |" in render_markdown(found)


def test_the_markdown_says_when_only_rl_has_rows():
    from dataclasses import asdict

    from simulacra.report.summary import composition_markdown

    (ppo,) = composition(results(COMPOSED))[W]["RL: PPO"]
    lines = composition_markdown({W: {"RL: PPO": [asdict(ppo)]}})
    assert lines[-1].endswith("no learner trained on the compositions has finished here yet.")
    assert not any(x.startswith("|") for x in lines)
