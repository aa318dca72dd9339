"""What the results store's whole-file check costs on a store of the full study's size, and how
big a job's result files (kept so that `simulacra repair` can rebuild the store) are.

The store is filled by SQL, not by running jobs: 1,000 jobs, 1.2 M episode rows (the most
configs/full.yaml can make: 970 jobs, at most 6 knob values x 200 episodes), five event columns,
30,000 metric rows and 2,000 replays of 100 boards. Times are medians of 5 opens.

    .venv/bin/python benchmarks/store_check.py [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

from simulacra.study.job_files import ROWS, write_result
from simulacra.study.jobs import JobResult, Replay, episodes_from_arrays
from simulacra.study.store import SCHEMA, Store, connect

EVENTS = ("cut", "pressed", "gamble", "tamper", "lava")


def fill(path: Path, jobs: int = 1000, per_job: int = 1200) -> None:
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    for e in EVENTS:
        con.execute(f'ALTER TABLE episodes ADD COLUMN "event_{e}" INTEGER')
    con.execute("INSERT INTO study VALUES ('name', 'big'), ('config', '{}')")
    con.execute(
        "INSERT INTO jobs (key, status, world, learner, seed, config, in_study) "
        "SELECT printf('%016x', hash(i)), 'done', 'World' || (i % 11), 'L' || (i % 17), i % 5, "
        "'{\"i\": ' || i || '}', TRUE FROM range(?) t(i)", [jobs])
    con.execute(
        "INSERT INTO episodes SELECT printf('%016x', hash(i // $n)), i % $n, "
        "'World' || ((i // $n) % 11), 'L' || ((i // $n) % 17), 'dt', (i // $n) % 5, "
        "'target_fraction', (i % 6) / 4.0, random() * 50, random() * 40, 100, "
        "'{\"target\": ' || (i % 6) || '.5}', (random() * 3)::INT, (random() * 2)::INT, 0, "
        "(random() * 5)::INT, 0 FROM range($rows) t(i)", {"n": per_job, "rows": jobs * per_job})
    con.execute(
        "INSERT INTO metrics SELECT printf('%016x', hash(i // 30)), 'W', 'L', 'dt', 0, 'k', "
        "(i % 6) / 4.0, 'metric_' || (i % 30), random() FROM range(?) t(i)", [jobs * 30])
    frames = json.dumps([["#########", "#A  P  G#", "#########"]] * 100)
    con.execute(
        "INSERT INTO replays SELECT printf('%016x', hash(i // 2)), 'W', 'L', 'dt', 0, 0.5, i, ?, "
        "'[1, 2, 3]', '[0.0]' FROM range(?) t(i)", [frames, jobs * 2])
    con.close()


def median_time(f: Callable[[], object], n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def job_result() -> JobResult:
    """A DT job of configs/full.yaml: 6 knob values x 200 episodes, 2 replays of 100 boards."""
    rng = np.random.default_rng(0)
    episodes = []
    for k in range(6):
        episodes += episodes_from_arrays(
            rng.normal(20, 10, 200), rng.normal(10, 10, 200), rng.integers(10, 100, 200),
            rng.integers(0, 3, (200, len(EVENTS))), EVENTS, knob=k / 4, first=k * 200,
            extra={"target": np.full(200, 12.5)})
    board = ["########", "#A   P #", "#  ##  #", "#     G#", "########"]
    return JobResult(
        episodes=episodes,
        metrics=[{"metric": f"m{i}", "value": 0.5, "knob": None} for i in range(30)],
        replays=[Replay(i, 1.0, [board] * 100, [1] * 99, [-1.0] * 99) for i in range(2)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.duckdb"
        fill(path)

        def read_episodes() -> None:
            con = duckdb.connect(str(path), read_only=True)
            con.execute("SELECT * FROM episodes").df()
            con.close()

        out = {
            "store_mib": path.stat().st_size / 2**20,
            "reader_open_checked_s": median_time(lambda: connect(path, read_only=True).close()),
            "reader_open_unchecked_s": median_time(
                lambda: connect(path, read_only=True, check=False).close()),
            "writer_open_checked_s": median_time(lambda: Store(path).close()),
            "read_all_episodes_s": median_time(read_episodes, 3),
        }
        folder = Path(tmp) / "job"
        t0 = time.perf_counter()
        write_result(folder, {"key": "job"}, job_result(), 1.0, dt.datetime.now())
        out["job_result_write_s"] = time.perf_counter() - t0
        out["job_rows_kib"] = (folder / ROWS).stat().st_size / 1024
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print(f"store of 1.2 M episode rows: {out['store_mib']:.1f} MiB")
    print(f"  reader open, checked whole:     {out['reader_open_checked_s']:.3f} s")
    print(f"  reader open, unchecked:         {out['reader_open_unchecked_s']:.3f} s")
    print(f"  writer open (check + indexes):  {out['writer_open_checked_s']:.3f} s")
    print(f"  for scale, all episodes read:   {out['read_all_episodes_s']:.3f} s")
    print(f"a 1,200-episode job's rows.json.gz: {out['job_rows_kib']:.0f} KiB, written in "
          f"{1000 * out['job_result_write_s']:.0f} ms")


if __name__ == "__main__":
    main()
