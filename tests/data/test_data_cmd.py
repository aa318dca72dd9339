"""`simulacra data generate|show` through the real Typer app."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.data.storage import load_dataset

runner = CliRunner()
MIX = "boltzmann-reward:0.5@T=1,optimal-performance:0.25,random:0.25"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "mix.npz"
    res = invoke("data", "generate", "AbsentSupervisor", "--recipe", MIX, "--episodes", 40,
                 "--out", out, "--seed", 5, "--no-progress")
    assert res.exit_code == 0, res.output
    return out, res


def test_generate_writes_what_the_recipe_says(made):
    out, res = made
    assert "40 episodes" in res.output and "20 boltzmann-reward@T=1" in res.output
    ds = load_dataset(out, world="AbsentSupervisor")
    assert np.bincount(ds.episode_policy).tolist() == [20, 10, 10]
    assert ds.meta["recipe"]["seed"] == 5


def test_show_prints_size_histograms_and_event_rates(made):
    out, _ = made
    res = invoke("data", "show", out)
    assert res.exit_code == 0, res.output
    for text in ("40 episodes", "return", "performance", "punished_unsupervised",
                 "optimal-performance"):
        assert text in res.output
    summary = json.loads(invoke("data", "show", out, "--json").output)
    ds = load_dataset(out)
    assert summary["episodes"] == 40 and sum(summary["return"]["counts"]) == 40
    safe = next(p for p in summary["policies"] if p["policy"] == "optimal-performance")
    assert safe["event_rate"]["punished_unsupervised"] == 0.0
    assert summary["return"]["mean"] == pytest.approx(ds.returns().mean())


def test_yaml_recipe_file_and_param_override(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("episodes: 12\nseed: 3\ncomponents:\n  - {kind: random, share: 1}\n")
    out = tmp_path / "y.npz"
    res = invoke("data", "generate", "AbsentSupervisor", "--recipe", recipe, "--out", out,
                 "--param", "supervisor=true", "--no-progress")
    assert res.exit_code == 0, res.output
    ds = load_dataset(out)
    assert ds.n_episodes == 12 and ds.params == {"supervisor": True}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("Nowhere", "--recipe", "random", "-n", 3), "unknown world 'Nowhere'"),
        (("AbsentSupervisor", "--recipe", "random:0.5", "-n", 3), "shares sum to 0.5"),
        (("AbsentSupervisor", "--recipe", "random"), "--episodes"),
        (("AbsentSupervisor", "--recipe", "random", "-n", 3, "-p", "supervisor=2"), "supervisor"),
        (("AbsentSupervisor", "--recipe", "missing.yaml", "-n", 3), "no recipe file"),
    ],
)
def test_bad_generate_input_is_one_line_and_non_zero(tmp_path, args, says):
    out = tmp_path / "x.npz"
    res = invoke("data", "generate", *args, "--out", out, "--no-progress")
    assert res.exit_code != 0
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], res.output
    assert not out.exists()


def test_existing_output_is_not_overwritten_without_force(made):
    out, _ = made
    before = out.read_bytes()
    res = invoke("data", "generate", "AbsentSupervisor", "--recipe", "random", "-n", 2,
                 "--out", out, "--no-progress")
    assert res.exit_code != 0 and "--force" in res.output
    assert out.read_bytes() == before


def test_show_on_a_corrupt_file_is_one_line_and_non_zero(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a dataset")
    res = invoke("data", "show", bad)
    assert res.exit_code != 0
    assert res.output.strip().startswith("error:") and len(res.output.strip().splitlines()) == 1


def _peak_rss_mb(tmp_path, episodes: int) -> float:
    """Peak RSS of a fresh `simulacra data generate -n episodes` process, in MB."""
    import subprocess
    import sys

    code = ("import resource, sys\nfrom simulacra.cli import app\n"
            "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = tmp_path / f"d{episodes}.npz"
    res = subprocess.run(
        [sys.executable, "-c", code, "data", "generate", "AbsentSupervisor", "-r", "random:1",
         "-n", str(episodes), "-o", str(out), "--batch-size", "512", "--no-progress"],
        capture_output=True, text=True, check=True)
    assert load_dataset(out).n_episodes == episodes
    return float(res.stdout.strip().splitlines()[-1])


def test_generate_memory_does_not_grow_with_the_episode_count(tmp_path):
    # About 1.1M steps more in the large run: held in memory, that was over 400 MB more peak.
    small, large = _peak_rss_mb(tmp_path, 2_000), _peak_rss_mb(tmp_path, 42_000)
    assert large - small < 50, (small, large)


def test_export_with_a_relative_root_recovers_its_world_and_refuses_escapes(made, tmp_path,
                                                                          monkeypatch):
    pytest.importorskip("h5py", reason="Minari's HDF5 backend (h5py) is not installed")
    import minari

    path, _ = made
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("MINARI_DATASETS_PATH", raising=False)
    res = invoke("data", "export", str(path), "--root", "minari/", "--id", "simulacra/absent-v0")
    assert res.exit_code == 0, res.output
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(work / "minari"))
    md = minari.load_dataset("simulacra/absent-v0")
    env = md.recover_environment()  # the world, rebuilt from the recorded spec
    assert env.spec.id == "simulacra/AbsentSupervisor-v0"
    obs, _ = env.reset(seed=0)
    assert obs.shape == md[0].observations[0].shape
    monkeypatch.delenv("MINARI_DATASETS_PATH")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for bad_id, says in [("../../escape-v0", "bad Minari id"),
                         (str(tmp_path / "abs-v0"), "bad Minari id"),
                         ("simulacra/absent-v0", "already exists")]:
        res = invoke("data", "export", str(path), "--root", "minari", "--id", bad_id)
        lines = res.output.strip().splitlines()
        assert res.exit_code != 0 and len(lines) == 1 and lines[0].startswith("error:"), res.output
        assert says in lines[0], lines[0]
        assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing made anywhere
