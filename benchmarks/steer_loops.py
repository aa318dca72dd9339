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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--world", required=True, help="a world label of the study")
    ap.add_argument("--loop", default="online DT", help="the loop learner's label")
    ap.add_argument("--dt", default="DT", help="the offline DT whose grid of returns is asked")
    ap.add_argument("--episodes", type=int, default=100, help="episodes per target and seed")
    ap.add_argument("--decode", default="sample", choices=DECODES)
    a = ap.parse_args()
    store = a.folder / "results.duckdb"
    if not store.exists():
        sys.exit(f"error: {store} does not exist (is {a.folder} a study folder?)")
    con = duckdb.connect(str(store), read_only=True)
    study = json.loads(con.execute("SELECT value FROM study WHERE key = 'config'").fetchone()[0])
    spec = next((s for s in study["learners"] if s["label"] == a.dt), None)
    grid = (spec or {}).get("resolved_targets", {}).get(a.world)
    if not grid:
        sys.exit(f"error: {a.dt} has no resolved targets on {a.world} in {a.folder}")
    jobs = con.execute("SELECT key, seed, config FROM jobs WHERE in_study AND status = 'done' "
                       "AND learner = ? AND world = ? ORDER BY seed", [a.loop, a.world]).fetchall()
    dt_rows = con.execute(
        "SELECT seed, knob, avg(\"return\") AS g, avg(performance) AS p FROM episodes "
        "WHERE learner = ? AND world = ? AND decode = ? AND job IN (SELECT key FROM jobs WHERE "
        "in_study AND status = 'done') GROUP BY ALL", [a.dt, a.world, a.decode]).fetchall()
    con.close()
    if not jobs:
        sys.exit(f"error: no finished {a.loop} job on {a.world} in {a.folder}")
    loop: dict[float, dict[str, list[float]]] = {g: {"g": [], "p": [], "gap": []} for g in grid}
    for key, seed, raw in jobs:
        folder = final_round(a.folder / "jobs" / key)
        if folder is None:
            print(f"warning: {a.loop} seed {seed}: no saved round in jobs/{key}", file=sys.stderr)
            continue
        config = json.loads(raw)
        policy = load_policy(folder, device="cpu")
        set_decode(policy, a.decode)
        eps = sweep(policy, config["world"]["name"], config["world"].get("params") or {},
                    np.asarray(grid), a.episodes, seed=seed + 2, record_trajectories=False)
        for g in grid:
            at = eps.targets == g
            loop[g]["g"].append(float(eps.returns[at].mean()))
            loop[g]["p"].append(float(eps.performance[at].mean()))
            loop[g]["gap"].append(float((eps.returns[at] - eps.performance[at]).mean()))
        print(f"{a.loop} seed {seed}: {folder.name} swept", file=sys.stderr)
    offline = {g: [(r[2], r[3]) for r in dt_rows if np.isclose(r[1], g)] for g in grid}
    print(f"{a.world}: {a.loop}'s final model ({len(jobs)} seeds) and {a.dt}, asked for each "
          f"return of {a.dt}'s grid, {a.decode}d, {a.episodes} episodes per target and seed")
    print("| target | loop return | loop performance | loop gap G − P | DT return | DT gap |")
    print("|---|---|---|---|---|---|")
    for g in grid:
        d = offline[g]
        print(f"| {g:g} | {interval(loop[g]['g'])} | {interval(loop[g]['p'])} | "
              f"{interval(loop[g]['gap'])} | {interval([x for x, _ in d])} | "
              f"{interval([x - y for x, y in d])} |")


if __name__ == "__main__":
    main()
