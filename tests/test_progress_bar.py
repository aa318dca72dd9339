"""Progress bars: plain lines without carriage returns when stderr is not a terminal."""

from __future__ import annotations

import io

from simulacra import progress_bar as pb


def test_a_log_gets_whole_lines_not_carriage_returns(monkeypatch):
    monkeypatch.setattr(pb, "LOG_EVERY", 0.0)
    out = io.StringIO()
    for _ in pb.progress_bar(range(3), desc="train dt", stream=out, tty=False):
        pass
    text = out.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert lines[-1].startswith("train dt: 100%") and "3/3" in lines[-1]


def test_a_log_is_not_flooded(monkeypatch):
    out = io.StringIO()  # the default interval: a fast loop writes its first and last line only
    for _ in pb.progress_bar(range(10_000), desc="x", stream=out, tty=False):
        pass
    assert len(out.getvalue().splitlines()) <= 3


def test_disabled_writes_nothing():
    out = io.StringIO()
    for _ in pb.progress_bar(range(3), stream=out, tty=False, disable=True):
        pass
    assert out.getvalue() == ""
