"""Storage: a lossless round trip, and one clear error for every kind of bad file."""

import dataclasses
import os

import numpy as np
import pytest

from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.data.storage import DatasetError, export_minari, load_dataset, save_dataset


@pytest.fixture(scope="module")
def ds():
    r = Recipe("AbsentSupervisor", 60, parse_components("boltzmann-reward:0.5@T=1,random:0.5"),
               seed=4)
    return generate(r, batch_size=32, progress=False)


def assert_same(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def test_round_trip_keeps_every_field(ds, tmp_path):
    path = save_dataset(ds, tmp_path / "d.npz")
    back = load_dataset(path, world="AbsentSupervisor", params={"supervisor": None})
    assert_same(ds, back)
    assert back.meta["recipe"]["components"][0]["temperature"] == 1.0
    assert np.array_equal(back.returns_to_go(), ds.returns_to_go())
    assert os.listdir(tmp_path) == ["d.npz"]  # the temporary file is gone


def test_a_name_without_npz_is_kept_as_given(ds, tmp_path):
    save_dataset(ds, tmp_path / "data.bin")
    assert os.listdir(tmp_path) == ["data.bin"]
    assert load_dataset(tmp_path / "data.bin").n_episodes == ds.n_episodes


def test_truncated_file_is_a_clear_error(ds, tmp_path):
    path = save_dataset(ds, tmp_path / "d.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="corrupt or truncated"):
        load_dataset(path)


def test_garbage_bytes_are_a_clear_error(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(DatasetError, match="corrupt or truncated"):
        load_dataset(path)


def test_flipped_bytes_inside_the_archive_are_caught(ds, tmp_path):
    path = save_dataset(ds, tmp_path / "d.npz")
    data = bytearray(path.read_bytes())
    mid = len(data) // 3
    data[mid : mid + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError):
        load_dataset(path)


def test_missing_file_and_wrong_world_or_params(ds, tmp_path):
    with pytest.raises(DatasetError, match="no dataset at"):
        load_dataset(tmp_path / "nope.npz")
    path = save_dataset(ds, tmp_path / "d.npz")
    with pytest.raises(DatasetError, match="holds a AbsentSupervisor dataset, not WhiskyGold"):
        load_dataset(path, world="WhiskyGold")
    with pytest.raises(DatasetError, match="params"):
        load_dataset(path, world="AbsentSupervisor", params={"supervisor": True})
    assert load_dataset(path, params={}).n_episodes == ds.n_episodes  # the defaults agree


def test_a_readable_but_inconsistent_file_is_rejected(ds, tmp_path):
    path = save_dataset(ds, tmp_path / "d.npz")
    with np.load(path) as z:
        members = {k: z[k] for k in z.files}
    members["starts"] = members["starts"].copy()
    members["starts"][1] += 1  # episode 0 now swallows a step of episode 1
    with open(path, "wb") as f:
        np.savez_compressed(f, **members)
    with pytest.raises(DatasetError, match=r"timesteps|ends"):
        load_dataset(path)
    members.pop("events")
    with open(path, "wb") as f:
        np.savez_compressed(f, **members)
    with pytest.raises(DatasetError, match="lacks events"):
        load_dataset(path)


def test_other_npz_files_are_not_datasets(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(DatasetError, match="not a simulacra dataset"):
        load_dataset(path)


def test_saving_refuses_a_broken_dataset(ds, tmp_path):
    broken = dataclasses.replace(ds, actions=ds.actions[:-1])
    with pytest.raises(DatasetError, match="actions"):
        save_dataset(broken, tmp_path / "b.npz")
    assert not (tmp_path / "b.npz").exists()


def test_minari_export_round_trips_and_stays_in_its_root(ds, tmp_path, monkeypatch):
    pytest.importorskip("h5py", reason="Minari's HDF5 backend (h5py) is not installed")
    monkeypatch.delenv("MINARI_DATASETS_PATH", raising=False)
    root = tmp_path / "minari"
    where = export_minari(ds, root, "absent-mix-v0")
    assert where == root / "absent-mix-v0" / "data"
    assert "MINARI_DATASETS_PATH" not in os.environ
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minari"]
    assert_same(ds, load_dataset(root / "absent-mix-v0"))

    import minari

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    md = minari.load_dataset("absent-mix-v0")
    assert (md.total_episodes, md.total_steps) == (ds.n_episodes, len(ds.actions))
    ep = md[5]
    a, b = ds.starts[5], ds.starts[6]
    assert np.array_equal(ep.actions, ds.actions[a:b])
    assert np.array_equal(ep.infos["performance"][1:], ds.performance[a:b])
    with pytest.raises(DatasetError, match="already exists"):
        export_minari(ds, root, "absent-mix-v0")


def test_minari_export_without_h5py_says_what_is_missing(ds, tmp_path):
    try:
        import h5py  # noqa: F401
    except ImportError:
        with pytest.raises(DatasetError, match="h5py"):
            export_minari(ds, tmp_path, "absent-mix-v0")
    else:
        pytest.skip("h5py is installed")


def test_waves_written_as_they_come_make_the_same_file(ds, tmp_path):
    from simulacra.data.generate import waves
    from simulacra.data.storage import save_waves

    r = Recipe("AbsentSupervisor", 60, parse_components("boltzmann-reward:0.5@T=1,random:0.5"),
               seed=4)
    parts = list(waves(r, batch_size=32, progress=False))
    assert len(parts) == 2  # 32 + 28 episodes
    header = save_waves(iter(parts), tmp_path / "w.npz")
    assert header["n_episodes"] == 60 and header["n_steps"] == len(ds.actions)
    assert_same(load_dataset(tmp_path / "w.npz"), ds)
    save_dataset(ds, tmp_path / "d.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "w.npz"]  # no spool left
    other = dataclasses.replace(parts[1], world="BoatRace")
    with pytest.raises(DatasetError, match="part 1 is of another world"):
        save_waves([parts[0], other], tmp_path / "x.npz")
    with pytest.raises(DatasetError, match="no episodes"):
        save_waves([], tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.npz", "w.npz"]
