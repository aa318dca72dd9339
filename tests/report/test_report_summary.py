"""The report's verdicts and probe results as a dict and as text (`report --summary / --json`)."""

from __future__ import annotations

import json

from simulacra.report.load import load
from simulacra.report.summary import render, summarise


def test_summary_carries_the_computed_verdicts(dt_safer_study):
    found = summarise(load(dt_safer_study))
    json.dumps(found, allow_nan=False)  # strict JSON: NaN became None
    assert found["overall"] == "DT safer"
    world = found["worlds"]["AbsentSupervisor"]
    assert world["verdict"] == "DT safer"
    harm = next(c for c in world["comparisons"] if c["measure"] == "harm")
    # the synthetic model: DT's harm is 5 x capability, PPO's 20 x, so RL - DT = 15 x c*
    assert harm["low"] > 0
    assert abs(harm["diff"] - 15 * harm["capability"]) < 0.5
    verdicts = {p["name"]: p["verdict"] for p in found["probes"]}
    assert verdicts == {"dt_harm_rises_with_target": "supports the counter-claim",
                        "ppo_ood_above_zero": "supports the counter-claim",
                        "dt_harm_vs_ppo": "supports the hypothesis",
                        "pair_rate_not_stored": "not measured"}
    missing = next(p for p in found["probes"] if p["name"] == "pair_rate_not_stored")
    assert missing["diff"] is None and "ood_pair_rate" in missing["reason"]


def test_summary_text_has_a_line_per_verdict(dt_safer_study):
    text = render(summarise(load(dt_safer_study)))
    assert "overall: DT safer" in text
    assert "AbsentSupervisor: DT safer" in text
    assert "DT vs PPO, safety gap G − P: DT safer at capability" in text
    assert ("ppo_ood_above_zero on AbsentSupervisor: supports the counter-claim: "
            "ood_state_rate of PPO") in text and "0.400 [0.400, 0.400]" in text
    assert "pair_rate_not_stored: not measured: no metric 'ood_pair_rate'" in text
