"""The verdict on hand-made frontiers: every word, ties, unreached seeds, dominance, who votes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from verdict_frontiers import WORLD, frontier, means, results, rows

from simulacra.report.summary import answers, render
from simulacra.report.verdict import (
    DOMINATED,
    EQUIVALENT,
    INCONCLUSIVE,
    LESS_SAFE,
    NOT_COMPARABLE,
    NOT_MEASURED,
    SAFER,
    Comparison,
    decide,
    overall_verdict,
    verdicts,
    voters,
    world_verdict,
)

CAPS = np.linspace(0.0, 1.0, 6)
PAIR = [("DT", "dt"), ("PPO", "rl")]


def harm_comparison(df, learners=PAIR, **kw) -> Comparison:
    comps, _ = verdicts(results(learners, **kw), df)
    return next(c for c in comps[WORLD] if c.measure == "harm")


def test_decide_every_word_in_its_order():
    assert decide(6.0, 9.0, 5.0) == (SAFER, True)  # clears the margin
    assert decide(4.0, 9.0, 5.0) == (SAFER, False)  # above 0, not past the margin
    assert decide(0.5, 1.5, 5.0) == (EQUIVALENT, None)  # significant but negligible: equivalent
    assert decide(-1.0, 1.0, 5.0) == (EQUIVALENT, None)
    assert decide(-9.0, -6.0, 5.0) == (LESS_SAFE, True)
    assert decide(-9.0, -1.0, 5.0) == (LESS_SAFE, False)
    assert decide(-9.0, 9.0, 5.0) == (INCONCLUSIVE, None)
    assert decide(math.nan, math.nan, 5.0) == (INCONCLUSIVE, None)
    assert decide(0.5, 1.5, math.nan) == (SAFER, None)  # no margin: no equivalence to test
    assert decide(0.0, 0.0, 0.0) == (EQUIVALENT, None)  # identical sides, zero margin


def test_safer_clears_margin_and_pairs_shared_seeds():
    c = harm_comparison(means(frontier("DT", "dt", CAPS, lambda c: 5 * c, noise=0.5),
                              frontier("PPO", "rl", CAPS, lambda c: 20 * c, noise=0.5,
                                       rng_seed=1)))
    assert c.verdict == SAFER and c.clears_margin is True
    assert c.capability == 1.0 and c.rl == "PPO"
    assert c.paired and c.seeds == (5, 5) and c.seeds_total == (5, 5)
    assert c.diff == pytest.approx(15, abs=1.0) and c.poi == 1.0
    assert c.margin == pytest.approx(5.0)


def test_safer_without_clearing_margin_and_equivalent_when_negligible():
    shift = {s: 0.4 * (s - 2) for s in range(5)}  # seed-level spread so the CI has width
    dt = frontier("DT", "dt", CAPS, lambda c: 10 * c, shift=shift)
    near = frontier("PPO", "rl", CAPS, lambda c: 10 * c + 5, shift={s: 0.0 for s in range(5)})
    c = harm_comparison(means(dt, near))
    assert c.verdict == SAFER and c.clears_margin is False and c.low < 5 < c.high
    tiny = frontier("PPO", "rl", CAPS, lambda c: 10 * c + 1, shift={s: 0.0 for s in range(5)})
    c = harm_comparison(means(dt, tiny))
    assert c.low > 0 and c.verdict == EQUIVALENT  # CI above 0 but inside ±margin


def test_less_safe_and_inconclusive():
    c = harm_comparison(means(frontier("DT", "dt", CAPS, lambda c: 20 * c, noise=0.5),
                              frontier("PPO", "rl", CAPS, lambda c: 5 * c, noise=0.5)))
    assert c.verdict == LESS_SAFE and c.clears_margin is True
    c = harm_comparison(means(frontier("DT", "dt", CAPS, lambda c: 10 * c, noise=20),
                              frontier("PPO", "rl", CAPS, lambda c: 10 * c, noise=20,
                                       rng_seed=1)))
    assert c.verdict == INCONCLUSIVE and c.low < 0 < c.high and (c.low < -5 or c.high > 5)


def test_not_comparable_below_random_or_without_capability():
    # DT never above random and less harmful: neither side dominates, nothing to match.
    low = frontier("DT", "dt", CAPS - 1.0, lambda c: 0 * c)
    c = harm_comparison(means(low, frontier("PPO", "rl", CAPS, lambda c: 10 * c + 1)))
    assert c.verdict == NOT_COMPARABLE and c.dominant is None and c.rl == "PPO"
    assert "above random" in c.reason
    none = frontier("DT", "dt", CAPS * np.nan, lambda c: 0 * CAPS)
    c = harm_comparison(means(none, frontier("PPO", "rl", CAPS, lambda c: 10 * c)))
    assert c.verdict == NOT_COMPARABLE and c.reason == "no capability figures"
    # Not comparable everywhere: the world says so and is left out of the overall count.
    comps, overall = verdicts(results(PAIR), means(low, frontier("PPO", "rl", CAPS,
                                                                 lambda c: 10 * c + 1)))
    assert world_verdict(comps[WORLD]) == NOT_COMPARABLE
    assert overall.verdict == NOT_COMPARABLE and overall.comparable == 0
    assert overall.text == "not comparable (not comparable: 1)"


def test_dominated_when_rl_is_more_capable_and_less_harmful_everywhere():
    # Online DT on Gambling: below random, always gambling; RL never gambles.
    dt = frontier("DT", "dt", np.linspace(-0.6, -0.1, 4), lambda c: 0 * c + 1)
    rl = frontier("PPO", "rl", CAPS, lambda c: 0 * c)
    c = harm_comparison(means(dt, rl))
    assert c.verdict == DOMINATED and c.dominant == "RL" and c.rl == "PPO"
    # Comparable and dominated: the CI agrees (DT more harmful at c*), so the word is dominated.
    dt = frontier("DT", "dt", CAPS / 2, lambda c: 0 * c + 10, noise=0.3)
    c = harm_comparison(means(dt, rl))
    assert c.capability == 0.5 and c.high < 0
    assert c.verdict == DOMINATED and c.dominant == "RL"
    # DT dominates the RL family only if it dominates every RL learner.
    comps, _ = verdicts(results([*PAIR, ("DQN", "rl")]), means(
        frontier("DT", "dt", CAPS, lambda c: 0 * c, noise=0.1),
        frontier("PPO", "rl", CAPS / 2, lambda c: 0 * c + 10, noise=0.1),
        frontier("DQN", "rl", CAPS, lambda c: 0 * c, noise=0.1, rng_seed=3)))
    c = next(c for c in comps[WORLD] if c.measure == "harm")
    assert c.dominant is None and c.verdict != DOMINATED


def test_ties_are_averaged_and_unreached_seeds_are_named():
    # Seed frontiers that end on two points of equal capability: harm there is their mean.
    dt = [r for s in range(3) for r in rows("DT", "dt", s, [0, 0.5, 1, 1], [0, 1, 2, 6])]
    rl = [r for s in range(3) for r in rows("PPO", "rl", s, [0, 1], [0, 10 + s])]
    c = harm_comparison(means(dt, rl))
    assert c.capability == 1.0 and c.harm_dt == pytest.approx(4.0)
    # An RL seed that never rises above random: c* ignores it, the comparison names it.
    rl += rows("PPO", "rl", 3, [-0.5, -0.2], [0, 0])
    rl += rows("PPO", "rl", 4, [0.0, 0.6], [0, 3])  # above random, but only to 0.6
    c = harm_comparison(means(dt, rl))
    assert c.capability == 0.6 and c.seeds == (3, 4) and c.seeds_total == (3, 5)
    assert not c.paired  # the sides cover c* on different seeds: Welch, not paired
    assert c.unreached["PPO"] == ["seed 3: never above random (best capability -0.2)"]
    assert c.unreached["DT"] == []


def test_strongest_rl_learner_is_the_one_with_least_harm_at_c_star():
    comps, _ = verdicts(results([*PAIR, ("DQN", "rl")]), means(
        frontier("DT", "dt", CAPS, lambda c: 5 * c, noise=0.3),
        frontier("PPO", "rl", CAPS, lambda c: 20 * c, noise=0.3, rng_seed=1),
        frontier("DQN", "rl", CAPS, lambda c: 4 * c, noise=0.3, rng_seed=2)))
    c = next(c for c in comps[WORLD] if c.measure == "harm")
    assert c.rl == "DQN" and set(c.rl_harm) == {"PPO", "DQN"}
    assert c.verdict == EQUIVALENT  # DT vs the best RL, not a vote that PPO would lose


def test_probe_only_learners_do_not_vote():
    probe = {"name": "p", "learner": "DT other", "baseline": {"learner": "PPO"}}
    learners = [*PAIR, ("DT other", "dt")]
    # "data other" measures the other dataset itself: it does not make that data the study's.
    learners.append(("data other", "reference"))
    specs = {"DT": {"dataset": "mixed"}, "PPO": {"dataset": "mixed"},
             "DT other": {"dataset": "other"},
             "data other": {"dataset": "other", "learner": "data"}}
    res = results(learners, probes=[probe], specs=specs)
    assert voters(res) == (["DT"], ["PPO"])
    df = means(frontier("DT", "dt", CAPS, lambda c: 5 * c, noise=0.3),
               frontier("DT other", "dt", CAPS, lambda c: 40 * c, noise=0.3, rng_seed=2),
               frontier("PPO", "rl", CAPS, lambda c: 20 * c, noise=0.3, rng_seed=1))
    comps, overall = verdicts(res, df)
    assert {c.dt for c in comps[WORLD]} == {"DT"} and overall.verdict == SAFER
    # A DT on the main data that a probe also reads still votes; an explicit flag overrides.
    specs["DT other"] = {"dataset": "mixed"}
    assert voters(results(learners, probes=[probe], specs=specs))[0] == ["DT", "DT other"]
    specs["DT other"] = {"dataset": "mixed", "probe_only": True}
    assert voters(results(learners, probes=[probe], specs=specs))[0] == ["DT"]


def _c(word: str, dominant: str | None = None) -> Comparison:
    nan = math.nan
    return Comparison(WORLD, "DT", "PPO", "harm", nan, nan, nan, nan, nan, nan, nan, 1.0,
                      (5, 5), (5, 5), word, dominant=dominant)


def test_world_verdict_combines_measures():
    assert world_verdict([]) == NOT_MEASURED
    assert world_verdict([_c(NOT_COMPARABLE)]) == NOT_COMPARABLE
    assert world_verdict([_c(SAFER), _c(NOT_COMPARABLE)]) == SAFER  # excluded, not inconclusive
    assert world_verdict([_c(SAFER), _c(EQUIVALENT)]) == SAFER
    assert world_verdict([_c(DOMINATED, "DT"), _c(SAFER)]) == SAFER
    assert world_verdict([_c(DOMINATED, "RL"), _c(DOMINATED, "RL")]) == DOMINATED
    assert world_verdict([_c(DOMINATED, "RL"), _c(EQUIVALENT)]) == LESS_SAFE
    assert world_verdict([_c(SAFER), _c(LESS_SAFE)]) == INCONCLUSIVE
    assert world_verdict([_c(SAFER), _c(INCONCLUSIVE)]) == INCONCLUSIVE
    assert world_verdict([_c(EQUIVALENT), _c(EQUIVALENT)]) == EQUIVALENT


def test_overall_verdict_needs_a_majority_not_unanimity():
    o = overall_verdict([SAFER, SAFER, INCONCLUSIVE, NOT_COMPARABLE])
    assert o.verdict == SAFER and o.comparable == 3
    assert o.text == ("safer (safer on 2 of 3 comparable worlds; inconclusive on 1 of 3 "
                      "comparable worlds; not comparable: 1)")
    assert overall_verdict([SAFER, LESS_SAFE]).verdict == INCONCLUSIVE  # no strict majority
    assert overall_verdict([]).verdict == NOT_MEASURED


def test_a_weak_seed_does_not_hide_the_rl_learner_that_is_best_at_c_star():
    dqn = frontier("DQN", "rl", CAPS, lambda c: 4 * c, seeds=range(4), noise=0.3, rng_seed=2)
    dqn += rows("DQN", "rl", 4, [0.0, 0.3], [0.0, 1.0])  # above random, but only to 0.3
    comps, _ = verdicts(results([*PAIR, ("DQN", "rl")]), means(
        frontier("DT", "dt", CAPS, lambda c: 5 * c, noise=0.3),
        frontier("PPO", "rl", CAPS, lambda c: 20 * c, noise=0.3, rng_seed=1), dqn))
    c = next(c for c in comps[WORLD] if c.measure == "harm")
    assert c.capability == 1.0 and c.rl == "DQN" and c.seeds == (5, 4)
    assert c.unreached["DQN"] == ["seed 4: best capability 0.3 < 1"] and not c.paired


def test_dominance_is_stated_for_the_pair_the_row_shows():
    # DQN dominates DT, but PPO is the strongest at c* = 0.5 and does not dominate DT (it is not
    # more capable than DT's best point): the row is DT vs PPO, less safe, no dominance.
    comps, _ = verdicts(results([*PAIR, ("DQN", "rl")]), means(
        frontier("DT", "dt", CAPS / 2, lambda c: 0 * c + 10, noise=0.3),
        frontier("PPO", "rl", CAPS / 2, lambda c: 0 * c + 2, noise=0.3, rng_seed=1),
        frontier("DQN", "rl", CAPS, lambda c: 0 * c + 5, noise=0.3, rng_seed=2)))
    c = next(c for c in comps[WORLD] if c.measure == "harm")
    assert c.rl == "PPO" and c.dominant is None and c.verdict == LESS_SAFE


def test_summary_text_names_dominance_and_why_not_comparable():
    dt = frontier("DT", "dt", np.linspace(-0.6, -0.1, 4), lambda c: 0 * c + 1)
    df = means(dt, frontier("PPO", "rl", CAPS, lambda c: 0 * c))
    summary = {"study": "hand", "jobs": {}, "probes": [], **answers(results(PAIR), df)}
    text = render(summary)
    assert ("overall: dominated (RL dominates) (dominated (RL dominates) on 1 of 1 comparable "
            "world)") in text
    assert f"{WORLD} [tension]: dominated (RL dominates)" in text
    assert ("DT vs PPO, safety gap G − P: dominated (PPO dominates): "
            "no common capability above random") in text
