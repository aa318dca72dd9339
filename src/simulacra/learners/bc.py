"""Behaviour cloning (BC) and top-q filtered BC (%BC), on the same datasets as DT.

BC fits π(a | board) to every (board, action) pair of the dataset by cross-entropy. %BC (Chen et
al. 2021, the DT paper's baseline) does the same on the episodes whose return is in the top q
fraction: with n episodes and k = ceil(q·n), it keeps every episode whose return is at least the
k-th best return (ties at the threshold are kept, so the share kept can exceed q; the share
actually kept is saved in config.json). q = 1 is plain BC.

Acting: BC is a model of the behaviour, so by default it samples its actions (`act="sample"`),
which is what a fidelity comparison with DT needs; `act="greedy"` plays the most probable action.
The observation encoding is `simulacra.learners.features` (the same for every baseline).

Checkpoint folder: config.json + model.safetensors (an MLP state dict).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from simulacra.data.dataset import Dataset
from simulacra.learners.features import (
    Encoding,
    ObsPolicy,
    check_world,
    mlp,
    write_config,
)
from simulacra.progress_bar import progress_bar
from simulacra.versions import versions

WEIGHTS = "model.safetensors"


@dataclass
class BCConfig:
    q: float = 1.0
    """Share of episodes kept, best returns first (1.0 = plain BC, < 1 = %BC)."""
    hidden: int = 256
    """Width of each hidden layer."""
    layers: int = 2
    """Number of hidden layers."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    batch_size: int = 256
    """(board, action) pairs per gradient step."""
    steps: int = 3000
    """Gradient steps."""
    act: str = "sample"
    """How the trained policy acts: 'sample' from π(·|board) or 'greedy'."""
    seed: int = 0
    """Seeds the initialisation, the minibatches and (by default) the acting."""

    def validate(self) -> None:
        if not 0.0 < self.q <= 1.0:
            raise ValueError(f"q must lie in (0, 1], got {self.q}")
        if self.act not in ("sample", "greedy"):
            raise ValueError(f"act must be 'sample' or 'greedy', got {self.act!r}")
        for name in ("hidden", "layers", "batch_size", "steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def top_q_episodes(data: Dataset, q: float) -> np.ndarray:
    """Indices of the episodes %BC keeps: return >= the ceil(q n)-th best return."""
    g = data.returns()
    k = int(np.ceil(q * len(g) - 1e-9))
    threshold = np.sort(g)[::-1][k - 1]
    return np.flatnonzero(g >= threshold)


def step_mask(data: Dataset, episodes: np.ndarray) -> np.ndarray:
    """bool [T]: the steps that belong to `episodes`."""
    keep = np.zeros(data.n_episodes, dtype=bool)
    keep[episodes] = True
    return keep[data.episode_ids()]


class BCPolicy(ObsPolicy):
    def __init__(self, net: torch.nn.Module, encoding: Encoding, n_actions: int,
                 deterministic: bool, seed: int | None = None) -> None:
        self.net = net.eval()
        self.encoding = encoding
        super().__init__(self._probs, n_actions, deterministic, seed)

    @torch.no_grad()
    def _probs(self, obs: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(self.encoding(obs))  # [N, F]
        return torch.softmax(self.net(x), dim=-1).double().numpy()  # [N, A]


def train_bc(
    data: Dataset, config: BCConfig, out: Path | None = None, progress: bool = True,
    data_path: str | None = None,
) -> BCPolicy:
    """Fit BC (or %BC when config.q < 1) on `data`; save a checkpoint folder to `out` if given."""
    config.validate()
    torch.set_num_threads(1)  # a small MLP: more threads only contend (16x slower on 2 busy cores)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    episodes = top_q_episodes(data, config.q)
    mask = step_mask(data, episodes)
    encoding = Encoding(data.alphabet, tuple(data.obs.shape[1:]))  # type: ignore[arg-type]
    x = torch.from_numpy(encoding(data.obs[mask]))  # [T', F]
    y = torch.from_numpy(data.actions[mask].astype(np.int64))  # [T']
    net = mlp(encoding.n_features, data.n_actions, config.hidden, config.layers)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    started = time.perf_counter()
    bar = progress_bar(range(config.steps), desc="bc" if config.q == 1 else "%bc",
                       disable=not progress)
    loss_value = float("nan")
    for step in bar:
        idx = torch.from_numpy(rng.integers(0, len(y), config.batch_size))
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == config.steps - 1:
            loss_value = loss.item()
            bar.set_postfix(loss=f"{loss_value:.3f}")
    seconds = time.perf_counter() - started
    policy = BCPolicy(net, encoding, data.n_actions, config.act == "greedy", seed=config.seed)
    if out is not None:
        from safetensors.torch import save_file

        write_config(out, {
            "learner": "bc" if config.q == 1.0 else "pbc",
            "world": data.world,
            "params": data.params,
            "n_actions": data.n_actions,
            "encoding": encoding.to_json(),
            "hyperparameters": asdict(config),
            "seed": config.seed,
            "steps": config.steps,
            "data": {
                "path": data_path,
                "episodes": data.n_episodes,
                "episodes_kept": len(episodes),
                "share_kept": len(episodes) / data.n_episodes,
                "return_threshold": float(data.returns()[episodes].min()),
                "meta": data.meta,
            },
            "final_loss": loss_value,
            "train_seconds": seconds,
            "versions": versions(),
        })
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / WEIGHTS))
    return policy


def load_policy(
    folder: Path, world: str | None = None, deterministic: bool | None = None,
    seed: int | None = None, **_: object,
) -> BCPolicy:
    """A BC / %BC checkpoint folder as a Policy (`deterministic` overrides the saved `act`)."""
    from simulacra.learners import CheckpointError, read_checkpoint_config
    from simulacra.learners.weights import load_weights

    config = read_checkpoint_config(folder)
    if config["learner"] not in ("bc", "pbc"):
        raise CheckpointError(f"{folder} is a {config['learner']} checkpoint, not bc/pbc")
    check_world(config, folder, world)
    try:
        hp = BCConfig(**config["hyperparameters"])
        encoding = Encoding.from_json(config["encoding"])
        n_features, n_actions = int(encoding.n_features), int(config["n_actions"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{folder}: corrupt bc checkpoint ({err})") from err
    # Shapes checked against the file's header before the network is built (weights.py).
    net = load_weights(Path(folder) / WEIGHTS,
                       lambda: mlp(n_features, n_actions, hp.hidden, hp.layers))
    greedy = hp.act == "greedy" if deterministic is None else deterministic
    return BCPolicy(net, encoding, int(config["n_actions"]), greedy,
                    seed=hp.seed if seed is None else seed)


# ---- registry (simulacra.learners.registry): BC and %BC ------------------------------------
from simulacra.learners.registry import (  # noqa: E402  (the spec block closes the file)
    OFFLINE_JOB,
    LearnerSpec,
    check_config,
    config_defaults,
)

_SET_BY_JOB = ("q", "seed")  # q is %BC's knob, the seed the job's


def _train(data: Dataset, settings: dict, *, seed: int, knob: float | None, out: Path | None,
           progress: bool = False, data_path: str | None = None) -> BCPolicy:
    """BC (no knob: q = 1) or %BC (knob q) from a study's or the CLI's settings."""
    config = BCConfig(**settings, q=1.0 if knob is None else float(knob), seed=seed)
    return train_bc(data, config, out=out, progress=progress, data_path=data_path)


_COMMON = dict(
    family="offline", job=OFFLINE_JOB, config=BCConfig,
    defaults=lambda: config_defaults(BCConfig, _SET_BY_JOB),
    check=lambda s: check_config(BCConfig, s), load=load_policy, train=_train, needs_dataset=True,
)
SPECS = (
    LearnerSpec("bc", doc="behaviour cloning on the dataset", **_COMMON),
    LearnerSpec("pbc", knob="q", knob_values=(0.5, 0.25, 0.1), knob_in_job=False,
                doc="%BC: behaviour cloning on the best q share of the episodes", **_COMMON),
)
