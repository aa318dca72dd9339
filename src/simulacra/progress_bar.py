"""One progress bar for every long step: tqdm on a terminal, plain lines in a log.

tqdm redraws its bar with carriage returns, which a log file or CI keeps as one endless line (82 KB
of them in one run, issue #18). When stderr is not a terminal, the same bar is written as a plain
line at most every `LOG_EVERY` seconds (and at the end), with no carriage returns.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from tqdm import tqdm

LOG_EVERY = 15.0  # seconds between plain progress lines in a log


class _Lines(io.TextIOBase):
    """A stream that turns tqdm's carriage-return redraws into whole lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(iterable: Iterable[Any] | None = None, *, stream: TextIO | None = None,
                 tty: bool | None = None, **kwargs: Any) -> tqdm:
    """`tqdm(iterable, **kwargs)` on a terminal; elsewhere plain lines every `LOG_EVERY` s."""
    stream = stream or sys.stderr
    if stream.isatty() if tty is None else tty:
        return tqdm(iterable, file=stream, **kwargs)
    kwargs.pop("dynamic_ncols", None)
    return tqdm(iterable, file=_Lines(stream), mininterval=LOG_EVERY, ncols=100, ascii=True,
                **kwargs)
