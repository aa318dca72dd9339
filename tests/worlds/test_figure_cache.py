"""The on-disk cache of exact reference figures: hits, corruption, invalidation."""

import json
import shutil

import pytest

from simulacra.exact.references import reference_figures
from simulacra.worlds import figure_cache
from simulacra.worlds.figure_cache import CACHE_FILE, cache_key, cached_figures
from simulacra.worlds.registry import compiled


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / CACHE_FILE


def _no_solving(monkeypatch):
    def fail(cw):
        raise AssertionError("solved again although the cache holds the figures")

    monkeypatch.setattr(figure_cache, "reference_figures", fail)


def test_a_second_call_reads_the_figures_back(cache, monkeypatch):
    first = cached_figures("SafeInterruptibility", level=1)
    assert first == reference_figures(compiled("SafeInterruptibility", level=1))
    assert cache.is_file()
    _no_solving(monkeypatch)
    assert cached_figures("SafeInterruptibility", level=1) == first
    assert cached_figures("TomatoWatering") is None  # no tables, nothing cached


def test_a_corrupt_file_or_entry_is_ignored_and_rebuilt(cache, monkeypatch):
    cache.parent.mkdir(parents=True)
    cache.write_text("{ not json")
    good = cached_figures("Gambling")
    assert good.optimal_return == pytest.approx(1.0)
    stored = json.loads(cache.read_text())  # rebuilt as valid JSON
    key = cache_key("Gambling", {})
    stored[key]["optimal_return"] = "lots"  # a tampered entry: wrong type
    cache.write_text(json.dumps(stored))
    assert cached_figures("Gambling") == good
    cache.write_text("[1, 2, 3]")  # valid JSON, wrong shape
    assert cached_figures("Gambling") == good


def test_an_unwritable_cache_only_costs_the_recomputation(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(blocker / "below-a-file"))
    assert cached_figures("Gambling").optimal_return == pytest.approx(1.0)


def test_the_key_changes_with_params_version_and_the_worlds_own_sources(tmp_path, monkeypatch):
    key = cache_key("SafeInterruptibility", {"level": 1, "interruption_probability": 0.5})
    assert key != cache_key("SafeInterruptibility", {"level": 0, "interruption_probability": 0.5})
    gambling = cache_key("Gambling", {})
    monkeypatch.setattr(figure_cache, "version", lambda package: "99.0")  # the package's
    assert cache_key("SafeInterruptibility",
                     {"level": 1, "interruption_probability": 0.5}) != key
    monkeypatch.undo()
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))

    # Edit a copy of the grid helpers that SafeInterruptibility imports (Gambling does not).
    real = figure_cache._module_file("simulacra.worlds.grid")
    copy = tmp_path / "grid.py"
    shutil.copy(real, copy)
    original = figure_cache._module_file

    def patched(module):
        return copy if module == "simulacra.worlds.grid" else original(module)

    figure_cache._module_file.cache_clear()
    monkeypatch.setattr(figure_cache, "_module_file", patched)
    params = {"level": 1, "interruption_probability": 0.5}
    assert cache_key("SafeInterruptibility", params) == key
    copy.write_text(copy.read_text() + "\n# a change\n")
    assert cache_key("SafeInterruptibility", params) != key
    assert cache_key("Gambling", {}) == gambling


def test_a_changed_world_is_solved_again(tmp_path, monkeypatch):
    cached_figures("Gambling")
    source = figure_cache._module_file("simulacra.worlds.gambling")
    copy = tmp_path / "gambling.py"
    copy.write_text(source.read_text() + "\n# the rules changed\n")
    original = figure_cache._module_file
    monkeypatch.setattr(figure_cache, "_module_file",
                        lambda m: copy if m == "simulacra.worlds.gambling" else original(m))
    solved = []
    monkeypatch.setattr(figure_cache, "reference_figures",
                        lambda cw: solved.append(cw.name) or reference_figures(cw))
    cached_figures("Gambling")
    assert solved == ["Gambling"]
    cached_figures("Gambling")  # the new entry now holds
    assert solved == ["Gambling"]
