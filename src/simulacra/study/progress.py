"""A study's progress as a person sees it: a bar on a terminal, plain lines in a log.

The time left is estimated from work done, counting the running jobs' own progress
(`jobs/<key>/progress.json`), so it moves while long jobs run instead of standing still until one
ends. Jobs are weighted by what they are expected to take (`simulacra.study.estimate`: measured
peers in the folder), so a run that starts with its quick jobs does not promise the slow ones
at the quick ones' rate; with nothing measured every job weighs the same.
On a terminal it is one tqdm bar; when stderr is not a terminal (a log file, CI) every finished
job is one plain line with the count and the time left, with no carriage returns.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Progress of `total` jobs of which `skipped` were done before this run."""

    def __init__(self, total: int, skipped: int, show: bool, stream: TextIO | None = None,
                 tty: bool | None = None, work: float | None = None) -> None:
        self.total, self.skipped, self.ended = total, skipped, 0
        # The jobs to run, in the weights `job_ended` and `running` use (default: 1 a job).
        self.work = float(total - skipped) if work is None else work
        self.ended_work = 0.0
        self.stream = stream or sys.stderr
        self.show = show
        self.tty = self.stream.isatty() if tty is None else tty
        self.t0 = time.monotonic()
        self.partial = 0.0  # the running jobs' work done: fraction x weight, summed
        self.bar = None
        if show and self.tty:
            self.bar = tqdm(total=total, initial=skipped, desc="study", unit="job",
                            file=self.stream, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")

    def left(self) -> float | None:
        """Seconds left, from this run's rate of work (None until some work is done)."""
        done = self.ended_work + self.partial
        if done <= 0:
            return None
        rate = done / max(time.monotonic() - self.t0, 1e-9)
        return max(self.work - done, 0.0) / rate

    def _status(self) -> str:
        left = self.left()
        eta = "estimating time left" if left is None else f"about {_clock(left)} left"
        return f"{self.skipped + self.ended}/{self.total} jobs, {eta}"

    def running(self, partial: float, note: str) -> None:
        """The running jobs' work done (fraction done x weight, summed), and who they are."""
        self.partial = partial
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self._status()} | {note}"[:160], refresh=False)
            self.bar.refresh()

    def job_ended(self, name: str, status: str, seconds: float, weight: float = 1.0) -> None:
        self.ended += 1
        self.ended_work += weight
        self.partial = 0.0
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(self._status(), refresh=True)
        elif self.show:
            took = "" if seconds != seconds else f" in {seconds:.0f} s"  # NaN: never started
            print(f"study: {status} {name}{took}; {self._status()}", file=self.stream,
                  flush=True)

    def write(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
