"""Steps per second of simulacra's batched engine, side by side with its peers, in one run.

Why one run: the machine is shared and noisy, so figures from different runs cannot be compared.
Every column is measured in the same process session, round-robin (each round measures every
column once, for `--seconds`), and each column keeps its best round; ratios come from those bests.

Columns (all on AbsentSupervisor unless named otherwise, random actions drawn up front, finished
episodes reset inside the timed loop, construction and imports outside it):
    ours batch N       simulacra.worlds.make_batch("AbsentSupervisor", N): step, then
                       batch.reset(terminated | truncated)
    ours VectorEnv N   gymnasium.make_vec("simulacra/AbsentSupervisor-v0", num_envs=N), autoreset
    MiniGrid single    gymnasium.make("MiniGrid-LavaGapS7-v0"), reset when an episode ends
    MiniGrid Sync M    gymnasium SyncVectorEnv of M MiniGrid-LavaGapS7-v0 (autoreset)
    original single    google-deepmind/ai-safety-gridworlds AbsentSupervisorEnvironment (pycolab),
                       run by `--peer-python` with `--peer-src` on its path, in a subprocess

Usage:
    python benchmarks/worlds_throughput.py [--peer-python P --peer-src S] [--json]
"""

from __future__ import annotations

import os

# Pin numerical libraries to one thread before numpy loads: the figures are per process, and
# the machine's cores are shared with other work.
_THREADS = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
for _k, _v in _THREADS.items():
    os.environ.setdefault(_k, _v)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import gymnasium  # noqa: E402
import numpy as np  # noqa: E402

import simulacra  # noqa: E402, F401  (registers the simulacra/ ids)
from simulacra.worlds import make_batch  # noqa: E402

WORLD = "AbsentSupervisor"
MINIGRID_ID = "MiniGrid-LavaGapS7-v0"
ACTION_BLOCK = 64  # pre-drawn action rows cycled through, so drawing actions is not timed

# A chunk runs a fixed number of env steps and returns how many it ran (copies x steps).
Chunk = Callable[[], int]

# Runs inside the peer's own interpreter (numpy<1.24, pycolab): build the original
# AbsentSupervisor, warm up, then time only the stepping loop (with resets when episodes end).
PEER_SNIPPET = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
from ai_safety_gridworlds.environments.absent_supervisor import AbsentSupervisorEnvironment
seconds, seed = float(sys.argv[1]), int(sys.argv[2])
env = AbsentSupervisorEnvironment()
actions = [int(a) for a in np.random.RandomState(seed).randint(0, 4, size=4096)]
def run(k):
    for a in actions[:k]:
        if env.step(a).last():
            env.reset()
env.reset()
run(200)
steps, start = 0, time.perf_counter()
while True:
    run(len(actions))
    steps += len(actions)
    elapsed = time.perf_counter() - start
    if elapsed >= seconds:
        break
print(json.dumps({"steps": steps, "seconds": elapsed}))
"""


@dataclass
class Column:
    """One measured configuration; `rates` holds steps/s per round."""

    key: str
    label: str
    engine: str
    batch: int
    chunk: Chunk | None = None
    rates: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def best(self) -> float | None:
        return max(self.rates) if self.rates else None


def timed(chunk: Chunk, seconds: float) -> float:
    """Steps/s of `chunk` run back to back for at least `seconds` (at least once)."""
    steps, start = 0, time.perf_counter()
    while True:
        steps += chunk()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def ours_batch_chunk(n: int, seed: int) -> Chunk:
    batch = make_batch(WORLD, n, seed=seed)
    batch.reset()
    actions = np.random.default_rng(seed).integers(0, batch.n_actions, size=(ACTION_BLOCK, n))

    def chunk() -> int:
        for a in actions:  # a: int64 [n]
            r = batch.step(a)
            done = r.terminated | r.truncated  # bool [n]
            if done.any():
                batch.reset(done)
        return ACTION_BLOCK * n

    return chunk


def ours_vector_chunk(n: int, seed: int) -> Chunk:
    env = gymnasium.make_vec(f"simulacra/{WORLD}-v0", num_envs=n)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(
        0, env.single_action_space.n, size=(ACTION_BLOCK, n)
    )

    def chunk() -> int:
        for a in actions:  # a: int64 [n]; autoreset happens inside step
            env.step(a)
        return ACTION_BLOCK * n

    return chunk


def minigrid_single_chunk(seed: int) -> Chunk:
    env = gymnasium.make(MINIGRID_ID)
    env.reset(seed=seed)
    actions = [int(a) for a in np.random.default_rng(seed).integers(0, env.action_space.n, 1024)]

    def chunk() -> int:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        return len(actions)

    return chunk


def minigrid_vector_chunk(m: int, seed: int) -> Chunk:
    env = gymnasium.make_vec(MINIGRID_ID, num_envs=m, vectorization_mode="sync")
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(
        0, env.single_action_space.n, size=(ACTION_BLOCK, m)
    )

    def chunk() -> int:
        for a in actions:
            env.step(a)
        return ACTION_BLOCK * m

    return chunk


def peer_rate(python: str, src: str, seconds: float, seed: int) -> float:
    """Steps/s of the original AbsentSupervisor, timed inside the peer's own interpreter."""
    env = {**os.environ, **_THREADS, "PYTHONPATH": src}
    out = subprocess.run(
        [python, "-c", PEER_SNIPPET, str(seconds), str(seed)],
        env=env, capture_output=True, text=True, check=False, timeout=120 + 10 * seconds,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the original failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("the original printed nothing")
    result = json.loads(lines[-1])
    return result["steps"] / result["seconds"]


def build_columns(args: argparse.Namespace) -> list[Column]:
    cols = []
    for n in args.batch_sizes:
        cols.append(Column(f"ours_batch_{n}", f"ours batch {n}", "simulacra TableBatch", n,
                           ours_batch_chunk(n, args.seed)))
    for n in args.batch_sizes:
        cols.append(Column(f"ours_vector_{n}", f"ours VectorEnv {n}", "simulacra VectorEnv", n,
                           ours_vector_chunk(n, args.seed)))
    try:
        import minigrid  # noqa: F401  (registers MiniGrid ids; a `bench` extra)
    except ImportError:
        note = "skipped: minigrid is not installed (pip install -e '.[bench]')"
        cols.append(Column("minigrid_single", "MiniGrid single", MINIGRID_ID, 1, note=note))
        cols.append(Column("minigrid_vector", f"MiniGrid Sync {args.minigrid_envs}", MINIGRID_ID,
                           args.minigrid_envs, note=note))
    else:
        cols.append(Column("minigrid_single", "MiniGrid single", MINIGRID_ID, 1,
                           minigrid_single_chunk(args.seed)))
        m = args.minigrid_envs
        cols.append(Column("minigrid_vector", f"MiniGrid Sync {m}", MINIGRID_ID, m,
                           minigrid_vector_chunk(m, args.seed)))
    peer = Column("original_single", "original single", "ai-safety-gridworlds (pycolab)", 1)
    if not (args.peer_python and args.peer_src):
        peer.note = "skipped: pass --peer-python and --peer-src to run the original"
    cols.append(peer)
    return cols


PEER_ERRORS = (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError, KeyError)


def measure(cols: list[Column], args: argparse.Namespace) -> None:
    """Round-robin: every round measures every column once, so load drifts hit all alike."""
    for _ in range(args.rounds):
        for col in cols:
            if col.chunk is not None:
                col.rates.append(timed(col.chunk, args.seconds))
            elif col.key == "original_single" and not col.note:
                try:
                    rate = peer_rate(args.peer_python, args.peer_src, args.seconds, args.seed)
                except PEER_ERRORS as err:  # a broken peer is reported, not fatal
                    col.note = f"failed: {err}".replace("\n", " | ")
                    col.rates.clear()
                else:
                    col.rates.append(rate)


def ratios(cols: list[Column], top: int) -> dict[str, dict[str, float | None]]:
    """Ours at the largest batch size over each peer column (None where a peer was skipped)."""
    by = {c.key: c.best for c in cols}

    def over(peer: str) -> dict[str, float | None]:
        base = by.get(peer)
        return {
            kind: (by[f"ours_{kind}_{top}"] / base
                   if base and by.get(f"ours_{kind}_{top}") else None)
            for kind in ("batch", "vector")
        }

    return {
        "vs_original": over("original_single"),
        "vs_minigrid": {"single": over("minigrid_single"), "vector": over("minigrid_vector")},
    }


def _fmt_rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}x"


def report_text(cols: list[Column], rat: dict, args: argparse.Namespace, top: int) -> str:
    lines = [
        f"{WORLD} steps/s, best of {args.rounds} rounds of {args.seconds:g} s "
        f"(python {platform.python_version()}, {os.cpu_count()} cpus, "
        f"load {os.getloadavg()[0]:.2f})",
        "",
        f"{'column':<22}{'envs':>6}{'steps/s':>16}{'per env':>12}  note",
    ]
    for c in cols:
        per = None if c.best is None else c.best / c.batch
        lines.append(f"{c.label:<22}{c.batch:>6}{_fmt_rate(c.best):>16}{_fmt_rate(per):>12}"
                     f"  {c.note}")
    lines += ["", f"ratios, ours at batch {top}:", f"{'':<24}{'batch':>12}{'VectorEnv':>12}"]
    rows = [("vs original", rat["vs_original"]),
            ("vs MiniGrid single", rat["vs_minigrid"]["single"]),
            ("vs MiniGrid Sync", rat["vs_minigrid"]["vector"])]
    for name, r in rows:
        lines.append(f"{name:<24}{_fmt_ratio(r['batch']):>12}{_fmt_ratio(r['vector']):>12}")
    lines.append("targets: >= 1000x the original, >= 100x MiniGrid")
    return "\n".join(lines)


def report_json(cols: list[Column], rat: dict, args: argparse.Namespace, top: int) -> dict:
    return {
        "world": WORLD,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "top_batch": top,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load1": os.getloadavg()[0], "threads": _THREADS},
        "columns": [
            {"key": c.key, "label": c.label, "engine": c.engine, "envs": c.batch,
             "steps_per_s": c.best, "rounds": c.rates, "note": c.note}
            for c in cols
        ],
        **rat,
        "targets": {"vs_original": 1000, "vs_minigrid": 100},
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256, 4096])
    p.add_argument("--minigrid-envs", type=int, default=16, help="copies in MiniGrid's Sync env")
    p.add_argument("--seconds", type=float, default=2.5, help="length of one timed window")
    p.add_argument("--rounds", type=int, default=3, help="rounds; each column keeps its best")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--peer-python", help="python of a venv with numpy<1.24, pycolab, absl-py, six")
    p.add_argument("--peer-src", help="checkout of google-deepmind/ai-safety-gridworlds")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = p.parse_args(argv)
    if min(args.batch_sizes) < 1 or args.minigrid_envs < 1 or args.rounds < 1:
        p.error("batch sizes, --minigrid-envs and --rounds must be at least 1")
    if args.seconds <= 0:
        p.error("--seconds must be positive")
    if bool(args.peer_python) != bool(args.peer_src):
        p.error("--peer-python and --peer-src go together")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    top = max(args.batch_sizes)
    cols = build_columns(args)
    measure(cols, args)
    rat = ratios(cols, top)
    out = report_json(cols, rat, args, top)
    print(json.dumps(out, indent=2) if args.json else report_text(cols, rat, args, top))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
