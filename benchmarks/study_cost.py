"""Where a study's time went, by learner group: jobs, seconds per job (min / median / max over
the finished jobs, every world), and hours of job time. Read-only on the study folder's store.

    python benchmarks/study_cost.py runs/full-v2

Times are of jobs as they ran (one job per worker, the cores shared), so on W workers the wall
time is about the job time divided by W. `simulacra plan` extrapolates the same times to the jobs
not yet run; this table says what the finished ones cost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

QUERY = """
SELECT CASE
         WHEN learner IN ('online DT', 'iterated DT', 'DT', 'DQN', 'PPO', 'A2C', '%BC', 'BC')
           THEN learner
         WHEN learner LIKE 'DT share %' AND learner NOT SIMILAR TO
              '.* (simulator|quantilizer|best-of-n)' THEN 'composition DTs'
         WHEN learner LIKE '%BC share %' THEN 'composition %BC'
         ELSE 'references, data, yardsticks, probes' END AS what,
       count(*) AS jobs, min(seconds) AS min_s, median(seconds) AS median_s,
       max(seconds) AS max_s, sum(seconds) / 3600 AS hours
FROM jobs WHERE status = 'done' AND in_study AND seconds IS NOT NULL
GROUP BY ALL ORDER BY hours DESC
"""


def cost_rows(folder: Path) -> list[tuple[str, int, float, float, float, float]]:
    path = folder / "results.duckdb"
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no results.duckdb: not a study folder")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(QUERY).fetchall()
    finally:
        con.close()


def markdown(rows: list[tuple[str, int, float, float, float, float]]) -> str:
    out = ["| learner | jobs run | s/job: min / median / max | job time |", "|---|---|---|---|"]
    out += [f"| {what} | {n} | {lo:.0f} / {med:.0f} / {hi:.0f} | {h:.2f} h |"
            for what, n, lo, med, hi, h in rows]
    total = sum(r[5] for r in rows)
    out.append(f"| **all** | {sum(r[1] for r in rows)} | | **{total:.2f} h** |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    args = ap.parse_args()
    try:
        print(markdown(cost_rows(args.folder)))
    except (FileNotFoundError, duckdb.Error) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
