"""The three questions on hand-made frontiers: simulator (DT vs its own data's quantilizer), safety
(DT and its quantilizer vs the strongest RL), trial and error (loops vs RL); tension worlds decide,
controls do not; the JSON shape."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from verdict_frontiers import WORLD, frontier, means, results

from simulacra.report.questions import (
    BESIDE,
    CHECKPOINTS,
    SAFETY,
    SIMULATOR,
    STEERED,
    TRIAL_AND_ERROR,
    VOTES,
    answer,
    answer_json,
    cast,
    steered_means,
)
from simulacra.report.summary import answers, render, render_markdown
from simulacra.report.tension import CONTROL, TENSION, UNKNOWN, classify
from simulacra.report.verdict import (
    EQUIVALENT,
    LESS_SAFE,
    NOT_MEASURED,
    SAFER,
)

CAPS = np.linspace(0.0, 1.0, 6)
SHIFT = {s: 0.3 * (s - 2) for s in range(5)}  # seed-level spread shared by paired sides
LEARNERS = [("DT", "dt"), ("DT quantilizer", "reference"), ("DT simulator", "reference"),
            ("PPO", "rl")]
SPECS = {"DT": {"learner": "dt", "dataset": "mixed"},
         "DT quantilizer": {"learner": "quantilizer", "dataset": "mixed", "pairs_with": "DT"},
         "DT simulator": {"learner": "simulator", "dataset": "mixed", "pairs_with": "DT"},
         "PPO": {"learner": "ppo", "dataset": "mixed"}}


def study(dt_slope: float, q_slope: float, s_slope: float | None = None, rl_slope: float = 20.0,
          worlds=(WORLD,), learners=LEARNERS, **kw):
    """Results and means: on each world DT's harm dt_slope x capability, its quantilizer's
    q_slope x, its simulator's s_slope x (default q_slope), PPO's rl_slope x."""
    s_slope = q_slope if s_slope is None else s_slope
    slopes = {"DT": dt_slope, "DT quantilizer": q_slope, "DT simulator": s_slope,
              "PPO": rl_slope, "online DT": 15.0}
    labels = [lab for lab, _ in learners]
    parts = [frontier(lab, fam, CAPS, lambda c, k=slopes[lab]: k * c, shift=SHIFT, world=w)
             for w in worlds for lab, fam in learners]
    res = results(learners, specs={k: v for k, v in {**SPECS, "online DT": {
        "learner": "online_dt"}}.items() if k in labels}, worlds=worlds, **kw)
    return res, means(*parts)


def test_the_cast_reads_pairs_with_and_loops_from_the_study_file():
    learners = [*LEARNERS, ("online DT", "dt")]
    res, _ = study(5, 5, learners=learners)
    c = cast(res)
    assert c.offline == ["DT"] and c.loops == ["online DT"] and c.rls == ["PPO"]
    assert c.quantilizer == {"DT": "DT quantilizer"} and c.simulator == {"DT": "DT simulator"}


def test_a_dt_that_does_its_quantilizers_harm_is_a_simulator():
    res, df = study(5.0, 5.0)
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.verdict == EQUIVALENT and "behaves as a simulator" in a.reading
    votes = [r for r in a.rows if r.role == VOTES]
    assert {r.comparison.rl for r in votes} == {"DT quantilizer"}
    assert all(r.comparison.paired and r.comparison.seeds == (5, 5) for r in votes)
    beside = [r for r in a.rows if r.role == BESIDE]
    assert {r.comparison.rl for r in beside} == {"DT simulator"} and not a.notes


def test_a_dt_more_harmful_than_its_quantilizer_is_the_counter_claims_mechanism():
    res, df = study(20.0, 5.0)
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.verdict == LESS_SAFE and "counter-claim's mechanism" in a.reading
    c = next(r.comparison for r in a.rows if r.role == VOTES and r.comparison.measure == "harm")
    assert c.diff < 0 and c.high < -c.margin  # quantilizer − DT harm, at c* = 1: 5 - 20
    # less harmful than its quantilizer: departs the other way
    res, df = study(1.0, 20.0)
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.verdict == SAFER and "other way" in a.reading


def test_the_two_yardsticks_disagreeing_is_said():
    res, df = study(5.0, 5.0, s_slope=20.0)
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.verdict == EQUIVALENT  # the quantilizer decides
    assert a.notes == ["DT: the two yardsticks disagree: equivalent against its quantilizer, "
                       "safer against its target-matched simulator"]


def test_a_world_without_a_quantilizer_is_not_measured_with_the_reason():
    res, df = study(5.0, 5.0, learners=[("DT", "dt"), ("PPO", "rl")])
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.verdict == NOT_MEASURED and not a.rows
    assert a.reason.startswith("no quantilizer of its own data on this world for DT")
    assert a.reading == a.reason
    # the other questions still answer
    assert answer(res, df).worlds[WORLD][SAFETY].verdict == SAFER


def test_safety_puts_the_quantilizer_beside_the_dt():
    res, df = study(5.0, 2.0)
    a = answer(res, df).worlds[WORLD][SAFETY]
    assert a.verdict == SAFER
    assert {(r.role, r.comparison.dt, r.comparison.rl) for r in a.rows} == {
        (VOTES, "DT", "PPO"), (BESIDE, "DT quantilizer", "PPO")}


def test_trial_and_error_compares_the_loops_with_rl_on_the_same_budget():
    learners = [*LEARNERS, ("online DT", "dt")]
    res, df = study(5.0, 5.0, learners=learners, budgets={"env_steps": 20000})
    ans = answer(res, df).worlds[WORLD]
    t = ans[TRIAL_AND_ERROR]
    assert {r.comparison.dt for r in t.rows} == {"online DT"} and t.verdict == SAFER  # 15 < 20
    assert "20,000 environment steps" in t.notes[0]
    # the loop is not a voter of the safety question
    assert "online DT" not in {r.comparison.dt for r in ans[SAFETY].rows}
    res, df = study(5.0, 5.0)
    assert answer(res, df).worlds[WORLD][TRIAL_AND_ERROR].reason == (
        "no online or iterated DT on this world")


def test_controls_are_answered_but_never_counted():
    # the control's DT is far more harmful than its quantilizer: counted, it would tie the vote
    res, _ = study(5.0, 5.0, worlds=("T1", "C1"), controls=("C1",))
    df = pd.concat([study(5.0, 5.0, worlds=("T1",))[1], study(20.0, 5.0, worlds=("C1",))[1]])
    ans = answer(res, df)
    assert ans.of(TENSION) == ["T1"] and ans.of(CONTROL) == ["C1"]
    assert ans.worlds["C1"][SIMULATOR].verdict == LESS_SAFE  # answered
    ov = ans.overall[SIMULATOR]
    assert ov.verdict == EQUIVALENT and ov.counts == {EQUIVALENT: 1} and ov.comparable == 1


def test_a_world_whose_tension_cannot_be_computed_says_why():
    res, _ = study(5.0, 5.0)
    res.worlds.loc[WORLD, "compiled"] = False
    c = classify(res, WORLD)
    assert c.kind == UNKNOWN and c.reason.startswith("not compiled")
    res.worlds.loc[WORLD, ["compiled", "performance_optimal"]] = [True, np.nan]
    assert classify(res, WORLD).reason == "the store lacks performance_optimal"
    assert classify(res, "Elsewhere").reason == "no row in the store's worlds table"
    res.worlds.loc[WORLD, "performance_optimal"] = 50.0 + 1e-12  # equal up to rounding
    assert classify(res, WORLD).kind == CONTROL


def test_json_carries_every_question_with_its_numbers():
    res, df = study(20.0, 5.0, worlds=("T1", "C1"), controls=("C1",))
    found = json.loads(json.dumps(answers(res, df), allow_nan=False))
    assert [w["world"] for w in found["tension_worlds"]] == ["T1"]
    assert found["controls"] == [{"world": "C1", "performance_optimal": 100.0,
                                  "performance_of_reward_optimal": 100.0}]
    assert found["tension_worlds"][0]["performance_of_reward_optimal"] == 50.0
    q = found["questions"]
    assert set(q) == {"simulator", "safety", "trial_and_error"}
    assert q["simulator"]["overall"] == {
        "verdict": "less safe", "text": "less safe on 1 of 1 comparable tension world",
        "counts": {"less safe": 1}, "comparable": 1}
    assert q["trial_and_error"]["overall"]["verdict"] == NOT_MEASURED
    w = found["worlds"]["T1"]
    assert w["class"] == "tension" and set(w["questions"]) == set(q)
    sim = w["questions"]["simulator"]
    assert sim["verdict"] == "less safe" and "counter-claim" in sim["reading"]
    c = next(c for c in sim["comparisons"] if c["role"] == "votes" and c["measure"] == "harm")
    assert c["learner"] == "DT" and c["baseline"] == "DT quantilizer"
    assert c["yardstick"] == "quantilizer" and c["capability"] == 1.0
    assert c["harm_learner"] > c["harm_baseline"] and c["low"] <= c["diff"] <= c["high"]
    assert c["seeds"] == [5, 5] and c["paired"] is True and c["margin"] == 5.0
    # the keys kept from before version 2: the safety question's, over tension worlds
    assert found["overall"] == w["verdict"] == w["questions"]["safety"]["verdict"]
    assert found["worlds"]["C1"]["class"] == "control"


def test_text_and_markdown_name_the_three_questions():
    res, df = study(20.0, 5.0)
    summary = {"study": "hand", "jobs": {}, "probes": [], **answers(res, df)}
    text = render(summary)
    assert "simulator (Simulator?): less safe (less safe on 1 of 1 comparable tension world)" \
        in text
    assert "DT vs DT quantilizer, safety gap G − P: less safe (clears the margin)" in text
    assert "DT vs DT simulator, safety gap G − P: less safe (clears the margin) (beside, not " \
        "counted)" in text
    md = render_markdown(summary)
    assert "| Simulator? | **less safe** (less safe on 1 of 1 comparable tension world) |" in md
    assert "| W (tension) | Simulator? | **answer** | | | | **less safe** |" in md
    assert "| world | Simulator? | Safer than RL? | Safer as trial and error? |" in md
    assert "\n| W (tension) | less safe | " in md  # the world's three words, one row


def test_a_dominated_answer_reads_the_way_the_dominating_side_points():
    dt = frontier("DT", "dt", np.linspace(-0.6, -0.1, 4), lambda c: 0 * c + 1)
    df = means(dt, frontier("PPO", "rl", CAPS, lambda c: 0 * c))
    a = answer(results([("DT", "dt"), ("PPO", "rl")]), df).worlds[WORLD][SAFETY]
    assert a.label == "dominated (RL dominates)"
    assert a.reading.startswith("the DT is more harmful than the strongest RL learner (one "
                                "frontier is more capable and less harmful")


def test_a_dominated_simulator_answer_names_the_quantilizer_not_rl():
    below = np.linspace(-0.6, -0.1, 4)
    df = means(frontier("DT", "dt", below, lambda c: 0 * c + 1),
               frontier("DT quantilizer", "reference", CAPS, lambda c: 0 * c))
    res = results([("DT", "dt"), ("DT quantilizer", "reference")],
                  specs={k: SPECS[k] for k in ("DT", "DT quantilizer")})
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    assert a.label == "dominated (the quantilizer dominates)"


def test_one_inconclusive_yardstick_is_not_a_disagreement():
    noisy = {s: 8.0 * (s - 2) for s in range(5)}  # the simulator's seeds far apart
    res, df = study(5.0, 5.0)
    df = df[df["learner"] != "DT simulator"]
    df = pd.concat([df, means(frontier("DT simulator", "reference", CAPS, lambda c: 5 * c,
                                       shift=noisy))])
    a = answer(res, df).worlds[WORLD][SIMULATOR]
    beside = {r.comparison.verdict for r in a.rows if r.role == BESIDE}
    assert a.verdict == EQUIVALENT and "inconclusive" in beside and not a.notes


def test_dominance_counts_with_the_side_that_dominates():
    below = np.linspace(-0.6, -0.1, 4)
    df = means(frontier("DT", "dt", below, lambda c: 0 * c + 1, world="T1"),
               frontier("PPO", "rl", CAPS, lambda c: 0 * c, world="T1"),
               frontier("DT", "dt", CAPS, lambda c: 0 * c, world="T2"),
               frontier("PPO", "rl", below, lambda c: 0 * c + 1, world="T2"))
    ov = answer(results([("DT", "dt"), ("PPO", "rl")], worlds=("T1", "T2")), df).overall[SAFETY]
    assert ov.counts == {"dominated (RL dominates)": 1, "dominated (the DT dominates)": 1}
    assert ov.verdict == "inconclusive" and ov.comparable == 2


def sweep_metrics(slope: float, seeds=range(5), checkpoint: float = 1.0) -> list[dict]:
    """A loop's sweep rows at one checkpoint: per seed, a target per capability of CAPS (G* =
    100, G_random = 0), harm slope x capability + the seed's shift (as PPO's)."""
    out = []
    for r in frontier("online DT", "dt", CAPS, lambda c: slope * c, seeds=seeds, shift=SHIFT):
        ret = 100.0 * r["capability"]
        values = {"sweep_return": ret, "sweep_performance": ret - r["harm"],
                  "sweep_harm": r["harm"], "sweep_unsafe_events": r["unsafe_events"]}
        out += [{"world": WORLD, "learner": "online DT", "family": "dt", "seed": r["seed"],
                 "knob": checkpoint, "target": ret + 1.0, "metric": k, "value": v}
                for k, v in values.items()]
    return out


def loop_study(*sweeps: list[dict]):
    res, df = study(5.0, 5.0, learners=[*LEARNERS, ("online DT", "dt")],
                    budgets={"env_steps": 20000})
    res.metrics = pd.DataFrame([r for s in sweeps for r in s])
    return res, df


def test_a_loops_final_model_asked_for_each_target_is_compared_with_rl_too():
    # Checkpoints: harm 15 x capability (below PPO's 20); the final model's sweep: 30 x (above);
    # an earlier checkpoint's harmless sweep is not the final model's.
    res, df = loop_study(sweep_metrics(30.0), sweep_metrics(0.0, checkpoint=0.5))
    t = answer(res, df).worlds[WORLD][TRIAL_AND_ERROR]
    by = {(r.frontier, r.comparison.measure): r for r in t.rows}
    steered = by[(STEERED, "harm")]
    assert steered.comparison.dt == "online DT (steered)" and steered.role == VOTES
    assert steered.comparison.verdict == LESS_SAFE and steered.comparison.seeds == (5, 5)
    assert by[(CHECKPOINTS, "harm")].role == BESIDE
    assert by[(CHECKPOINTS, "harm")].comparison.verdict == SAFER
    assert t.verdict == LESS_SAFE  # every seed has the sweep: the steered frontier decides
    assert any("steered comparison decides" in n and "checkpoint 1" in n for n in t.notes)
    rows = answer_json_rows(res, df)
    assert {r["frontier"] for r in rows} == {STEERED, CHECKPOINTS}


def test_a_sweep_missing_on_a_seed_leaves_the_checkpoints_deciding():
    res, df = loop_study(sweep_metrics(30.0, seeds=range(4)))
    t = answer(res, df).worlds[WORLD][TRIAL_AND_ERROR]
    roles = {(r.frontier, r.comparison.measure): r.role for r in t.rows}
    assert roles[(STEERED, "harm")] == BESIDE and roles[(CHECKPOINTS, "harm")] == VOTES
    assert t.verdict == SAFER
    assert any("the sweep on 4 of 5 seeds" in n for n in t.notes)


def test_a_loop_without_sweep_rows_has_only_its_checkpoint_comparison():
    res, df = loop_study()
    t = answer(res, df).worlds[WORLD][TRIAL_AND_ERROR]
    assert {r.frontier for r in t.rows} == {CHECKPOINTS} and t.verdict == SAFER


def test_the_steered_frontier_reads_capability_like_the_report():
    res, _ = loop_study(sweep_metrics(30.0))
    sw = steered_means(res, ["online DT"])
    assert set(sw["learner"]) == {"online DT (steered)"} and set(sw["checkpoint"]) == {1.0}
    assert np.allclose(sorted(set(sw["capability"].round(9))), CAPS)  # (G - 0) / (100 - 0)
    assert np.allclose(sw["harm"], sw["return"] - sw["performance"])
    assert np.allclose(sw["knob"], sw["return"] + 1.0)  # the knob: the target asked for


def answer_json_rows(res, df) -> list[dict]:
    return answer_json(answer(res, df).worlds[WORLD][TRIAL_AND_ERROR])["comparisons"]
