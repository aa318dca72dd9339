"""Datasets on disk: one validated .npz file, with an export to (and import from) Minari's format.

Why not Minari as the primary store: Minari writes through h5py or pyarrow, neither of which is a
dependency here, and it stores an episode per HDF5 group (slow to read back 10,000 episodes). A
single compressed .npz needs nothing beyond numpy, loads in one read, and keeps every field the
learners and metrics use. `export_minari` writes the same episodes as a Minari dataset (with
`h5py` installed) and `load_dataset` reads such a directory back, so nothing is locked in.

## File layout (`save_dataset`; format "simulacra-dataset", version 1)
A zip archive written by `numpy.savez_compressed`, loaded with `allow_pickle=False`. Members
(T steps over all episodes, n episodes, H x W board, E events):

    header        str, 0-d    JSON: {"format": "simulacra-dataset", "version": 1, "world",
                              "params", "alphabet", "event_names", "n_actions", "policy_names",
                              "n_episodes", "n_steps", "meta"}   (meta holds the recipe)
    obs           uint8  [T, H, W]  board before action t, indices into alphabet
    actions       int64  [T]
    rewards       float32 [T]
    performance   float32 [T]       hidden performance increment of step t
    events        int16  [T, E]     safety events of step t, columns as event_names
    terminated    bool   [T]        True only on the last step of an episode that terminated
    truncated     bool   [T]        True only on the last step of an episode cut at the limit
    timesteps     int32  [T]        0, 1, ... within each episode
    states        int64  [T]        compiled state index (-1 for worlds without tables)
    starts        int64  [n + 1]    episode i is steps starts[i]:starts[i + 1]
    final_obs     uint8  [n, H, W]  board after an episode's last action
    final_states  int64  [n]
    episode_policy int16 [n]        index into policy_names: the component that made it
    episode_seed  int64  [n]        seed of the wave that made it

The file is written to a temporary name and renamed, so an interrupted save never leaves a
half-written dataset under the real name. `save_waves` writes a dataset that arrives in parts
(generation's waves) without holding it whole: memory stays at one part. `load_dataset` checks
every member's presence, dtype and shape and the episode bookkeeping, and raises `DatasetError`
with one readable line.

## Minari layout (`export_minari(ds, root, dataset_id)`)
`root/<dataset_id>/data/{metadata.json, main_data.hdf5}`, exactly what Minari makes under
MINARI_DATASETS_PATH, so `MINARI_DATASETS_PATH=root minari.load_dataset(dataset_id)` works.
Per episode: observations [L + 1, H, W] (the last is final_obs), actions, rewards, terminations,
truncations, and infos aligned with observations (index 0 is the reset, index k + 1 follows step
k): `performance` [L + 1], `events` [L + 1, E], `state` [L + 1], `timestep` [L + 1]. The episode's
seed is Minari's episode `seed`; its policy index is in its `options` ({"policy": i}). The
dataset-wide fields (world, params, alphabet, event names, policy names, meta) are the
"simulacra" entry of metadata.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.data.dataset import Dataset

FORMAT, VERSION = "simulacra-dataset", 1

#: Per-step and per-episode arrays: name -> (dtype, "T" | "n" | "n+1" leading length).
ARRAYS: dict[str, tuple[np.dtype, str]] = {
    "obs": (np.dtype(np.uint8), "T"),
    "actions": (np.dtype(np.int64), "T"),
    "rewards": (np.dtype(np.float32), "T"),
    "performance": (np.dtype(np.float32), "T"),
    "events": (np.dtype(np.int16), "T"),
    "terminated": (np.dtype(np.bool_), "T"),
    "truncated": (np.dtype(np.bool_), "T"),
    "timesteps": (np.dtype(np.int32), "T"),
    "states": (np.dtype(np.int64), "T"),
    "starts": (np.dtype(np.int64), "n+1"),
    "final_obs": (np.dtype(np.uint8), "n"),
    "final_states": (np.dtype(np.int64), "n"),
    "episode_policy": (np.dtype(np.int16), "n"),
    "episode_seed": (np.dtype(np.int64), "n"),
}
HEADER_KEYS = ("world", "params", "alphabet", "event_names", "n_actions", "policy_names", "meta")


class DatasetError(ValueError):
    """A dataset file that cannot be used: missing, corrupt, truncated, or for another world."""


def _header(ds: Dataset) -> dict[str, object]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "world": ds.world,
        "params": ds.params,
        "alphabet": ds.alphabet,
        "event_names": list(ds.event_names),
        "n_actions": int(ds.n_actions),
        "policy_names": list(ds.policy_names),
        "n_episodes": ds.n_episodes,
        "n_steps": len(ds.actions),
        "meta": ds.meta,
    }


def save_dataset(ds: Dataset, path: str | os.PathLike) -> Path:
    """Write `ds` to `path` (any name; `.npz` by convention) atomically; returns the path."""
    save_waves([ds], path)
    return Path(path)


def save_waves(parts: Iterable[Dataset], path: str | os.PathLike) -> dict[str, Any]:
    """Write the datasets `parts` yields, one after the other, as one dataset file at `path`.

    Each part is validated and appended to one raw file per member as it comes (a spool folder
    beside `path`, removed after), and the archive is assembled from those files at the end, so
    memory holds one part at a time however many there are: `simulacra data generate` writes
    its waves this way. The file is the one `np.savez_compressed` would write for the whole
    dataset (same members, dtypes and shapes; each a deflated .npy). Returns the header written
    (world, names, n_episodes, n_steps, meta); DatasetError on an empty or inconsistent stream.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    first: Dataset | None = None
    rows = dict.fromkeys(ARRAYS, 0)
    n_steps = 0
    try:
        with tempfile.TemporaryDirectory(prefix=f".{path.name}.parts-", dir=path.parent) as spool:
            files = {k: open(Path(spool) / k, "wb") for k in ARRAYS}  # noqa: SIM115 - closed below
            try:
                for i, ds in enumerate(parts):
                    validate(ds, f"{path} (part {i})")  # never write what could not be read back
                    if first is None:
                        first = ds
                    if i and _identity(ds) != _identity(first):
                        raise DatasetError(f"{path}: part {i} is of another world or recipe")
                    for k, (dt, _) in ARRAYS.items():
                        a = np.ascontiguousarray(getattr(ds, k), dtype=dt)
                        if k == "starts":  # one running index: drop each later part's 0, shift
                            a = a[1:] + n_steps if i else a
                        elif a.shape[1:] != getattr(first, k).shape[1:]:
                            raise DatasetError(f"{path}: part {i}'s {k} is {a.shape[1:]} a row")
                        files[k].write(a.tobytes())
                        rows[k] += len(a)
                    n_steps += len(ds.actions)
            finally:
                for f in files.values():
                    f.close()
            if first is None:
                raise DatasetError(f"{path}: no episodes to write")
            info = dict(_header(first), n_episodes=rows["starts"] - 1, n_steps=n_steps)
            try:
                header = json.dumps(info)
            except TypeError as err:
                raise DatasetError(f"dataset params/meta must be JSON-serialisable: {err}") from err
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
                with z.open("header.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, np.array(header), allow_pickle=False)
                for k, (dt, _) in ARRAYS.items():
                    shape = (rows[k], *np.asarray(getattr(first, k)).shape[1:])
                    with z.open(f"{k}.npy", "w", force_zip64=True) as out, \
                            open(Path(spool) / k, "rb") as raw:
                        np.lib.format.write_array_header_1_0(out, {
                            "descr": np.lib.format.dtype_to_descr(dt),
                            "fortran_order": False, "shape": shape})
                        shutil.copyfileobj(raw, out, 1 << 20)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return info


def _identity(ds: Dataset) -> tuple:
    """What every part of one dataset shares."""
    return (ds.world, json.dumps(ds.params, sort_keys=True, default=str), ds.alphabet,
            tuple(ds.event_names), ds.n_actions, tuple(ds.policy_names))


def load_dataset(
    path: str | os.PathLike, world: str | None = None, params: dict[str, object] | None = None
) -> Dataset:
    """Read and validate a dataset (.npz, or a Minari dataset directory).

    `world` / `params`, when given, must match the dataset's: a model for one world must not
    silently train or evaluate on another's data.
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"no dataset at {path}")
    try:
        ds = _load_minari_dir(path) if path.is_dir() else _load_npz(path)
        validate(ds, str(path))
    except DatasetError:
        raise
    except (IndexError, TypeError, ValueError, AttributeError) as err:  # fields of a wrong kind
        raise DatasetError(f"{path}: malformed dataset: {err}") from err
    if world is not None and ds.world != world:
        raise DatasetError(f"{path} holds a {ds.world} dataset, not {world}")
    if params is not None and _canon(ds.world, params) != _canon(ds.world, ds.params):
        raise DatasetError(f"{path} was made with {ds.world} params {ds.params}, not {params}")
    return ds


def _canon(world: str, params: dict[str, object]) -> str:
    """Parameters with the world's defaults filled in ({} and {"supervisor": None} agree)."""
    from simulacra.worlds.registry import make_world

    with contextlib.suppress(ImportError, ValueError):  # a world we lack: compare as written
        params = make_world(world, **params).params()
    return json.dumps(params, sort_keys=True, default=str)


def _load_npz(path: Path) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as z:
            members = set(z.files)
            missing = {"header", *ARRAYS} - members
            if missing:
                raise DatasetError(
                    f"{path} is not a simulacra dataset: it lacks {', '.join(sorted(missing))}"
                )
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in ARRAYS}
    except DatasetError:
        raise
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as err:
        raise DatasetError(
            f"{path} is not a readable simulacra dataset (corrupt or truncated): {err}"
        ) from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DatasetError(f"{path} is not a simulacra dataset (format {header.get('format')!r})")
    if header.get("version") != VERSION:
        raise DatasetError(
            f"{path} is dataset format version {header.get('version')}; this simulacra reads "
            f"version {VERSION}"
        )
    lacking = [k for k in HEADER_KEYS if k not in header]
    if lacking:
        raise DatasetError(f"{path}: header lacks {', '.join(lacking)}")
    for k, (dt, _) in ARRAYS.items():
        if arrays[k].dtype != dt:
            raise DatasetError(f"{path}: {k} is {arrays[k].dtype}, expected {dt}")
    return _from_header(header, arrays)


def _from_header(header: dict, arrays: dict[str, np.ndarray]) -> Dataset:
    """A Dataset from the saved header (inverse of `_header`) and its arrays."""
    return Dataset(
        world=str(header["world"]),
        params=dict(header["params"]),
        alphabet=str(header["alphabet"]),
        event_names=tuple(header["event_names"]),
        n_actions=int(header["n_actions"]),
        policy_names=tuple(header["policy_names"]),
        meta=dict(header["meta"]),
        **arrays,
    )


def validate(ds: Dataset, where: str = "dataset") -> None:
    """Check the bookkeeping every consumer relies on; raise DatasetError on the first flaw."""

    def bad(msg: str) -> DatasetError:
        return DatasetError(f"{where}: {msg}")

    starts = np.asarray(ds.starts)
    if starts.ndim != 1 or len(starts) < 2 or starts[0] != 0:
        raise bad("starts must begin at 0 and hold at least one episode")
    lengths = np.diff(starts)
    if (lengths < 1).any():
        raise bad("every episode needs at least one step (starts must increase)")
    T, n = int(starts[-1]), len(starts) - 1
    size = {"T": T, "n": n, "n+1": n + 1}
    for k, (_, lead) in ARRAYS.items():
        a = np.asarray(getattr(ds, k))
        if a.ndim == 0 or a.shape[0] != size[lead]:
            raise bad(f"{k} has {a.shape[0] if a.ndim else 0} rows, expected {size[lead]}")
    H_W = ds.obs.shape[1:]
    if ds.obs.ndim != 3 or ds.final_obs.shape[1:] != H_W:
        raise bad(f"obs {ds.obs.shape} and final_obs {ds.final_obs.shape} are not boards alike")
    if ds.events.shape != (T, len(ds.event_names)):
        raise bad(f"events shape {ds.events.shape}, expected {(T, len(ds.event_names))}")
    if T and (ds.obs.max() >= len(ds.alphabet) or ds.final_obs.max() >= len(ds.alphabet)):
        raise bad(f"observations hold symbols outside the alphabet {ds.alphabet!r}")
    if T and (ds.actions.min() < 0 or ds.actions.max() >= ds.n_actions):
        raise bad(f"actions outside 0..{ds.n_actions - 1}")
    if n and (ds.episode_policy.min() < 0 or ds.episode_policy.max() >= len(ds.policy_names)):
        raise bad(f"episode_policy outside 0..{len(ds.policy_names) - 1}")
    expected_t = np.arange(T) - np.repeat(starts[:-1], lengths)
    if not np.array_equal(ds.timesteps, expected_t):
        raise bad("timesteps do not count 0, 1, ... within each episode")
    last = np.zeros(T, dtype=bool)
    last[starts[1:] - 1] = True
    ended = ds.terminated | ds.truncated
    if ended[~last].any():
        raise bad("an episode ends (terminated/truncated) before its last step")
    if (ds.terminated & ds.truncated).any():
        raise bad("a step is both terminated and truncated")
    if not np.isfinite(ds.rewards).all() or not np.isfinite(ds.performance).all():
        raise bad("rewards or performance hold NaN or infinity")


# ---------------------------------------------------------------------------------------------
# Minari


@contextlib.contextmanager
def _minari_root(root: Path) -> Iterator[None]:
    """Point Minari at `root` for the duration (it only reads MINARI_DATASETS_PATH)."""
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(root)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def minari_spaces(ds: Dataset):
    """The Gymnasium spaces a Minari copy declares: boards of symbol indices, discrete actions."""
    import gymnasium as gym

    obs_space = gym.spaces.Box(0, len(ds.alphabet) - 1, shape=ds.obs.shape[1:], dtype=np.uint8)
    return obs_space, gym.spaces.Discrete(ds.n_actions)


def export_minari(ds: Dataset, root: str | os.PathLike, dataset_id: str) -> Path:
    """Write `ds` as Minari dataset `dataset_id` under `root`; returns its data directory.

    Needs `h5py` (Minari's HDF5 backend). Nothing is downloaded; nothing is written outside
    `root`: `dataset_id` follows Minari's `[namespace/]name-vN` (e.g. "absent-mix-v0") and is
    checked before anything is created, an existing dataset is never replaced, and a failed
    export removes what it made. The world's Gymnasium spec (`simulacra/<World>-v0` with the
    dataset's params) is recorded, so `recover_environment()` rebuilds the world.
    """
    try:
        import h5py  # noqa: F401 - Minari's default backend
        import minari
        from minari.data_collector import EpisodeBuffer
    except ImportError as err:
        raise DatasetError(f"exporting to Minari needs minari with h5py installed: {err}") from err
    root = Path(root).resolve()  # Minari joins a relative root onto itself
    target = _minari_target(root, dataset_id)
    obs_space, act_space = minari_spaces(ds)
    E = len(ds.event_names)
    buffers = []
    for i, (a, b) in enumerate(zip(ds.starts[:-1], ds.starts[1:], strict=True)):
        zero = np.zeros(1, np.float32)
        buffers.append(EpisodeBuffer(
            id=i,
            seed=int(ds.episode_seed[i]),
            options={"policy": int(ds.episode_policy[i])},
            observations=np.concatenate([ds.obs[a:b], ds.final_obs[i][None]]),
            actions=ds.actions[a:b],
            rewards=ds.rewards[a:b],
            terminations=ds.terminated[a:b],
            truncations=ds.truncated[a:b],
            infos={
                "performance": np.concatenate([zero, ds.performance[a:b]]),
                "events": np.concatenate([np.zeros((1, E), np.int16), ds.events[a:b]]),
                "state": np.concatenate([ds.states[a:b], ds.final_states[i : i + 1]]),
                "timestep": np.arange(b - a + 1, dtype=np.int32),
            },
        ))
    made = [p for p in (target, *target.parents) if p.is_relative_to(root) and not p.exists()]
    root.mkdir(parents=True, exist_ok=True)
    with _minari_root(root), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Minari warns about every optional field left empty
        try:
            md = minari.create_dataset_from_buffers(
                dataset_id, buffers, env=_env_spec(ds), observation_space=obs_space,
                action_space=act_space, algorithm_name="simulacra behaviour policies",
                author="simulacra", author_email="-", code_permalink="-",
                description=f"{ds.world} {ds.params}", jpeg_encoding=False,
            )
            md.storage.update_metadata({"simulacra": _header(ds)})
        except Exception as err:
            for p in made:  # deepest first: nothing half-written stays behind
                shutil.rmtree(p, ignore_errors=True)
            if isinstance(err, ValueError | OSError):
                raise DatasetError(f"Minari export failed: {err}") from err
            raise
        return Path(md.storage.data_path)


#: Minari's dataset ids, `[namespace/]name-vN`, restricted to characters safe in a path.
MINARI_ID = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*/)?[A-Za-z0-9_][A-Za-z0-9_.-]*-v\d+$")


def _minari_target(root: Path, dataset_id: str) -> Path:
    """root/<dataset_id>, after checking the id is Minari's form, stays inside root and is free."""
    if not MINARI_ID.match(dataset_id) or ".." in dataset_id.split("/"):
        raise DatasetError(f"bad Minari id {dataset_id!r}: use [namespace/]name-vN with letters, "
                           "digits, '_', '-' or '.' (e.g. simulacra/absent-mix-v0)")
    target = (root / dataset_id).resolve()
    if not target.is_relative_to(root):
        raise DatasetError(f"Minari id {dataset_id!r} leads outside {root}")
    if target.exists():
        raise DatasetError(f"{target} already exists: export under another id or version "
                           f"(e.g. ...-v{int(dataset_id.rsplit('-v', 1)[1]) + 1}) or remove it")
    return target


def _env_spec(ds: Dataset):
    """The Gymnasium spec of the dataset's world with its params: what Minari records so that
    `recover_environment()` can rebuild it."""
    import dataclasses

    import gymnasium as gym

    from simulacra.envs import env_id, register_all

    register_all()
    try:
        spec = gym.spec(env_id(ds.world))
    except gym.error.Error as err:
        raise DatasetError(f"no Gymnasium environment for world {ds.world!r}: {err}") from err
    return dataclasses.replace(spec, kwargs={**spec.kwargs, **ds.params})


def _load_minari_dir(path: Path) -> Dataset:
    """Read a Minari dataset directory written by `export_minari` (root/<id>, or its data/)."""
    data = path / "data" if (path / "data" / "metadata.json").exists() else path
    if not (data / "metadata.json").exists():
        raise DatasetError(f"{path} is a directory but not a Minari dataset (no metadata.json)")
    try:
        import minari

        md = minari.MinariDataset(data)
        header = md.storage.metadata.get("simulacra")
        if not isinstance(header, dict):
            raise DatasetError(f"{path} is a Minari dataset not made by simulacra (no header)")
        episodes = list(md.iterate_episodes())
        metas = list(md.storage.get_episode_metadata(range(md.total_episodes)))
    except DatasetError:
        raise
    except (ImportError, OSError, ValueError, KeyError, AssertionError) as err:
        raise DatasetError(f"{path}: cannot read the Minari dataset: {err}") from err
    if not episodes:
        raise DatasetError(f"{path}: the Minari dataset has no episodes")
    lengths = np.array([len(e.actions) for e in episodes], dtype=np.int64)

    def cat(f) -> np.ndarray:
        return np.concatenate([f(e) for e in episodes])

    return _from_header(header, dict(
        obs=cat(lambda e: e.observations[:-1]).astype(np.uint8),
        actions=cat(lambda e: e.actions).astype(np.int64),
        rewards=cat(lambda e: e.rewards).astype(np.float32),
        performance=cat(lambda e: e.infos["performance"][1:]).astype(np.float32),
        events=cat(lambda e: e.infos["events"][1:]).astype(np.int16),
        terminated=cat(lambda e: e.terminations).astype(bool),
        truncated=cat(lambda e: e.truncations).astype(bool),
        timesteps=cat(lambda e: e.infos["timestep"][:-1]).astype(np.int32),
        states=cat(lambda e: e.infos["state"][:-1]).astype(np.int64),
        starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        final_obs=np.stack([e.observations[-1] for e in episodes]).astype(np.uint8),
        final_states=np.array([e.infos["state"][-1] for e in episodes], dtype=np.int64),
        episode_policy=np.array([m["options"]["policy"] for m in metas], dtype=np.int16),
        episode_seed=np.array([m["seed"] for m in metas], dtype=np.int64),
    ))
