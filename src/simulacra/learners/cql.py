"""Conservative Q-learning (CQL, Kumar et al. 2020) for discrete actions, in one readable file.

Why our own file: d3rlpy, the maintained library with a discrete CQL, pins `gymnasium==1.0.0` and
needs the old `gym` (d3rlpy 2.8.1's metadata), while this project runs Gymnasium 1.2+.

The learner fits Q(board, ·) to the dataset's transitions with a double-DQN target and the CQL(H)
penalty, which pushes Q down on every action in proportion to softmax(Q) and up on the data's
action, so actions the data never took cannot look better than those it did:

    y      = r + γ (1 − terminated) Q_target(s', argmax_a' Q(s', a'))
    loss   = Huber(Q(s, a), y) + α · E_(s,a)~D [ logsumexp_a' Q(s, a') − Q(s, a) ]

Truncated episodes (the 100-step limit) bootstrap like any other step; terminated ones do not.
α = 0 is plain fitted Q-iteration (double DQN on fixed data). With γ = 1 on a world whose episodes
end well before the limit, Q approaches the exact optimal Q-values of `simulacra.exact.solve`,
which is how tests/learners/test_cql.py verifies this file.

Acting: greedy in Q. Checkpoint folder: config.json + model.safetensors (the online Q-network).
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

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
class CQLConfig:
    alpha: float = 1.0
    """Weight of the conservative penalty (0 = fitted Q-iteration)."""
    gamma: float = 0.99
    """Discount of the fitted Q-values (the worlds themselves are undiscounted)."""
    hidden: int = 256
    """Width of each hidden layer of the Q-network."""
    layers: int = 2
    """Number of hidden layers."""
    lr: float = 3e-4
    """Adam learning rate."""
    batch_size: int = 256
    """Transitions per gradient step."""
    steps: int = 10_000
    """Gradient steps."""
    target_update_interval: int = 500
    """Gradient steps between hard copies of the online network into the target network."""
    seed: int = 0
    """Seeds the initialisation and the minibatches."""

    def validate(self) -> None:
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {self.alpha}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"gamma must lie in (0, 1], got {self.gamma}")
        for name in ("hidden", "layers", "batch_size", "steps", "target_update_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class Transitions:
    obs: torch.Tensor  # float32 [T, F]
    actions: torch.Tensor  # int64 [T]
    rewards: torch.Tensor  # float32 [T]
    next_obs: torch.Tensor  # float32 [T, F]
    terminated: torch.Tensor  # float32 [T]


def transitions(data: Dataset, encoding: Encoding) -> Transitions:
    """(s, a, r, s', terminated) for every step; s' of an episode's last step is its final_obs."""
    nxt = np.empty_like(data.obs)  # uint8 [T, H, W]
    nxt[:-1] = data.obs[1:]
    nxt[data.starts[1:] - 1] = data.final_obs  # last step of each episode
    return Transitions(
        torch.from_numpy(encoding(data.obs)),
        torch.from_numpy(data.actions.astype(np.int64)),
        torch.from_numpy(data.rewards.astype(np.float32)),
        torch.from_numpy(encoding(nxt)),
        torch.from_numpy(data.terminated.astype(np.float32)),
    )


class CQLPolicy(ObsPolicy):
    def __init__(self, net: torch.nn.Module, encoding: Encoding, n_actions: int,
                 seed: int | None = None) -> None:
        self.net = net.eval()
        self.encoding = encoding
        super().__init__(self._probs, n_actions, deterministic=True, seed=seed)

    @torch.no_grad()
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(board, ·) float64 [N, A]."""
        return self.net(torch.from_numpy(self.encoding(obs))).double().numpy()

    def _probs(self, obs: np.ndarray) -> np.ndarray:
        q = self.q_values(obs)
        return np.eye(q.shape[1])[q.argmax(axis=1)]


def train_cql(
    data: Dataset, config: CQLConfig, out: Path | None = None, progress: bool = True,
    data_path: str | None = None,
) -> CQLPolicy:
    """Fit discrete CQL on `data`; save a checkpoint folder to `out` if given."""
    config.validate()
    torch.set_num_threads(1)  # a small MLP: more threads only contend on a busy machine
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    encoding = Encoding(data.alphabet, tuple(data.obs.shape[1:]))  # type: ignore[arg-type]
    tr = transitions(data, encoding)
    net = mlp(encoding.n_features, data.n_actions, config.hidden, config.layers)
    target = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    started = time.perf_counter()
    bar = progress_bar(range(config.steps), desc="cql", disable=not progress)
    stats = {"td": float("nan"), "penalty": float("nan")}
    for step in bar:
        idx = torch.from_numpy(rng.integers(0, len(tr.actions), config.batch_size))
        s, a, r = tr.obs[idx], tr.actions[idx], tr.rewards[idx]
        with torch.no_grad():
            a_next = net(tr.next_obs[idx]).argmax(dim=1, keepdim=True)  # [B, 1] double DQN
            v_next = target(tr.next_obs[idx]).gather(1, a_next).squeeze(1)  # [B]
            y = r + config.gamma * (1.0 - tr.terminated[idx]) * v_next  # [B]
        q = net(s)  # [B, A]
        q_data = q.gather(1, a[:, None]).squeeze(1)  # [B]
        td = F.smooth_l1_loss(q_data, y)
        penalty = (torch.logsumexp(q, dim=1) - q_data).mean()
        loss = td + config.alpha * penalty
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % config.target_update_interval == 0:
            target.load_state_dict(net.state_dict())
        if step % 100 == 0 or step == config.steps - 1:
            stats = {"td": td.item(), "penalty": penalty.item()}
            bar.set_postfix(td=f"{stats['td']:.3f}", penalty=f"{stats['penalty']:.3f}")
    seconds = time.perf_counter() - started
    policy = CQLPolicy(net, encoding, data.n_actions, seed=config.seed)
    if out is not None:
        from safetensors.torch import save_file

        write_config(out, {
            "learner": "cql",
            "world": data.world,
            "params": data.params,
            "n_actions": data.n_actions,
            "encoding": encoding.to_json(),
            "hyperparameters": asdict(config),
            "seed": config.seed,
            "steps": config.steps,
            "data": {"path": data_path, "episodes": data.n_episodes, "meta": data.meta},
            "final_losses": stats,
            "train_seconds": seconds,
            "versions": versions(),
        })
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(out / WEIGHTS))
    return policy


def load_policy(
    folder: Path, world: str | None = None, seed: int | None = None, **_: object
) -> CQLPolicy:
    """A CQL checkpoint folder as a (greedy) Policy."""
    from simulacra.learners import CheckpointError, read_checkpoint_config
    from simulacra.learners.weights import load_weights

    config = read_checkpoint_config(folder)
    if config["learner"] != "cql":
        raise CheckpointError(f"{folder} is a {config['learner']} checkpoint, not cql")
    check_world(config, folder, world)
    try:
        hp = CQLConfig(**config["hyperparameters"])
        encoding = Encoding.from_json(config["encoding"])
        n_features, n_actions = int(encoding.n_features), int(config["n_actions"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{folder}: corrupt cql checkpoint ({err})") from err
    # Shapes checked against the file's header before the network is built (weights.py).
    net = load_weights(Path(folder) / WEIGHTS,
                       lambda: mlp(n_features, n_actions, hp.hidden, hp.layers))
    seed = hp.seed if seed is None else seed
    return CQLPolicy(net, encoding, int(config["n_actions"]), seed=seed)


# ---- registry (simulacra.learners.registry): discrete CQL ----------------------------------
from simulacra.learners.registry import (  # noqa: E402  (the spec block closes the file)
    OFFLINE_JOB,
    LearnerSpec,
    check_config,
    config_defaults,
)


def _train(data: Dataset, settings: dict, *, seed: int, knob: float | None, out: Path | None,
           progress: bool = False, data_path: str | None = None) -> CQLPolicy:
    """CQL from a study's or the CLI's settings (it has no knob)."""
    config = CQLConfig(**settings, seed=seed)
    return train_cql(data, config, out=out, progress=progress, data_path=data_path)


SPECS = (
    LearnerSpec(
        "cql", "offline", OFFLINE_JOB, config=CQLConfig,
        defaults=lambda: config_defaults(CQLConfig, ("seed",)),
        check=lambda s: check_config(CQLConfig, s), load=load_policy, train=_train,
        needs_dataset=True,
        doc="discrete conservative Q-learning on the dataset (in a study: evaluated like BC)"),
)
