"""Writing the report: concurrent writers of one report never collide, and the report embeds a
bounded share of the study file."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

from simulacra.report import html


def test_two_reports_written_at_once_both_succeed(tmp_path, monkeypatch):
    """Both writers reach the rename together (a barrier in os.replace): with one fixed temporary
    name, the first rename took the second writer's file away and it crashed."""
    pages = iter(["<html>one</html>", "<html>two</html>"])
    lock = threading.Lock()

    class Builder:
        def __init__(self, results: object) -> None:
            with lock:
                self.page = next(pages)

        def build(self) -> str:
            return self.page

    monkeypatch.setattr(html, "load", lambda folder: None)
    monkeypatch.setattr(html, "Builder", Builder)
    barrier = threading.Barrier(2, timeout=10)
    real_replace = os.replace

    def replace_together(src, dst):
        barrier.wait()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_together)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            html.build_report(tmp_path)
        except BaseException as err:  # the test reports it
            errors.append(err)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert (tmp_path / "report.html").read_text() in ("<html>one</html>", "<html>two</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary left


def test_a_huge_study_config_is_not_embedded(tmp_path):
    big = {"name": "s", "description": "x" * 5_000_000}
    res = lambda study: SimpleNamespace(study=study, versions={}, decode="sample")  # noqa: E731
    page = html.Builder.appendix(SimpleNamespace(res=res(big)))
    assert len(page) < 10_000 and "5.0 MB, too large to embed" in page
    small = {"name": "s", "description": "a short study"}
    page = html.Builder.appendix(SimpleNamespace(res=res(small)))
    assert "a short study" in page
