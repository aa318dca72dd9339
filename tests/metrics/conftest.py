"""Fixtures of the metric tests; the tiny worlds and helpers live in metric_worlds.py (a module
name of its own, so test modules import it without colliding with other folders' conftest)."""

import pytest
from metric_worlds import OneWay, ThreeWay

from simulacra.exact.compile import CompiledWorld, compile_world


@pytest.fixture(scope="session")
def three_way() -> CompiledWorld:
    return compile_world(ThreeWay())


@pytest.fixture(scope="session")
def one_way() -> CompiledWorld:
    return compile_world(OneWay())
