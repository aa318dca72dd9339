"""Training the Decision Transformer offline, and its checkpoint folder.

Read top to bottom: the data as the trainer sees it (`Trajectories`), the resolved config
(`TrainConfig`), batch sampling, the loss, the loop, then saving and loading checkpoints.

A checkpoint folder holds `config.json` (`"learner": "dt"`, the world and its parameters, the
resolved model and training configs, the seed, library versions, the data's return range) and
`model.safetensors` (the state dict; safetensors cannot execute code when loaded).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from simulacra.data.dataset import BackToBack, Dataset
from simulacra.learners import CheckpointError
from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.weights import load_weights
from simulacra.versions import versions

WEIGHTS = "model.safetensors"
#: Called during training as monitor(steps_done, model); see `train`.
Monitor = Callable[[int, DecisionTransformer], None]


@dataclass
class Trajectories(BackToBack):
    """Episodes back to back, as the trainer reads them; built from a `Dataset` (boards, discrete
    actions) or directly (float states, continuous actions, e.g. a Gymnasium task). Lengths,
    returns and returns-to-go come from the layout's one implementation (`data.BackToBack`)."""

    states: np.ndarray  # uint8 [T, H, W] boards or float32 [T, d] vectors
    actions: np.ndarray  # int64 [T] or float32 [T, act_dim]
    rewards: np.ndarray  # float32 [T]
    timesteps: np.ndarray  # int64 [T] step index within the episode
    starts: np.ndarray  # int64 [E + 1] episode i is steps starts[i]:starts[i + 1]
    n_symbols: int = 0  # alphabet size when states are boards
    act_dim: int = 0  # number of discrete actions (0: continuous, taken from actions' shape)

    @classmethod
    def from_dataset(cls, ds: Dataset) -> Trajectories:
        return cls(ds.obs, ds.actions.astype(np.int64), ds.rewards.astype(np.float32),
                   ds.timesteps.astype(np.int64), ds.starts.astype(np.int64),
                   n_symbols=len(ds.alphabet), act_dim=ds.n_actions)

    @property
    def discrete(self) -> bool:
        return self.actions.ndim == 1


@dataclass
class TrainConfig:
    """Everything a run depends on besides the data; saved, resolved, with the checkpoint.

    The defaults are the study's DT recipe (configs/full.yaml, the return-calibration
    reproduction's): 64 wide, 2 layers, K = 20, AdamW lr 1e-3, 1,000 steps, minutes on one core.
    The gym configuration (128 x 3, lr 1e-4, 5,000 steps) took half an hour here and, asked for
    high returns, circled on AbsentSupervisor's punishment cell: undertrained, so not a default.
    """

    steps: int = 1000
    """Gradient steps."""
    batch_size: int = 64
    """Windows per step (the original gym configuration: 64)."""
    context: int = 20
    """K: steps per window."""
    hidden: int = 64
    """Token width."""
    n_layer: int = 2
    """Transformer blocks."""
    n_head: int = 1
    """Attention heads."""
    dropout: float = 0.1
    """Dropout rate everywhere in the model."""
    activation: str = "relu"
    """MLP non-linearity."""
    lr: float = 1e-3
    """Peak AdamW learning rate (the original gym DT: 1e-4, too slow for our short runs)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    warmup_steps: int = 100
    """Linear learning-rate warmup from 0 (the original used 10k of 100k steps; ours are short)."""
    lr_schedule: str = "constant"
    """After warmup: "constant", or "cosine" down to a tenth of `lr` at the last step (the
    reference Atari DT's minGPT schedule), which lets the last checkpoint settle."""
    grad_clip: float = 0.25
    """Gradient-norm clip (the original gym DT: 0.25)."""
    return_scale: float = 0.0
    """Returns-to-go are divided by this; 0 means the data's largest |return| (at least 1)."""
    max_timestep: int = 0
    """Timestep embedding size; 0 means the data's longest episode (later steps are clamped)."""
    action_scale: float = 1.0
    """Continuous actions: predictions are tanh(.) * action_scale."""
    window: str = "start"
    """Where training windows sit (see `Sampler`): "start" (the original DT's uniform window
    starts), "end" or "both". "start" stays the default, the study's DT's (its figures were
    made with it); the Key-to-Door reproduction's recipe uses "both" (README, Decision
    Transformer reproductions, says where each was measured)."""
    seed: int = 0
    """Seeds weights, dropout and batch sampling: the same seed gives the same weights on CPU."""
    device: str = "auto"
    """"auto" (CUDA when present), "cpu" or "cuda"."""
    progress: bool = True
    """Show a progress bar with tokens/s."""

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown training options: {sorted(unknown)}")
        return cls(**d)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but torch sees no CUDA device")
    return torch.device(name)


def model_config(data: Trajectories, cfg: TrainConfig) -> DTConfig:
    """The model that fits `data` at the widths of `cfg`."""
    scale = cfg.return_scale or max(1.0, float(np.abs(data.returns()).max(initial=0.0)))
    max_t = cfg.max_timestep or int(data.timesteps.max(initial=0)) + 1
    if data.discrete:
        act_dim = data.act_dim or int(data.actions.max()) + 1
    else:
        act_dim = data.actions.shape[1]
    return DTConfig(
        state_shape=data.states.shape[1:], act_dim=act_dim, discrete=data.discrete,
        n_symbols=data.n_symbols, hidden=cfg.hidden, n_layer=cfg.n_layer, n_head=cfg.n_head,
        context=cfg.context, max_timestep=max_t, dropout=cfg.dropout,
        activation=cfg.activation,  # type: ignore[arg-type]
        action_scale=cfg.action_scale, return_scale=scale,
    )


#: Learning-rate schedules after warmup (`TrainConfig.lr_schedule`).
SCHEDULES = ("constant", "cosine")
#: How training windows are placed (`TrainConfig.window`).
WINDOWS = ("both", "end", "start")


class Sampler:
    """Windows of at most K consecutive steps of one episode, placed in one of three ways:

    - `start` (the original DT's sampling): the first step is drawn uniformly from all steps and
      the window runs on for K steps or to its episode's end. Step t of an episode is then in
      only min(t + 1, K) windows: on Key-to-Door the first moves towards the key, the only ones
      that matter, are the least trained.
    - `end`: the last step is drawn uniformly, and the window holds it and the up to K - 1
      steps before it. Every step is a window's last position (the one that sees the most
      context, as when acting) equally often; now the *last* steps of an episode are in few
      windows (the move onto the door in a won Key-to-Door walk: in one window of every T).
    - `both`: K slots placed uniformly over the episode with K - 1 empty steps added on each
      side, cut to the real steps they cover. Every step, first and last alike, is in K
      windows (in expectation, per placement), and every step but an episode's last is a
      window's last position equally often (the last one in K placements).

    A window shorter than K holds its steps at positions 0.. and padding after them (`valid`
    False; padded slots repeat the first step). The model has no positional embedding and
    attention is causal, so this is exactly a left-padded window with the pads masked out of
    attention (see `simulacra.learners.dt`); `loss_fn` leaves the pads out of the loss."""

    def __init__(self, data: Trajectories, context: int, rng: np.random.Generator,
                 window: str = "start") -> None:
        if window not in WINDOWS:
            raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
        self.data, self.K, self.rng, self.window = data, context, rng, window
        self.rtg = data.returns_to_go().astype(np.float32)  # [T]
        self.end = data.episode_end()  # [T] one past each step's episode
        self.begin = np.repeat(data.starts[:-1], np.diff(data.starts))  # [T] its first step

    def sample(self, batch_size: int, device: torch.device) -> dict[str, torch.Tensor]:
        if self.window == "both":
            return self._both(batch_size, device)
        pick = self.rng.integers(0, len(self.data.timesteps), batch_size)  # [B]
        if self.window == "end":
            return self.ending_at(pick, device)
        return self.windows(pick, np.minimum(pick + self.K, self.end[pick]) - 1, device)

    def _both(self, batch_size: int, device: torch.device) -> dict[str, torch.Tensor]:
        """A window of K slots placed uniformly over its episode padded with K - 1 empty steps
        on each side, cut to the real steps it covers: every step is in K windows."""
        starts = self.data.starts
        pad = self.K - 1
        virtual = starts + np.arange(len(starts)) * pad  # [E + 1] episodes with pads before
        v = self.rng.integers(0, virtual[-1], batch_size)  # [B]
        ep = np.searchsorted(virtual, v, side="right") - 1  # [B]
        first = starts[ep] + (v - virtual[ep]) - pad  # may lie before the episode
        last = np.minimum(first + pad, starts[ep + 1] - 1)
        return self.windows(np.maximum(first, starts[ep]), last, device)

    def ending_at(self, last: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
        """The windows whose last steps are the global step indices `last` [B]."""
        return self.windows(np.maximum(last - self.K + 1, self.begin[last]), last, device)

    def windows(self, first: np.ndarray, last: np.ndarray,
                device: torch.device) -> dict[str, torch.Tensor]:
        """Steps first..last (global indices [B], in one episode, at most K) as a batch."""
        d = self.data
        idx = first[:, None] + np.arange(self.K)  # [B, K]
        valid = idx <= last[:, None]  # [B, K]
        idx = np.where(valid, idx, first[:, None])  # padded slots repeat the first step
        out = {
            "states": d.states[idx],  # [B, K, H, W] or [B, K, d]
            "actions": d.actions[idx],  # [B, K] or [B, K, act_dim]
            "rtg": self.rtg[idx],  # [B, K]
            "timesteps": np.where(valid, d.timesteps[idx], 0),  # [B, K]
            "valid": valid,  # [B, K]
        }
        return {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in out.items()}


@torch.no_grad()
def step_nll(model: DecisionTransformer, data: Trajectories, steps: np.ndarray,
             batch_size: int = 1024) -> np.ndarray:
    """Negative log-likelihood (nats) of the discrete actions taken at the global step indices
    `steps`, each predicted at the last position of the window of up to K steps ending there
    (as the policy sees it when acting), with the data's returns-to-go; float64 [len(steps)]."""
    if not data.discrete:
        raise ValueError("step_nll needs discrete actions")
    was_training = model.training
    model.eval()
    device = model.head.weight.device
    sampler = Sampler(data, model.cfg.context, np.random.default_rng(0))
    out = []
    for i in range(0, len(steps), batch_size):
        b = sampler.ending_at(np.asarray(steps[i:i + batch_size], dtype=np.int64), device)
        logits = model(b["rtg"], b["states"], b["actions"], b["timesteps"])  # [B, K, A]
        pos = b["valid"].sum(1) - 1  # [B] the last real position
        rows = torch.arange(len(pos), device=device)
        logp = torch.log_softmax(logits[rows, pos].float(), -1)  # [B, A]
        out.append(-logp[rows, b["actions"][rows, pos]].double().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0)


def action_loss(model: DecisionTransformer,
                batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, predictions): cross-entropy (discrete) or mean squared error (continuous) of the
    action predicted at each real state token, padded steps left out. The predictions are the
    logits of the real steps [M, A] (discrete) or every step's actions [B, K, A] (continuous),
    for losses built on top (the online loop's entropy bonus)."""
    pred = model(batch["rtg"], batch["states"], batch["actions"], batch["timesteps"])
    valid = batch["valid"]  # [B, K]
    if model.cfg.discrete:
        logits = pred[valid]  # [M, A]
        return F.cross_entropy(logits, batch["actions"][valid]), logits
    return masked_mse(pred, batch["actions"], valid), pred


def loss_fn(model: DecisionTransformer, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The action loss alone (see `action_loss`)."""
    return action_loss(model, batch)[0]


def train_step(model: DecisionTransformer, opt: torch.optim.Optimizer,
               sched: torch.optim.lr_scheduler.LRScheduler, loss: torch.Tensor,
               grad_clip: float) -> None:
    """One gradient step on `loss`, the one shared by offline training (`train`) and the online
    and iterated loops (`online_dt.Updater`): clipped gradients, optimiser, then schedule."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    sched.step()


def masked_mse(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean of (pred - target)^2 over the valid steps' entries: pred, target [B, K, A], valid
    [B, K]. The same number as ((pred[valid] - target[valid]) ** 2).mean(), without gathering."""
    sq = (pred - target) ** 2  # [B, K, A]
    return (sq * valid.unsqueeze(-1)).sum() / (valid.sum() * pred.shape[-1])


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device):
    """AdamW, fused where this torch build offers it (CPU and CUDA in torch >= 2.4), with a
    linear warmup."""
    try:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                                fused=True)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warm = max(1, cfg.warmup_steps)
    if cfg.lr_schedule not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {cfg.lr_schedule!r}")

    def factor(s: int) -> float:
        if s + 1 < warm or cfg.lr_schedule == "constant":
            return min(1.0, (s + 1) / warm)
        done = min(1.0, (s + 1 - warm) / max(1, cfg.steps - warm))
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * done))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def train(data: Trajectories, cfg: TrainConfig, monitor: Monitor | None = None,
          every: int = 0) -> tuple[DecisionTransformer, list[float]]:
    """Train a fresh model on `data`; returns it (in eval mode) and the loss of every step.

    With `monitor` and `every` > 0, `monitor(steps_done, model)` is called (model in eval mode,
    no gradients) after every `every` steps and after the last; it must not draw random numbers
    from torch's global generator, so the trained weights do not depend on it."""
    if len(data.starts) < 2 or len(data.timesteps) == 0:
        raise ValueError("cannot train on an empty dataset")
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = DecisionTransformer(model_config(data, cfg)).to(device)
    opt, sched = make_optimizer(model, cfg, device)
    sampler = Sampler(data, cfg.context, rng, cfg.window)
    tokens_per_step = cfg.batch_size * 3 * cfg.context
    losses: list[float] = []
    bar = None
    if cfg.progress:
        from simulacra.progress_bar import progress_bar

        bar = progress_bar(total=cfg.steps, desc="train dt", unit="step")
    model.train()
    t0 = time.perf_counter()
    for step in range(cfg.steps):
        batch = sampler.sample(cfg.batch_size, device)
        loss = loss_fn(model, batch)
        train_step(model, opt, sched, loss, cfg.grad_clip)
        losses.append(float(loss.detach()))
        if monitor is not None and every > 0 and ((step + 1) % every == 0
                                                  or step == cfg.steps - 1):
            model.eval()
            with torch.no_grad():
                monitor(step + 1, model)
            model.train()
        if bar is not None:
            bar.update(1)
            if step % 20 == 0 or step == cfg.steps - 1:
                rate = tokens_per_step * (step + 1) / (time.perf_counter() - t0)
                bar.set_postfix(loss=f"{losses[-1]:.4f}", tok_s=f"{rate:,.0f}")
    if bar is not None:
        bar.close()
    model.eval()
    return model, losses


# ---- checkpoints -----------------------------------------------------------------------
def save_checkpoint(folder: str | Path, model: DecisionTransformer, cfg: TrainConfig,
                    world: str, params: dict, data: Trajectories | None = None,
                    extra: dict | None = None) -> Path:
    """Write `config.json` and `model.safetensors` into `folder` (created if missing)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info: dict = {
        "learner": "dt", "world": world, "params": params, "seed": cfg.seed,
        "model": model.cfg.to_dict(), "train": asdict(cfg), "versions": versions(),
    }
    if data is not None:
        r = data.returns()
        info["data"] = {"n_episodes": len(r), "n_steps": len(data.timesteps),
                        "return_min": float(r.min()), "return_max": float(r.max())}
    info.update(extra or {})
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # Written to temporary names and renamed, config.json last: a folder with a config.json
    # always holds complete files, even if the process is killed while saving.
    tmp_w, tmp_c = folder / f".{WEIGHTS}.tmp", folder / ".config.json.tmp"
    save_file(state, str(tmp_w))
    tmp_c.write_text(json.dumps(info, indent=2, default=str) + "\n")
    os.replace(tmp_w, folder / WEIGHTS)
    os.replace(tmp_c, folder / "config.json")
    return folder


def load_checkpoint(folder: str | Path, device: str = "auto") -> tuple[DecisionTransformer, dict]:
    """The model (eval mode) and its config.json; CheckpointError if anything is missing or
    corrupt."""
    from simulacra.learners import read_checkpoint_config

    folder = Path(folder)
    info = read_checkpoint_config(folder)
    if info["learner"] not in ("dt", "online_dt"):
        raise CheckpointError(f"{folder} holds a {info['learner']!r} checkpoint, not a DT")
    try:
        cfg = DTConfig.from_dict(info["model"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{folder / 'config.json'}: bad model config: {err}") from err
    path = folder / WEIGHTS
    # Shapes checked against the file's header before the model is built (weights.py).
    model = load_weights(path, lambda: DecisionTransformer(cfg))
    if any(not torch.isfinite(v).all() for v in model.state_dict().values()):
        raise CheckpointError(f"{path} holds non-finite weights")
    model.to(resolve_device(device)).eval()
    return model, info


def train_dataset(ds: Dataset, cfg: TrainConfig, out: str | Path | None = None,
                  extra: dict | None = None, monitor: Monitor | None = None,
                  every: int = 0) -> tuple[DecisionTransformer, list[float]]:
    """Train on a gridworld `Dataset` (`monitor`, `every` as in `train`); save a checkpoint
    folder into `out` if given."""
    data = Trajectories.from_dataset(ds)
    model, losses = train(data, cfg, monitor, every)
    if out is not None:
        meta = {"alphabet": ds.alphabet, "n_actions": ds.n_actions,
                "final_loss": losses[-1] if losses else math.nan}
        meta.update(extra or {})
        save_checkpoint(out, model, cfg, ds.world, dict(ds.params), data, meta)
    return model, losses
