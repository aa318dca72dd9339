"""Where jobs run: a local process pool (the default) or a Ray cluster.

Both run `run_guarded` on a worker, which never raises: it returns ("done", JobResult, seconds) or
("failed", error text, seconds), after applying the job's time limit (an alarm) and optional
memory cap (RLIMIT_AS, so running out of memory is a MemoryError in the job, not a killed worker).
A worker that still dies (a crash, the kernel's OOM killer) is the backend's to report: the local
pool raises BrokenProcessPool, which the runner answers by restarting the pool and charging the
jobs that were running; Ray reports the task's error, which becomes the job's failure.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from simulacra.study.jobs import Job, JobTimeout, execute_job

Outcome = tuple[str, Any, float]  # ("done", JobResult, s) or ("failed", error text, s)


def run_guarded(job: Job, workdir: str, shared: str | None = None) -> Outcome:
    """Run a job under its limits; turn every exception into a ("failed", text) outcome."""
    limit = job.limits.max_job_seconds
    mem = job.limits.max_memory_gb
    t0 = time.perf_counter()
    old_handler = None
    old_limit = None
    try:
        if mem:
            import resource

            old_limit = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (int(float(mem) * 2**30), old_limit[1]))
        if limit:
            def on_alarm(signum, frame):
                raise JobTimeout(f"the job ran past budgets.max_job_seconds = {limit} s")

            old_handler = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, float(limit))
        with _output_to(Path(workdir) / "job.log"):
            result = execute_job(job, workdir, shared)
        return ("done", result, time.perf_counter() - t0)
    except MemoryError:
        return ("failed", f"out of memory (budgets.max_memory_gb = {mem})\n"
                + traceback.format_exc(limit=-3), time.perf_counter() - t0)
    except BaseException as err:
        if isinstance(err, KeyboardInterrupt):
            raise
        text = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=-6)}"
        return ("failed", text, time.perf_counter() - t0)
    finally:
        if limit:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if old_handler is not None:
                signal.signal(signal.SIGALRM, old_handler)
        if old_limit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, old_limit)


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (libraries' prints and warnings included, at the
    file-descriptor level) to the job's log while the job runs, not over the progress bars."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


class Backend(Protocol):
    workers: int

    def submit(self, job: Job, workdir: str, shared: str) -> Any: ...

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, Outcome]]:
        """Handles that finished within `timeout`, with their outcomes."""
        ...

    def shutdown(self) -> None: ...

    def kill(self) -> None:
        """Stop at once (Ctrl-C): running jobs are abandoned, to be redone on the next run."""
        ...


def _init_worker(threads: int) -> None:
    """Keep each worker to its share of the cores (torch and BLAS read these at import), and tie
    its life to the coordinator's."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True,
                     name="exit-with-coordinator").start()


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A coordinator killed outright (kill -9, SIGTERM) cannot stop its pool, and the orphaned
    workers would go on computing jobs nobody will record, taking the cores from the run that
    resumes the study. So a worker ends itself once it is no longer its coordinator's child."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def default_workers() -> int:
    """Parallel jobs when none is asked for: one per core."""
    return max(1, os.cpu_count() or 1)


class LocalBackend:
    """A pool of `workers` spawned processes on this machine (spawn: no forked torch state)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self.threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._start()

    def _start(self) -> None:
        self.pool = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=mp.get_context("spawn"),
            initializer=_init_worker, initargs=(self.threads,),
        )

    def restart(self) -> None:
        """After a worker died: a fresh pool (the old one refuses new work)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def submit(self, job: Job, workdir: str, shared: str) -> cf.Future:
        return self.pool.submit(run_guarded, job, workdir, shared)

    def wait(self, handles: list[cf.Future], timeout: float) -> list[tuple[Any, Outcome]]:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return [(f, f.result()) for f in done]  # BrokenProcessPool propagates to the runner

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def kill(self) -> None:
        """Stop now (Ctrl-C): end this pool's worker processes, by their ids, and their jobs."""
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            proc.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


class RayBackend:
    """Jobs as Ray tasks, one CPU each. `address` joins a cluster; without it a local Ray starts.

    On a cluster, job folders are paths on the node that runs the job: give the study an output
    folder on a file system every node shares, or artifacts stay on the nodes (results do not:
    they come back to the coordinator, which alone writes the store).
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        import ray

        self.ray = ray
        self._owns = not ray.is_initialized()  # only shut down a Ray this backend started
        if self._owns:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers or default_workers(), include_dashboard=False,
                         log_to_driver=False)
        self.workers = workers or int(ray.cluster_resources().get("CPU", 1))
        self._task = ray.remote(num_cpus=1, max_retries=0)(run_guarded)

    def submit(self, job: Job, workdir: str, shared: str) -> Any:
        return self._task.remote(job, workdir, shared)

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, Outcome]]:
        ready, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            try:
                out.append((ref, self.ray.get(ref)))
            except Exception as err:
                out.append((ref, ("failed", f"the Ray worker died: {type(err).__name__}: {err}",
                                  float("nan"))))
        return out

    def shutdown(self) -> None:
        if self._owns:
            self.ray.shutdown()

    def kill(self) -> None:
        self.shutdown()


class InlineBackend:
    """Jobs run one at a time in this process (debugging, tests): no isolation from crashes."""

    workers = 1

    class _Job:
        def __init__(self, *args: Any) -> None:
            self.args = args

    def submit(self, job: Job, workdir: str, shared: str) -> Any:
        return self._Job(job, workdir, shared)

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, Outcome]]:
        return [(handles[0], run_guarded(*handles[0].args))] if handles else []

    def shutdown(self) -> None:
        pass

    def kill(self) -> None:
        pass


def make_backend(name: str, workers: int | None = None, address: str | None = None) -> Backend:
    if name == "inline":
        return InlineBackend()
    if name == "local":
        if address:
            raise ValueError("--address is for --backend ray")
        return LocalBackend(workers)
    if name == "ray":
        return RayBackend(workers, address)
    raise ValueError(f"unknown backend {name!r}: expected 'local', 'ray' or 'inline'")


def job_dir(out: Path, key: str) -> Path:
    return out / "jobs" / key
