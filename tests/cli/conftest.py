"""Shared by the command-line tests of studies (`run`, `plan`): a tiny study and an invoker."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from simulacra.cli import app

TINY_STUDY = """
name: cli
seeds: 2
worlds: [AbsentSupervisor]
learners: [reward_optimal, random]
evaluation: {episodes: 5, replays: 1}
"""


@pytest.fixture
def tiny_study() -> str:
    """Two seeds of two exact references on AbsentSupervisor: 4 jobs, seconds to run."""
    return TINY_STUDY


@pytest.fixture
def cli():
    """`cli("run", path, ...)`: the simulacra command line, in-process."""
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))
