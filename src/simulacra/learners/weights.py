"""Checkpoint weights: a network rebuilt from config.json, checked against its weights first.

A checkpoint's config.json declares the network's shape (widths, layer counts, table sizes) and a
safetensors file holds its weights. Both come from whoever sent the checkpoint, so the config is
checked against the file's header before anything real is built: the network is first built on
torch's `meta` device (shapes only, no memory), and that build is stopped at the first parameter
the file cannot hold, so a config declaring `n_layer: 1000000` or `hidden: 16384` beside a 40 KB
file costs a few milliseconds, not gigabytes. Only when every name and shape matches the file is
the network built for real and filled. Nothing is unpickled: safetensors holds raw arrays only.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import torch
from torch import nn

from simulacra.learners import CheckpointError

M = TypeVar("M", bound=nn.Module)

#: Elements a module may hold in non-persistent buffers (lookup tables, not saved) beyond what its
#: weights file holds: enough for any table the learners keep, far below a harmful allocation.
BUFFER_SLACK = 1 << 20


class _TooBig(Exception):
    pass


def read_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape, from the safetensors header only (no tensor is read)."""
    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise CheckpointError(f"{path.parent} has no {path.name}")
    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path} is corrupt or truncated: {err}") from err


@contextlib.contextmanager
def _bounded(shapes: dict[str, tuple[int, ...]]) -> Iterator[None]:
    """Stop a build as soon as it registers more parameters, or more elements, than `shapes`."""
    limit = sum(math.prod(s) for s in shapes.values())
    seen = {"params": 0, "elements": 0, "buffers": 0}

    def on_param(module: nn.Module, name: str, param: torch.Tensor | None) -> None:
        if param is None:
            return
        seen["params"] += 1
        seen["elements"] += param.numel()
        if seen["params"] > len(shapes) or seen["elements"] > limit:
            raise _TooBig

    def on_buffer(module: nn.Module, name: str, buffer: torch.Tensor | None) -> None:
        if buffer is None:
            return
        seen["buffers"] += buffer.numel()
        if seen["buffers"] > limit + BUFFER_SLACK:
            raise _TooBig

    hooks = [nn.modules.module.register_module_parameter_registration_hook(on_param),
             nn.modules.module.register_module_buffer_registration_hook(on_buffer)]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def check_shapes(path: Path, skeleton: Callable[[], nn.Module]) -> None:
    """CheckpointError unless `skeleton()` (built on the meta device) has exactly the names and
    shapes of the weights in `path`."""
    stored = read_shapes(path)
    try:
        with torch.device("meta"), _bounded(stored):
            net = skeleton()
    except _TooBig:
        raise CheckpointError(
            f"{path} does not fit the network in config.json, which declares more than the file's "
            f"{len(stored)} tensors of {sum(math.prod(s) for s in stored.values())} values in all"
        ) from None
    declared = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    for name in sorted(set(declared) | set(stored)):
        if declared.get(name) != stored.get(name):
            raise CheckpointError(
                f"{path} does not fit the network in config.json: {name} is "
                f"{_shape(stored.get(name))} in the file, {_shape(declared.get(name))} declared"
            )


def _shape(shape: tuple[int, ...] | None) -> str:
    return "absent" if shape is None else str(list(shape))


def load_weights(path: Path, build: Callable[[], M],
                 skeleton: Callable[[], nn.Module] | None = None) -> M:
    """`build()` filled with the weights in `path`, after `check_shapes` (with `skeleton`, a
    meta-device-safe twin of `build`, when `build` itself cannot run on the meta device)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    check_shapes(path, skeleton or build)
    net = build()
    try:
        net.load_state_dict(load_file(str(path)))
    except (SafetensorError, OSError, RuntimeError) as err:
        first = str(err).strip().splitlines()
        raise CheckpointError(f"{path} is corrupt: {first[0] if first else err}") from err
    return net
