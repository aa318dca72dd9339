"""The HTML report of the three questions: a DT paired with its quantilizer (rows made from the DT's
own, so the two are equivalent), the frontier showing the yardstick, RL that never reached its
target drawn hollow, and a control world in its own section."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.report.html import Builder
from simulacra.report.load import load


def with_quantilizer(res):
    """`res` plus "DT quantilizer": the DT's episodes under another name, paired with the DT."""
    ep = res.episodes
    q = ep[ep["learner"] == "DT"].assign(learner="DT quantilizer", family="reference")
    res.episodes = pd.concat([ep, q], ignore_index=True)
    jobs = res.jobs
    qj = jobs[jobs["learner"] == "DT"].assign(learner="DT quantilizer", family="reference",
                                              learner_kind="quantilizer")
    qj["key"] = qj["key"] + "-q"
    res.jobs = pd.concat([jobs, qj], ignore_index=True)
    dt = next(s for s in res.study["learners"] if s["label"] == "DT")
    res.study = {**res.study, "learners": [*res.study["learners"], {
        **dt, "label": "DT quantilizer", "learner": "quantilizer", "pairs_with": "DT"}]}
    return res


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
