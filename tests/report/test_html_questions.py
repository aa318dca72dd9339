"""The HTML report of the three questions: a DT paired with its quantilizer (rows made from the DT's
own, so the two are equivalent), the frontier showing the yardstick, RL that never reached its
target drawn hollow, and a control world in its own section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.report.analysis import normaliser
from simulacra.report.html import Builder
from simulacra.report.load import load


def as_learner(res, label: str, spec: dict, family: str | None = None, **job_columns):
    """`res` plus `label`: the DT's episodes and jobs under that name (with `family` and the
    jobs' `job_columns` where given), its study entry the DT's with `spec` over it."""
    family = {"family": family} if family else {}
    ep = res.episodes
    res.episodes = pd.concat([ep, ep[ep["learner"] == "DT"].assign(learner=label, **family)],
                             ignore_index=True)
    jobs = res.jobs
    copied = jobs[jobs["learner"] == "DT"].assign(learner=label, **family, **job_columns)
    copied["key"] = copied["key"] + "-" + label
    res.jobs = pd.concat([jobs, copied], ignore_index=True)
    dt = next(s for s in res.study["learners"] if s["label"] == "DT")
    res.study = {**res.study, "learners": [*res.study["learners"],
                                           {**dt, "label": label, **spec}]}
    return res


def with_quantilizer(res):
    """`res` plus "DT quantilizer": the DT's episodes under another name, paired with the DT."""
    return as_learner(res, "DT quantilizer", {"learner": "quantilizer", "pairs_with": "DT"},
                      family="reference", learner_kind="quantilizer")


@pytest.fixture(scope="module")
def page(dt_safer_study) -> str:
    res = with_quantilizer(load(dt_safer_study))
    m = res.metrics.reset_index(drop=True)
    for s in (0, 1, 2):  # PPO never reached its target return: flagged on the frontier
        m.loc[len(m)] = {"job": "x", "world": "AbsentSupervisor", "learner": "PPO",
                         "family": "rl", "seed": s, "knob_name": "checkpoint", "knob": np.nan,
                         "metric": "rl_reached_target", "value": 0.0}
    res.metrics = m
    return Builder(res).build()


def test_the_simulator_card_and_world_answer_the_question(page):
    top = page[:page.index("<h2 id='world-")]
    card = top[top.index("<h3>Simulator?</h3>"):]
    card = card[:card.index("<div class='card'>")]
    assert "equivalent</span>" in card
    assert "equivalent on 1 of 1 comparable tension world" in card
    world = page[page.index("<h2 id='world-AbsentSupervisor'>"):]
    answers = world[:world.index("<div class='wgrid'>")]
    for title in ("Simulator?", "Safer than RL?", "Safer as trial and error?"):
        assert f"<b>{title}</b>" in answers
    assert "behaves as a simulator of its data" in answers
    assert "DT vs DT quantilizer, safety gap G − P: equivalent" in answers
    # beside the DT in the safety question: what its quantilizer does against PPO
    assert "DT quantilizer vs PPO" in answers and "(beside, not counted)" in answers


def test_the_frontier_shows_the_yardstick_and_flags_rl(page):
    world = page[page.index("<h2 id='world-AbsentSupervisor'>"):]
    fig = world[:world.index("</svg>")]
    assert "DT quantilizer (reference)" in fig  # legend entry
    assert "PPO (rl) — never reached its target in 3 of 3 seeds" in fig
    assert "Hollow markers: RL that never reached its target return" in world
    assert "a DT's quantilizer dashed" in world


def test_a_control_world_is_reported_in_its_own_section(dt_safer_study):
    res = with_quantilizer(load(dt_safer_study))
    res.worlds.loc["AbsentSupervisor", "performance_of_reward_optimal"] = float(
        res.worlds.loc["AbsentSupervisor", "performance_optimal"])
    page = Builder(res).build()
    top = page[:page.index("<h2 id='world-")]
    assert "Controls (not counted):" in top and "Tension worlds" not in top
    assert "no tension world in this study: nothing counts" in top
    controls = page[page.index("<h2 id='controls'>Controls</h2>"):]
    assert controls.index("<h2 id='world-AbsentSupervisor'>") > 0
    assert "the reward-optimal policy&#x27;s performance 41 = the best performance 41" in controls


def test_without_rl_the_paragraph_reads_c_star_from_the_simulator_question(dt_safer_study):
    res = with_quantilizer(load(dt_safer_study))
    for table in ("episodes", "jobs", "metrics", "replays"):
        df = getattr(res, table)
        setattr(res, table, df[df["learner"] != "PPO"])
    res.study = {**res.study, "learners": [s for s in res.study["learners"]
                                           if s["label"] != "PPO"], "probes": []}
    page = Builder(res).build()
    world = page[page.index("<h2 id='world-AbsentSupervisor'>"):]
    assert 'Safer than RL?</b> <span class="verdict v-nm">not measured' in world
    assert "At the matched capability c* = " in world
    assert "No capability is matched on this world" not in world


def _frontier_figure(page: str) -> tuple[str, str]:
    """The world's frontier figure and the world's section (the figure's caption in it)."""
    world = page[page.index("<h2 id='world-AbsentSupervisor'>"):]
    return world[:world.index("</svg>")], world[:world.index("<h2", 4)]


def test_the_frontier_draws_the_dt_under_the_other_decode(dt_safer_study):
    """REPORT.md: "DT sampled and greedy". The synthetic DT has no decode switch, so its greedy
    rows are its sampled ones: the line is drawn from the store's greedy rows, and a study that
    evaluated one decode has none."""
    res = load(dt_safer_study)
    assert res.decode == "sample" and "greedy" in res.study["evaluation"]["decode"]
    b = Builder(res)
    greedy = b.second_means[b.second_means["learner"] == "DT (greedy)"]
    assert set(greedy["seed"]) == {0, 1, 2} and b.second_of["DT (greedy)"] == "DT"
    assert not (b.second_means["learner"] == "PPO (greedy)").any()  # DTs only
    fig, world = _frontier_figure(b.build())
    assert "DT (greedy) (dt)" in fig
    assert "Thin dash-dotted with crosses: the same DT under the other decode" in world
    assert "actions sampled from each policy (decode sample)" in world

    one = load(dt_safer_study)
    one.study = {**one.study, "evaluation": {**one.study["evaluation"], "decode": ["sample"]}}
    fig, world = _frontier_figure(Builder(one).build())
    assert "(greedy)" not in fig and "other decode" not in world


def test_the_frontier_draws_a_loops_steered_sweep(dt_safer_study):
    """A loop whose final checkpoint was asked for targets (metric rows sweep_*) gets its
    "(steered)" line: one point per target, capability from the sweep's return."""
    res = as_learner(load(dt_safer_study), "online DT", {"learner": "online_dt", "config": {}})
    m = res.metrics.reset_index(drop=True)
    lo, hi = normaliser(res, "AbsentSupervisor")
    for s in (0, 1, 2):
        for target in (10.0, 40.0):
            for metric, value in (("sweep_return", target), ("sweep_performance", target - 3),
                                  ("sweep_harm", 3.0), ("sweep_unsafe_events", 0.5)):
                m.loc[len(m)] = {"job": "x", "world": "AbsentSupervisor", "learner": "online DT",
                                 "family": "dt", "seed": s, "knob_name": "checkpoint",
                                 "knob": 1.0, "metric": metric, "value": value,
                                 "target": target}
    res.metrics = m
    b = Builder(res)
    steered = b.second_means[b.second_means["learner"] == "online DT (steered)"]
    assert sorted(steered["knob"].unique()) == [10.0, 40.0]
    np.testing.assert_allclose(sorted(steered["capability"].unique()),
                               [(10 - lo) / (hi - lo), (40 - lo) / (hi - lo)])
    fig, world = _frontier_figure(b.build())
    assert "online DT (steered) (dt)" in fig
    assert "Thin dash-dotted with triangles: a loop's final model" in world


def test_the_frontier_leaves_the_composition_lever_to_its_own_figure(dt_safer_study):
    """A DT trained on a composition dataset (shortcut_share) and its yardstick are read in the
    composition section; the frontier, its paragraph and its c* marks draw the main DT."""
    res = as_learner(load(dt_safer_study), "DT share 0", {"dataset": "share_0"})
    res.study = {**res.study, "datasets": {"share_0": {"episodes": 10, "components": "random",
                                                       "shortcut_share": 0.0}}}
    b = Builder(res)
    assert b.composed == {"DT share 0"}
    assert "DT share 0" not in b.frontier_learners("AbsentSupervisor")
    page = b.build()
    fig, world = _frontier_figure(page)
    assert "DT share 0 (dt)" not in fig and "DT (dt)" in fig
    assert "drawn in the composition section" in world
    answers = world[:world.index("<div class='wgrid'>")]
    assert "DT share 0 vs PPO" in answers  # its verdicts are still given
    story = world[world.index("<div class='story'>"):]
    assert "DT share 0" not in story[:story.index("</div>")]
