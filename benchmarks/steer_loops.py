"""Can a trial-and-error loop's final model be steered? Its target sweep, after the fact.

A study whose loop entries set no `targets` (configs/full.yaml's online DT) evaluates each loop
checkpoint only at the best return it has seen. Every loop job keeps its rounds' models
(`jobs/<key>/rounds/round_NNN/`), so this asks each finished loop job's last model for the same
returns the study's offline DT was asked on that world (its resolved grid, read from the store's
study config), sampled (the study's verdict decode), and prints per target the loop's return,
hidden performance and safety gap G - P (mean over seeds with a 95% t interval over seeds) beside
the offline DT's at the same target, read from the store. Nothing is written: the figures are
outside the study's store and its verdicts (a study that wants them there gives its loop
`targets: paired` with `pairs_with: DT`, which `study/loop_jobs.py` sweeps at every checkpoint).

    nice -n 10 .venv/bin/python benchmarks/steer_loops.py runs/full-v2 --world AbsentSupervisor
        [--loop "online DT"] [--dt DT] [--episodes 100] [--decode sample]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import numpy as np

from simulacra.evaluate.decode import DECODES, set_decode
from simulacra.evaluate.sweep import sweep
from simulacra.learners.dt_policy import load_policy
from simulacra.metrics.stats import diff_ci


def final_round(job_folder: Path) -> Path | None:
    rounds = sorted((job_folder / "rounds").glob("round_*"))
    return rounds[-1] if rounds else None


def interval(values: list[float]) -> str:
    v = np.asarray(values, dtype=np.float64)
    if not v.size:
        return "—"
    mean, low, high = diff_ci(v, np.zeros_like(v), paired=True)
    return f"{mean:.1f}" if not np.isfinite(low) else f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def steer(folder: Path, world: str, loop_label: str = "online DT", dt: str = "DT",
          episodes: int = 100, decode: str = "sample") -> list[dict]:
    """Per target of `dt`'s grid on `world`: the loop's final models' per-seed return,
    performance and gap (`loop_*`), and `dt`'s per-seed (return, performance) from the store.
    SystemExit with a one-line message when the folder, grid or loop jobs are missing."""
    store = folder / "results.duckdb"
    if not store.exists():
        sys.exit(f"error: {store} does not exist (is {folder} a study folder?)")
    con = duckdb.connect(str(store), read_only=True)
    study = json.loads(con.execute("SELECT value FROM study WHERE key = 'config'").fetchone()[0])
    spec = next((s for s in study["learners"] if s["label"] == dt), None)
    grid = (spec or {}).get("resolved_targets", {}).get(world)
    if not grid:
        con.close()
        sys.exit(f"error: {dt} has no resolved targets on {world} in {folder}")
    jobs = con.execute("SELECT key, seed, config FROM jobs WHERE in_study AND status = 'done' "
                       "AND learner = ? AND world = ? ORDER BY seed",
                       [loop_label, world]).fetchall()
    dt_rows = con.execute(
        "SELECT seed, knob, avg(\"return\") AS g, avg(performance) AS p FROM episodes "
        "WHERE learner = ? AND world = ? AND decode = ? AND job IN (SELECT key FROM jobs WHERE "
        "in_study AND status = 'done') GROUP BY ALL", [dt, world, decode]).fetchall()
    con.close()
    if not jobs:
        sys.exit(f"error: no finished {loop_label} job on {world} in {folder}")
    rows = [{"target": g, "loop_return": [], "loop_performance": [], "loop_gap": [],
             "dt": [(r[2], r[3]) for r in dt_rows if np.isclose(r[1], g)]} for g in grid]
    for key, seed, raw in jobs:
        last = final_round(folder / "jobs" / key)
        if last is None:
            print(f"warning: {loop_label} seed {seed}: no saved round in jobs/{key}",
                  file=sys.stderr)
            continue
        config = json.loads(raw)
        policy = load_policy(last, device="cpu")
        set_decode(policy, decode)
        # The seed study/loop_jobs.py gives a checkpoint's sweep of `targets`, so a loop that
        # had them gets here the figures its own sweep stored.
        eps = sweep(policy, config["world"]["name"], config["world"].get("params") or {},
                    np.asarray(grid), episodes, seed=seed + 2, record_trajectories=False)
        for row in rows:
            at = eps.targets == row["target"]
            g, p = eps.returns[at], eps.performance[at]
            row["loop_return"].append(float(g.mean()))
            row["loop_performance"].append(float(p.mean()))
            row["loop_gap"].append(float((g - p).mean()))
        print(f"{loop_label} seed {seed}: {last.name} swept", file=sys.stderr)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--world", required=True, help="a world label of the study")
    ap.add_argument("--loop", default="online DT", help="the loop learner's label")
    ap.add_argument("--dt", default="DT", help="the offline DT whose grid of returns is asked")
    ap.add_argument("--episodes", type=int, default=100, help="episodes per target and seed")
    ap.add_argument("--decode", default="sample", choices=DECODES)
    a = ap.parse_args()
    rows = steer(a.folder, a.world, a.loop, a.dt, a.episodes, a.decode)
    seeds = len(rows[0]["loop_return"])
    print(f"{a.world}: {a.loop}'s final model ({seeds} seeds) and {a.dt}, asked for each "
          f"return of {a.dt}'s grid, {a.decode}d, {a.episodes} episodes per target and seed")
    print("| target | loop return | loop performance | loop gap G − P | DT return | DT gap |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['target']:g} | {interval(r['loop_return'])} | "
              f"{interval(r['loop_performance'])} | {interval(r['loop_gap'])} | "
              f"{interval([g for g, _ in r['dt']])} | {interval([g - p for g, p in r['dt']])} |")


if __name__ == "__main__":
    main()
