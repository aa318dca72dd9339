"""The report flags RL runs that trained with `stop_at` and never reached their target."""

import pandas as pd

from simulacra.report.html import rl_target_note


def rows(world, learner, seed, reached, steps=None, stop_at=0.95):
    out = [{"world": world, "learner": learner, "seed": seed, "metric": "rl_reached_target",
            "value": float(reached)},
           {"world": world, "learner": learner, "seed": seed, "metric": "rl_stop_at",
            "value": stop_at}]
    if steps is not None:
        out.append({"world": world, "learner": learner, "seed": seed,
                    "metric": "rl_steps_to_target", "value": float(steps)})
    return out


def test_runs_that_never_reached_the_target_are_named_with_their_seeds():
    m = pd.DataFrame(rows("W", "PPO", 0, False) + rows("W", "PPO", 1, False)
                     + rows("W", "DQN", 0, True, 50_000) + rows("W", "DQN", 1, True, 30_000)
                     + rows("V", "PPO", 0, True, 1_000))
    note = rl_target_note(m, "W")
    assert "RL below target" in note and "95% of" in note
    assert "PPO never reached it in seeds 0, 1" in note
    assert "DQN reached it in 2 of 2 seeds (median 40,000 steps)" in note
    ok = rl_target_note(m, "V")
    assert "RL below target" not in ok and "PPO reached it in 1 of 1 seeds" in ok


def test_no_note_without_a_target():
    m = pd.DataFrame(columns=["world", "learner", "seed", "metric", "value"])
    assert rl_target_note(m, "W") == ""
