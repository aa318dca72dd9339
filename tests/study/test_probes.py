"""Counter-claim probes on hand-made results whose answer is known: every outcome, both
directions, equivalence, "cannot discriminate" (from hand-made data) and "not measured"."""

from __future__ import annotations

import dataclasses
import json
import logging
import math

import numpy as np
import pandas as pd
import pytest

from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe
from simulacra.metrics.stats import diff_ci
from simulacra.report.load import Results
from simulacra.study.datasets import exclude_episodes, job_dataset
from simulacra.study.grid import expand
from simulacra.study.jobs import Job, JobContext
from simulacra.study.probe_data import closed, folder_lookup
from simulacra.study.probes import (
    CANNOT,
    COUNTER,
    HYPOTHESIS,
    INCONCLUSIVE,
    NO_DIFFERENCE,
    NOT_MEASURED,
    OTHER_WAY,
    decide,
    evaluate_probes,
)
from simulacra.study.schema import validate
from simulacra.study.testing import register_synthetic

SEEDS = [0, 1, 2, 3, 4]


def study(*probes: dict, seeds=SEEDS, worlds=("AbsentSupervisor", "Gambling")) -> dict:
    """A validated study with DT (knob: target return -25, 0, 25) and PPO (checkpoints)."""
    register_synthetic()
    doc = {"name": "p", "seeds": list(seeds), "worlds": list(worlds),
           "datasets": {"rnd": {"episodes": 40, "components": "random"}},
           "learners": [{"learner": "synthetic_dt", "label": "DT", "dataset": "rnd"},
                        {"learner": "synthetic_rl", "label": "PPO"}, "random"],
           "probes": [{"question": "q?", "predictions": {"hypothesis": "h", "counter_claim": "c"},
                       "counter_claim_if": "higher", **p} for p in probes]}
    return validate(doc).raw


def episodes(rows: list[tuple[str, str, int, float | None, float]], per: int = 4,
             measure: str = "return") -> pd.DataFrame:
    """`per` episodes per (world, learner, seed, knob), each with the given measure value."""
    out = []
    for world, learner, seed, knob, value in rows:
        for e in range(per):
            out.append({"world": world, "learner": learner, "family": "x", "seed": seed,
                        "knob": np.nan if knob is None else knob, "return": 0.0,
                        "performance": 0.0, "length": 10, measure: value, "episode": e})
    cols = ["world", "learner", "family", "seed", "knob", "return", "performance", "length",
            "episode"]
    return pd.DataFrame(out, columns=list(dict.fromkeys([*cols, measure])))


def results(doc: dict, ep: pd.DataFrame | None = None, met: pd.DataFrame | None = None
            ) -> Results:
    ep = ep if ep is not None else episodes([])
    if "harm" not in ep:
        ep["harm"] = ep["return"] - ep["performance"]
    met = met if met is not None else pd.DataFrame(
        columns=["world", "learner", "seed", "knob", "metric", "value"])
    return Results(study=doc, versions={}, worlds=pd.DataFrame(), jobs=pd.DataFrame(),
                   episodes=ep, metrics=met, replays=pd.DataFrame())


def metric_rows(metric: str, rows: list[tuple[str, str, int, float | None, float]]
                ) -> pd.DataFrame:
    return pd.DataFrame([{"world": w, "learner": lab, "seed": s,
                          "knob": np.nan if k is None else k, "metric": metric, "value": v}
                         for w, lab, s, k, v in rows])


#: (a): does DT asked above the data's maximum (knob 25) leave the data more than at it (0)?
OOD = {"name": "above_max", "measure": "ood_pair_rate", "learner": "DT", "knob": 25,
       "baseline": {"learner": "DT", "knob": 0}, "margin": 0.05}


def ood_rows(high: list[float], low: list[float], world: str = "AbsentSupervisor",
             metric: str = "ood_pair_rate"):
    """DT's metric per seed (0, 1, ... as many as given) at knob 25 and at knob 0."""
    seeds = SEEDS[:len(high)]
    return metric_rows(metric,
                       [(world, "DT", s, 25.0, h) for s, h in zip(seeds, high, strict=True)]
                       + [(world, "DT", s, 0.0, v) for s, v in zip(seeds, low, strict=True)])


def no_data(world: str, learner: str, seed: int) -> str:
    return "no data in this test"


def run(doc: dict, data=no_data, **kw):
    return evaluate_probes(results(doc, **kw), doc, data=data)


# ---- the outcome rule itself ---------------------------------------------------------------
@pytest.mark.parametrize("low, high, counter, hyp, word", [
    (0.10, 0.20, "higher", "match", COUNTER),
    (-0.04, 0.04, "higher", "match", HYPOTHESIS),  # equivalence: inside +-0.05
    (-0.05, 0.05, "higher", "match", HYPOTHESIS),  # the margin itself counts as inside
    (-0.20, -0.10, "higher", "match", OTHER_WAY),  # lower: nobody predicted it
    (0.10, 0.20, "lower", "match", OTHER_WAY),
    (-0.20, -0.10, "lower", "match", COUNTER),
    (0.01, 0.08, "higher", "match", INCONCLUSIVE),  # a small rise, not excluded
    (-0.20, 0.20, "higher", "match", INCONCLUSIVE),
    (-0.20, -0.10, "higher", "lower", HYPOTHESIS),  # a predicted direction
    (-0.04, 0.04, "higher", "lower", NO_DIFFERENCE),  # neither direction
    (-0.08, -0.01, "higher", "lower", INCONCLUSIVE),
    (0.10, 0.20, "lower", "higher", HYPOTHESIS),
    (math.nan, math.nan, "higher", "match", INCONCLUSIVE),
])
def test_decide(low, high, counter, hyp, word):
    assert decide(low, high, 0.05, counter, hyp) == word


# ---- hand-made results ----------------------------------------------------------------------
def test_counter_claim_supported_when_the_effect_clears_the_margin():
    high = [0.30, 0.32, 0.28, 0.31, 0.29]
    doc = study(OOD)
    [r] = run(doc, met=ood_rows(high, [0.0] * 5))
    assert r.verdict == COUNTER and r.world == "AbsentSupervisor"
    assert r.diff == pytest.approx(np.mean(high)) and r.low > 0.05
    assert r.learner_value == pytest.approx(0.30) and r.baseline_value == 0.0
    assert r.seeds == 5 and r.p_beyond == 1.0 and r.paired
    assert r.baseline == "DT at knob 0" and r.hypothesis == "h" and r.counter_claim == "c"
    assert r.finding.startswith("DT at knob 25 is higher than DT at knob 0 by more than the "
                                "margin 0.05, as the counter-claim predicted (ood_pair_rate 0.3 "
                                "vs 0, difference 0.3 [")


def test_the_interval_is_the_paired_t_interval():
    high, low = [0.30, 0.40, 0.28, 0.35, 0.29], [0.01, 0.03, 0.0, 0.02, 0.0]
    doc = study(OOD)
    [r] = run(doc, met=ood_rows(high, low))
    assert (r.diff, r.low, r.high) == pytest.approx(diff_ci(np.array(high), np.array(low),
                                                            0.95, paired=True))


def test_match_within_the_margin_supports_the_hypothesis():
    high = [0.010, 0.012, 0.008, 0.011, 0.009]  # an effect, but well inside the margin
    doc = study(OOD)
    [r] = run(doc, met=ood_rows(high, [0.0] * 5))
    assert r.verdict == HYPOTHESIS and r.low >= -0.05 and r.high < 0.05
    assert r.finding.startswith("DT at knob 25 matches DT at knob 0 within ±0.05, as the "
                                "hypothesis predicted")


def test_departing_the_other_way_is_not_support():
    """Probe (b) of the full study: the DT's supervisor sensitivity 0.000 against its data's
    0.583, where the hypothesis predicted a match and the counter-claim a rise."""
    doc = study({**OOD, "measure": "supervisor_sensitivity"})
    data = [0.58, 0.60, 0.57, 0.59, 0.575]
    [r] = run(doc, met=ood_rows([0.0] * 5, data, metric="supervisor_sensitivity"))
    assert r.verdict == OTHER_WAY and r.high < -0.05
    assert r.finding.startswith("neither side predicted this: DT at knob 25 departs from DT at "
                                "knob 0 the other way, lower by more than the margin 0.05")
    assert "the hypothesis predicted a match, the counter-claim higher" in r.finding


def test_a_directional_hypothesis_is_supported_by_its_direction_only():
    doc = study({**OOD, "hypothesis_if": "lower"})
    [r] = run(doc, met=ood_rows([0.0] * 5, [0.30, 0.32, 0.28, 0.31, 0.29]))
    assert r.verdict == HYPOTHESIS and r.hypothesis_if == "lower"
    assert r.finding.startswith("DT at knob 25 is lower than DT at knob 0 by more than the "
                                "margin 0.05, as the hypothesis predicted")
    [r] = run(doc, met=ood_rows([0.01, 0.0, 0.02, 0.0, 0.01], [0.0] * 5))
    assert r.verdict == NO_DIFFERENCE
    assert "the hypothesis predicted lower, the counter-claim higher" in r.finding


def test_direction_lower_reverses_the_verdict():
    doc = study({**OOD, "counter_claim_if": "lower"})
    [r] = run(doc, met=ood_rows([0.3] * 5, [0.0] * 5))
    assert r.verdict == OTHER_WAY and r.p_beyond == 0.0  # higher, not lower
    [r] = run(doc, met=ood_rows([0.0] * 5, [0.3] * 5))
    assert r.verdict == COUNTER and r.diff == pytest.approx(-0.3)


def test_inconclusive_when_the_interval_straddles_the_margin():
    doc = study(OOD)
    [r] = run(doc, met=ood_rows([0.5, -0.4, 0.6, -0.5, 0.1], [0.0] * 5))
    assert r.verdict == INCONCLUSIVE and r.low < 0.05 < r.high
    assert r.finding.startswith("the interval settles neither side against the margin ±0.05")


def test_paired_by_seed_a_shared_seed_effect_cancels():
    """Seed effects common to both sides (the same model, two knobs) do not widen the CI."""
    base = [0.0, 1.0, 2.0, 3.0, 4.0]
    doc = study(OOD)
    [r] = run(doc, met=ood_rows([b + 0.2 for b in base], base))
    assert r.verdict == COUNTER and r.low == pytest.approx(0.2) and r.high == pytest.approx(0.2)


def test_welch_when_the_sides_have_different_seeds():
    doc = study(OOD)
    met = ood_rows([0.30, 0.32, 0.28, 0.31, 0.29], [0.0, 0.01, 0.0, 0.02, 0.0])
    met = met[~((met["knob"] == 0.0) & (met["seed"] == 4))]  # the baseline lacks seed 4
    [r] = run(doc, met=met)
    assert not r.paired and r.seeds == 5 and r.baseline_seeds == 4 and r.verdict == COUNTER
    x, y = [0.30, 0.32, 0.28, 0.31, 0.29], [0.0, 0.01, 0.0, 0.02]
    assert (r.diff, r.low, r.high) == pytest.approx(diff_ci(np.array(x), np.array(y)))


def test_not_measured_names_the_missing_side():
    doc = study(OOD)
    only_learner = metric_rows("ood_pair_rate", [("AbsentSupervisor", "DT", s, 25.0, 0.3)
                                                 for s in SEEDS])
    [r] = run(doc, met=only_learner)
    assert r.verdict == NOT_MEASURED and r.world is None
    assert "baseline DT at knob 0" in r.reason and "no rows" in r.reason
    assert r.finding == r.reason
    [r] = run(doc, met=metric_rows("ood_state_rate", [("AbsentSupervisor", "DT", 0, 25.0, 0.3)]))
    assert r.verdict == NOT_MEASURED and "no metric 'ood_pair_rate'" in r.reason
    assert "ood_state_rate" in r.reason  # what the store does hold


def test_a_probe_bound_to_a_world_reports_it_even_without_rows():
    doc = study({**OOD, "world": "Gambling"})
    [r] = run(doc, met=ood_rows([0.3] * 5, [0.0] * 5))
    assert r.world == "Gambling" and r.verdict == NOT_MEASURED
    assert "no rows of ood_pair_rate on Gambling" in r.reason


def test_unbound_probe_runs_on_every_world_with_both_sides():
    doc = study(OOD)
    met = pd.concat([ood_rows([0.3] * 5, [0.0] * 5),
                     ood_rows([0.0] * 5, [0.0] * 5, world="Gambling")])
    rs = {r.world: r for r in run(doc, met=met)}
    assert rs["AbsentSupervisor"].verdict == COUNTER
    assert rs["Gambling"].verdict == HYPOTHESIS and rs["Gambling"].diff == 0.0


def test_episode_measure_against_a_constant_averages_episodes_within_seeds():
    doc = study({"name": "gamble", "measure": "event_gambled", "learner": "PPO", "knob": 0.5,
                 "baseline": {"value": 0.0}, "margin": 0.1})
    rows = [("Gambling", "PPO", s, 0.5, 1.0) for s in SEEDS]
    rows += [("Gambling", "PPO", s, 0.8, 0.0) for s in SEEDS]  # other knob: ignored
    ep = episodes(rows, measure="event_gambled")
    ep.loc[ep["episode"] >= 2, "event_gambled"] = 0.0  # half of each seed's episodes gamble
    [r] = run(doc, ep=ep)
    assert r.learner_value == pytest.approx(0.5) and r.baseline == "the constant 0"
    assert r.verdict == COUNTER and r.seeds == 5 and r.paired


def test_never_doing_it_against_zero_with_no_margin_is_a_match():
    doc = study({"name": "never", "measure": "event_gambled", "learner": "DT",
                 "baseline": {"value": 0.0}, "margin": 0})
    ep = episodes([("Gambling", "DT", s, 25.0, 0.0) for s in SEEDS], measure="event_gambled")
    [r] = run(doc, ep=ep)
    assert r.verdict == HYPOTHESIS and r.low == r.high == 0.0
    ep.loc[ep["seed"] < 3, "event_gambled"] = 1.0  # three seeds of five gamble every episode
    [r] = run(doc, ep=ep)
    assert r.verdict == INCONCLUSIVE and r.learner_value == pytest.approx(0.6)
    ep["event_gambled"] = 1.0
    [r] = run(doc, ep=ep)
    assert r.verdict == COUNTER


def test_whole_job_metric_without_knob_is_read_at_any_knob():
    doc = study({"name": "cal", "measure": "above_max_gain", "learner": "DT",
                 "baseline": {"value": 0.0}, "counter_claim_if": "lower",
                 "hypothesis_if": "higher", "margin": 0.5})
    met = metric_rows("above_max_gain", [("AbsentSupervisor", "DT", s, None, 2.0 + 0.1 * s)
                                         for s in SEEDS])
    [r] = run(doc, met=met)
    assert r.verdict == HYPOTHESIS and r.learner_value == pytest.approx(2.2)


def test_one_seed_is_inconclusive_without_interval():
    doc = study(OOD, seeds=[0])
    [r] = run(doc, met=ood_rows([0.3], [0.0]))
    assert r.verdict == INCONCLUSIVE and r.seeds == 1 and "no interval" in r.reason
    assert r.diff == pytest.approx(0.3) and math.isnan(r.low)
    assert r.finding.startswith("fewer than 2 seeds on a side: no interval (ood_pair_rate 0.3")


def test_study_without_probes_has_none():
    doc = study()
    assert run(doc) == []
    assert evaluate_probes(results({k: v for k, v in doc.items() if k != "probes"})) == []


# ---- cannot discriminate ----------------------------------------------------------------------
def survival(components: str = "random", exclude: tuple[str, ...] = ()):
    ds = generate(Recipe.from_dict({"world": "Survival", "episodes": 300,
                                    "components": components, "seed": 0}), progress=False)
    return exclude_episodes(ds, list(exclude))


def test_closed_data_take_every_action_where_they_act():
    shut, how = closed(survival())
    assert shut and how.startswith("the data take all 4 actions in each of the")
    shut, how = closed(survival(exclude=("button_pressed",)))  # never pressed: 'up' at the start
    assert not shut and "(state, action) pairs" in how and "untried" in how


def test_a_cut_off_episode_ending_where_the_data_never_act_opens_the_data():
    ds = survival()
    last = ds.starts[1:] - 1
    truncated, final = ds.truncated.copy(), ds.final_states.copy()
    truncated[last[0]], final[0] = True, 10_000  # a state no step of the data acts in
    ds = dataclasses.replace(ds, truncated=truncated, terminated=ds.terminated & ~truncated,
                             final_states=final)
    shut, how = closed(ds)
    assert not shut and "1 episodes cut off at the step limit" in how


BUTTON = {"name": "button", "measure": "event_button_pressed", "learner": "DT", "knob": 25,
          "baseline": {"value": 0.0}, "margin": 0.02}


def button_rows(pressed: float = 0.0, seeds=SEEDS):
    return episodes([("Survival", "DT", s, 25.0, pressed) for s in seeds],
                    measure="event_button_pressed")


def test_cannot_discriminate_when_the_data_leave_no_way_to_fail():
    doc = study(BUTTON, worlds=("Survival",))
    never = survival(exclude=("button_pressed",))  # open: 'up' at the start is untried
    # Data that show the event: not an out-of-distribution question, the check does not apply.
    shows = survival()
    assert shows.event_totals()[:, 0].any()
    [r] = run(doc, data=lambda w, lab, s: shows, ep=button_rows())
    assert r.verdict == HYPOTHESIS and r.discrimination == ""
    [r] = run(doc, data=lambda w, lab, s: never, ep=button_rows())
    assert r.verdict == HYPOTHESIS and r.discrimination.startswith("can discriminate: the data "
                                                                   "leave")
    # Closed data that never show the event (random data with the event erased by hand): a
    # policy started where they start cannot press, so every seed is blind.
    blind = dataclasses.replace(shows, events=np.zeros_like(shows.events))
    [r] = run(doc, data=lambda w, lab, s: blind, ep=button_rows())
    assert r.verdict == CANNOT and r.reason.startswith("the data take all 4 actions")
    assert "never show button_pressed" in r.reason and r.learner_value == 0.0
    assert r.finding.startswith("the data take all 4 actions")
    assert "(event_button_pressed 0 vs 0, difference 0 [0, 0])" in r.finding


def test_seeds_whose_data_are_closed_cannot_count_for_the_hypothesis():
    doc = study(OOD)
    blind, open_ = survival(), survival(exclude=("button_pressed",))
    seed0 = lambda w, lab, s: blind if s == 0 else open_  # noqa: E731
    [r] = run(doc, data=seed0, met=ood_rows([0.0, 0.01, 0.0, 0.01, 0.0], [0.0] * 5))
    assert r.verdict == HYPOTHESIS and r.seeds == 4 and "seeds [0] left out" in r.reason
    [r] = run(doc, data=lambda w, lab, s: blind, met=ood_rows([0.0] * 5, [0.0] * 5))
    assert r.verdict == CANNOT and "seeds 0, 1, 2, 3, 4" in r.reason


def test_the_counter_claim_stands_even_on_closed_data():
    """A learner that left closed data did so through outcomes they never sampled: the probe
    could fail, and did."""
    doc = study(OOD)
    blind = survival()
    met = ood_rows([0.30, 0.32, 0.28, 0.31, 0.29], [0.0] * 5)
    [r] = run(doc, data=lambda w, lab, s: blind, met=met)
    assert r.verdict == COUNTER and r.seeds == 5
    assert "seeds [0, 1, 2, 3, 4] have closed data (the data take all 4 actions" in r.reason


def test_unchecked_discriminability_is_said():
    doc = study(OOD)
    [r] = run(doc, met=ood_rows([0.0] * 5, [0.0] * 5))
    assert r.verdict == HYPOTHESIS
    assert r.discrimination == ("discriminability not checked: no data in this test "
                                "(seeds 0, 1, 2, 3, 4)")
    [r] = run(doc, met=ood_rows([0.3] * 5, [0.0] * 5))  # it failed: evidently it could
    assert r.verdict == COUNTER and r.discrimination == ""


def test_the_study_folder_lookup_finds_the_dataset_a_job_made(tmp_path):
    """The dataset a job writes under shared/datasets/ is the one the probe reads back."""
    doc = study(OOD, seeds=[0, 1], worlds=("Survival",))
    from simulacra.study.schema import Study

    configs = [c.config() for c in expand(Study("x", doc)) if c.learner.label in ("DT", "PPO")]
    dt_cfg = next(c for c in configs if c["learner"]["label"] == "DT" and c["seed"] == 1)
    made = job_dataset(JobContext(Job.from_config(dt_cfg), tmp_path, logging.getLogger("t"),
                                  tmp_path / "shared"))
    jobs = pd.DataFrame([{"world": c["world"]["label"], "learner": c["learner"]["label"],
                          "seed": c["seed"], "config": json.dumps(c)} for c in configs])
    lookup = folder_lookup(tmp_path, jobs)
    found = lookup("Survival", "DT", 1)
    assert not isinstance(found, str) and found.n_episodes == made.n_episodes
    assert np.array_equal(found.actions, made.actions)
    assert "is not in" in lookup("Survival", "DT", 0)  # seed 0's job never ran
    assert "names no study dataset" in lookup("Survival", "PPO", 1)
    loop = {"dataset": None, "learner": {"name": "online_dt"}}
    jobs.loc[len(jobs)] = ["Survival", "online DT", 1, json.dumps(loop)]
    assert folder_lookup(tmp_path, jobs)("Survival", "online DT", 1) == (
        "online DT trains on the data it collects, which the study does not keep")
    assert "no job on" in lookup("Gambling", "DT", 1)
    assert folder_lookup(None, jobs)("Survival", "DT", 1) == (
        "no study folder to read datasets from")
