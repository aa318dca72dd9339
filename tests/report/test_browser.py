"""Open the report in headless Chromium: it must render with no console message at all, and a
screenshot is kept as a test artifact (test-artifacts/report.png, or $SIMULACRA_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from simulacra.report.html import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]


def artifacts_dir() -> Path:
    root = Path(os.environ.get("SIMULACRA_ARTIFACTS",
                               Path(__file__).resolve().parents[2] / "test-artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_without_console_errors(dt_safer_study, tmp_path):
    page = build_report(dt_safer_study)
    shot = artifacts_dir() / "report.png"
    shot.unlink(missing_ok=True)
    run = chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,3000",
                   "--virtual-time-budget=3000")
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    assert shot.is_file() and shot.stat().st_size > 20_000  # a page, not a blank
    # The replay script ran: the DOM after scripts shows an animated frame counter.
    dom = chromium(page, tmp_path / "profile2", "--dump-dom", "--virtual-time-budget=2000")
    assert "step " in dom.stdout and "return " in dom.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_console_errors_are_caught(tmp_path):
    """The check above can fail: a page with a script error is reported."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    run = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any(":CONSOLE" in ln and "undefinedFunction" in ln for ln in run.stderr.splitlines())
