"""Open the report in headless Chromium: it must render with no console message at all, fit the
window's width (no table running off to the right), and show the answers in the first screen; a
screenshot of the top is kept as a test artifact (test-artifacts/report.png, or
$SIMULACRA_ARTIFACTS)."""

from __future__ import annotations

import os
import re
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
    run = chromium(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2000",
                   "--virtual-time-budget=3000")
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    assert shot.is_file() and shot.stat().st_size > 20_000  # a page, not a blank
    # The replay script ran: the DOM after scripts shows an animated frame counter.
    dom = chromium(page, tmp_path / "profile2", "--dump-dom", "--virtual-time-budget=2000")
    assert "step " in dom.stdout and "return " in dom.stdout


#: Appended to a copy of the report: opens every folded section (what is folded must fit too),
#: then writes what the layout measured into the DOM.
MEASURE = """<script>window.addEventListener('load', function () {
  document.querySelectorAll('details').forEach(function (e) { e.open = true; });
  var d = document.createElement('div'), cards = document.querySelector('.cards');
  var clipped = Array.prototype.filter.call(document.querySelectorAll('.tw'), function (e) {
    return e.scrollWidth > e.clientWidth + 1; }).length;
  d.id = 'measured';
  d.textContent = 'T=' + clipped + ' W=' + document.documentElement.scrollWidth +
    ' V=' + window.innerWidth +
    ' C=' + (cards ? Math.round(cards.getBoundingClientRect().bottom + window.scrollY) : -1) +
    ' H=' + document.documentElement.scrollHeight;
  document.body.appendChild(d); });</script>"""


def measure(page: Path, tmp_path: Path, width: int) -> dict[str, int]:
    copy = tmp_path / f"measured-{width}.html"
    copy.write_text(page.read_text() + MEASURE)
    dom = chromium(copy, tmp_path / f"profile-{width}", f"--window-size={width},2000",
                   "--dump-dom", "--virtual-time-budget=2000")
    found = re.search(r"T=(\d+) W=(\d+) V=(\d+) C=(\d+) H=(\d+)", dom.stdout)
    assert found, dom.stdout[-2000:]
    return dict(zip("TWVCH", map(int, found.groups()), strict=True))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("width", [1400, 1000])
def test_report_fits_the_window_and_answers_first(dt_safer_study, tmp_path, width):
    """Nothing is wider than the window, no table scrolls sideways within its box (the verdict
    table's margin column was cut off), and the answer cards end within the first screen of a
    2,000 px window."""
    m = measure(build_report(dt_safer_study), tmp_path, width)
    assert m["W"] <= m["V"] and m["T"] == 0, m
    assert m["C"] < 2000, m
    assert m["H"] < 40_000, m  # everything open: the quick study's page was 70,000 px folded


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_console_errors_are_caught(tmp_path):
    """The check above can fail: a page with a script error is reported."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    run = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any(":CONSOLE" in ln and "undefinedFunction" in ln for ln in run.stderr.splitlines())
