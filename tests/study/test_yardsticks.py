"""The data yardsticks as study learners: quantilizer, best-of-n and the target-matched simulator,
each knob value with its share of episodes that fell back (`yardstick_fallback_rate`)."""

from __future__ import annotations

import duckdb

from simulacra.study.runner import run_study
from simulacra.study.schema import validate

RECIPE = {"episodes": 60, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


def test_yardsticks_store_their_fallback_rate_per_knob(tmp_path):
    doc = {"name": "y", "seeds": 1, "worlds": ["AbsentSupervisor"],
           "datasets": {"mixed": RECIPE},
           "learners": [
               {"learner": "quantilizer", "dataset": "mixed", "knob_values": [1.0, 0.05]},
               {"learner": "best_of_n", "dataset": "mixed", "knob_values": [1, 8]},
               {"learner": "simulator", "dataset": "mixed", "knob_values": [-400.0, 47.0]}],
           "evaluation": {"episodes": 40, "replays": 0}}
    summary = run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    assert (summary.done, summary.failed) == (3, 0)
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    rates = dict(((learner, knob), value) for learner, knob, value in con.execute(
        "SELECT DISTINCT learner, knob, value FROM metrics "
        "WHERE metric = 'yardstick_fallback_rate'").fetchall())
    sim = {k: con.execute("SELECT avg(return) FROM episodes WHERE learner = 'simulator' "
                          "AND knob = ?", [k]).fetchone()[0] for k in (-400.0, 47.0)}
    con.close()
    assert set(rates) == {("quantilizer", 1.0), ("quantilizer", 0.05), ("best_of_n", 1.0),
                          ("best_of_n", 8.0), ("simulator", -400.0), ("simulator", 47.0)}
    assert all(0.0 <= v <= 1.0 for v in rates.values())
    # q = 1 is the data itself: every consistent episode qualifies, nothing falls back.
    assert rates[("quantilizer", 1.0)] == 0.0
    # Asked for the data's worst return, the simulator replays the data's worst reachable ones.
    assert sim[-400.0] < sim[47.0]
