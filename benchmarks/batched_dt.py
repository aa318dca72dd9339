"""Training the seeds of one cell together: S Decision Transformers as one batched computation.

`train_seeds(data, cfg, seeds)` gives, for every seed s, the model and losses that
`dt_train.train(data_s, replace(cfg, seed=s))` gives (to float tolerance on CPU), but runs the
S models' steps as one: every weight is stacked along a leading seed dimension, each layer is one
grouped matmul (`torch.baddbmm`) over all seeds, and one AdamW steps the stacked weights.

Measured (benchmarks/dt_batched_seeds.py, its docstring has the table): at one torch thread, the
study's setting (two workers on two cores), it is no faster than one model at a time: 0.85-1.01x
at 5 seeds, 0.79-1.05x over 1, 2, 5 seeds. One model's step is not overhead-bound (its matmuls
are 3,840 rows; grouped they run no faster), and the elementwise work, dropout included (drawing
and applying its masks: about a fifth of a step in a profile), grows with S. It wins only at two
threads on the loaded shared machine (1.3-3.4x), where both sides run 4-17x slower than at one
thread. So nothing in the study calls it: it lives here, beside its benchmark, as the measured
answer to "batch the seeds", outside the package, which keeps one implementation of the DT's
forward (`simulacra.learners.dt`). It is imported by benchmarks/dt_batched_seeds.py and tested by
tests/benchmarks/test_batched_dt.py.

What makes the result seed-for-seed equal to one-at-a-time training, and why it is not a
`torch.func.vmap` over the model's own forward:
- Initialisation: each seed's model is built by `DecisionTransformer` right after
  `torch.manual_seed(s)`, as `train` does, then its weights are stacked.
- Batches: one `Sampler` per seed with `np.random.default_rng(s)`, as `train` makes.
- Dropout: `train` draws every dropout mask from torch's global generator (seeded with s, after
  the init). vmap cannot reproduce that (its "different" randomness draws one [S, ...] tensor from
  one stream), so each seed here has its own generator, started in the state the global one has
  after that seed's init, and draws the same masks with the same calls in the same order as the
  model does (`dt.dropout`'s int16 draws; for attention, the Bernoulli noise of PyTorch's math
  attention, the kernel `scaled_dot_product_attention` runs on CPU when dropout is on). So the
  forward below is the grouped twin of `DecisionTransformer.forward` in training mode; the test
  (tests/benchmarks/test_batched_dt.py) holds the two together, so a change to the DT's forward
  that this copy does not follow fails there.
- Gradient clipping is per seed (each model's own global norm), not over the stack.
- Data: one dataset for all seeds, or one per seed (the study makes each seed its own). Their
  models must have the same shape except the return scale (per seed) and the timestep table,
  which is padded to the longest: a padded row is never looked up, so it gets no gradient and no
  Adam update, and is cut off again when the models are handed back.

Boards and discrete actions only (the gridworld datasets of the study), on CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from simulacra.data.dataset import Dataset
from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.dt_train import (
    Sampler,
    TrainConfig,
    Trajectories,
    make_optimizer,
    model_config,
    resolve_device,
)

TIMESTEPS = "embed_timestep.weight"


class Stack(nn.Module):
    """The S models' parameters, each stacked along a new leading dimension, by name."""

    def __init__(self, models: Sequence[DecisionTransformer]) -> None:
        super().__init__()
        self.names = [n for n, _ in models[0].named_parameters()]
        rows = max(m.cfg.max_timestep for m in models)
        stacked = []
        for name in self.names:
            parts = [dict(m.named_parameters())[name].detach() for m in models]
            if name == TIMESTEPS:  # padded to the longest table; the pad rows are never read
                parts = [F.pad(p, (0, 0, 0, rows - len(p))) for p in parts]
            stacked.append(nn.Parameter(torch.stack(parts).contiguous()))
        self.stacked = nn.ParameterList(stacked)

    def params(self) -> dict[str, Tensor]:
        return dict(zip(self.names, self.stacked, strict=True))

    def unstack(self, models: Sequence[DecisionTransformer]) -> list[DecisionTransformer]:
        """Copy each seed's slice back into its model (the ones stacked); eval mode."""
        with torch.no_grad():
            for s, model in enumerate(models):
                rows = model.cfg.max_timestep
                for name, p in model.named_parameters():
                    trained = self.params()[name][s]
                    p.copy_(trained[:rows] if name == TIMESTEPS else trained)
        return [m.eval() for m in models]


# ---- the grouped forward ------------------------------------------------------------------
def linear(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """x [S, ..., in] through each seed's Linear (w [S, out, in], b [S, out]) as one baddbmm."""
    S = x.shape[0]
    y = torch.baddbmm(b.unsqueeze(1), x.reshape(S, -1, x.shape[-1]), w.transpose(1, 2))
    return y.view(*x.shape[:-1], w.shape[1])


def layer_norm(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """Each seed's LayerNorm (w, b [S, C]) over the last dimension of x [S, ..., C]."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    return torch.addcmul(b.view(shape), F.layer_norm(x, x.shape[-1:]), w.view(shape))


def embedding(idx: Tensor, w: Tensor) -> Tensor:
    """Each seed's Embedding (w [S, rows, C]) at int idx [S, ...]: one lookup in the stacked
    table, so its backward is one dense embedding backward."""
    S, rows = w.shape[:2]
    offset = (torch.arange(S, device=idx.device) * rows).view(S, *[1] * (idx.dim() - 1))
    return F.embedding(idx + offset, w.reshape(S * rows, -1))


def draw_masks(cfg: DTConfig, batch: int, gens: Sequence[torch.Generator]) -> list[Tensor]:
    """The dropout masks of one training step, stacked over seeds: each seed's drawn from its
    generator with the draws `dt.dropout` and the math attention make, in the order the model's
    forward makes them (the token dropout, then per block the attention noise, the projection's
    and the MLP's dropout). Bool "dropped" masks [S, ..] for `dt.dropout`'s sites, and the
    attention's scaled keep noise [S, B, nh, q, 3K]. Drawn into stacked buffers: no copies."""
    p, K, C, nh = cfg.dropout, cfg.context, cfg.hidden, cfg.n_head
    sites = [(True, (batch, 3 * K, C))]
    for i in range(cfg.n_layer):
        q = K if i == cfg.n_layer - 1 else 3 * K  # the last block queries the state tokens only
        sites += [(False, (batch, nh, q, 3 * K)), (True, (batch, q, C)), (True, (batch, q, C))]
    bufs = [torch.empty(len(gens), *shape, dtype=torch.int16 if bits else torch.float32)
            for bits, shape in sites]
    for s, gen in enumerate(gens):
        for (bits, _), buf in zip(sites, bufs, strict=True):
            if bits:  # torch.randint(-32768, 32768, shape, dtype=torch.int16), as dt.dropout
                buf[s].random_(-32768, 32768, generator=gen)
            else:  # the math attention's at::dropout: Bernoulli(1 - p) noise, divided by 1 - p
                buf[s].bernoulli_(1 - p, generator=gen)
    drop = round(p * 65536)
    return [buf < drop - 32768 if bits else buf.div_(1 - p)
            for (bits, _), buf in zip(sites, bufs, strict=True)]


def dropout(x: Tensor, dropped: Tensor | None, p: float) -> Tensor:
    """`dt.dropout` with its mask drawn beforehand (None: no dropout)."""
    if dropped is None:
        return x
    drop = round(p * 65536)
    return (x * (65536.0 / (65536 - drop))).masked_fill_(dropped, 0.0)


def forward(P: dict[str, Tensor], cfg: DTConfig, scales: Tensor, limits: Tensor,
            b: dict[str, Tensor], masks: list[Tensor] | None) -> Tensor:
    """Logits [S, B, K, A] at the state tokens of each seed's batch (entries [S, B, K, ..]),
    `DecisionTransformer.forward` in training mode for all seeds at once. `scales` [S] are the
    return scales, `limits` [S] each seed's last timestep row; `masks` from `draw_masks`,
    stacked over seeds (None: dropout off)."""
    S, B, K = b["timesteps"].shape
    C, nh = cfg.hidden, cfg.n_head
    m = iter(masks) if masks is not None else None

    def drop(x: Tensor) -> Tensor:
        return dropout(x, next(m) if m is not None else None, cfg.dropout)

    # Tokens (R, s, a) per step, as `DecisionTransformer.tokens`.
    rtg = (b["rtg"] / scales.view(S, 1, 1)).unsqueeze(-1).float()  # [S, B, K, 1]
    e_r = linear(rtg, P["embed_return.weight"], P["embed_return.bias"])
    symbols = torch.arange(cfg.n_symbols, dtype=torch.uint8, device=rtg.device)
    one_hot = (b["states"].flatten(-2).unsqueeze(-1) == symbols).flatten(-2)  # [S, B, K, F]
    e_s = (torch.bmm(one_hot.reshape(S, B * K, -1).float(), P["embed_cell.weight"])
           + P["embed_state_bias"].unsqueeze(1)).view(S, B, K, C)
    e_a = embedding(b["actions"], P["embed_action.weight"])
    t = torch.minimum(b["timesteps"], limits.view(S, 1, 1))
    e = torch.stack((e_r, e_s, e_a), dim=3) + embedding(t, P[TIMESTEPS]).unsqueeze(3)
    x = layer_norm(e, P["embed_ln.weight"], P["embed_ln.bias"])
    x = (x + P["token_bias"].view(S, 1, 1, 1, C)).reshape(S, B, 3 * K, C)
    x = drop(x)
    idx, allowed = DecisionTransformer._state_queries(K, x.device)
    causal = torch.ones(3 * K, 3 * K, dtype=torch.bool, device=x.device).tril()
    scale = math.sqrt(1.0 / math.sqrt(C // nh))  # the math attention scales q and k by this
    for i in range(cfg.n_layer):
        w = {k[len(f"blocks.{i}."):]: v for k, v in P.items() if k.startswith(f"blocks.{i}.")}
        q, k, v = linear(layer_norm(x, w["ln_1.weight"], w["ln_1.bias"]),
                         w["qkv.weight"], w["qkv.bias"]).split(C, dim=-1)
        mask = causal
        if i == cfg.n_layer - 1:
            q, x, mask = q[:, :, idx], x[:, :, idx], allowed

        def heads(y: Tensor) -> Tensor:  # [S, B, T, C] -> [S, B, nh, T, hd]
            return y.view(*y.shape[:3], nh, C // nh).transpose(2, 3)

        att = (heads(q) * scale) @ (heads(k).transpose(-2, -1) * scale)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        if m is not None:
            att = att * next(m)
        y = (att @ heads(v)).transpose(2, 3).reshape(x.shape)
        x = x + drop(linear(y, w["proj.weight"], w["proj.bias"]))
        h = linear(layer_norm(x, w["ln_2.weight"], w["ln_2.bias"]), w["fc.weight"], w["fc.bias"])
        h = F.relu(h) if cfg.activation == "relu" else F.gelu(h)
        x = x + drop(linear(h, w["fc_proj.weight"], w["fc_proj.bias"]))
    return linear(layer_norm(x, P["ln_f.weight"], P["ln_f.bias"]), P["head.weight"],
                  P["head.bias"])


def seed_losses(logits: Tensor, b: dict[str, Tensor]) -> Tensor:
    """Each seed's cross-entropy over its real steps (`dt_train.action_loss`), [S]."""
    S, A = logits.shape[0], logits.shape[-1]
    ce = F.cross_entropy(logits.reshape(-1, A), b["actions"].reshape(-1), reduction="none")
    valid = b["valid"].reshape(S, -1)
    return (ce.view(S, -1) * valid).sum(1) / valid.sum(1)


def clip_per_seed(params: Sequence[Tensor], max_norm: float) -> None:
    """`torch.nn.utils.clip_grad_norm_` for each seed's slice of the stacked parameters."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads])  # [P, S]
    coef = (max_norm / (norms.norm(dim=0) + 1e-6)).clamp(max=1.0)  # [S]
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))


# ---- the loop ------------------------------------------------------------------------------
def _as_trajectories(data: Dataset | Trajectories) -> Trajectories:
    return Trajectories.from_dataset(data) if isinstance(data, Dataset) else data


def _cell_config(cfgs: Sequence[DTConfig]) -> DTConfig:
    """The shape all seeds share; refuses models that differ in more than their return scale
    and timestep table."""
    def shape(c: DTConfig) -> DTConfig:
        return replace(c, return_scale=1.0, max_timestep=1)

    if any(shape(c) != shape(cfgs[0]) for c in cfgs):
        raise ValueError("the seeds' datasets give models of different shapes (board, "
                         "alphabet or actions): they cannot be trained as one batch")
    if not cfgs[0].discrete or cfgs[0].n_symbols == 0:
        raise ValueError("batched seed training supports board states and discrete actions")
    return replace(cfgs[0], max_timestep=max(c.max_timestep for c in cfgs))


def train_seeds(data: Dataset | Trajectories | Sequence[Dataset | Trajectories],
                cfg: TrainConfig, seeds: Sequence[int]
                ) -> list[tuple[DecisionTransformer, list[float]]]:
    """Train one model per seed (one dataset for all, or one each) as one batched model; for
    seed s, what `dt_train.train(data_s, replace(cfg, seed=s))` returns (`cfg.seed` is unused).
    torch's global generator is left as it was."""
    seeds = list(seeds)
    datas = ([_as_trajectories(d) for d in data] if isinstance(data, Sequence)
             else [_as_trajectories(data)] * len(seeds))
    if not seeds or len(datas) != len(seeds):
        raise ValueError(f"need one dataset or one per seed: {len(datas)} for {len(seeds)} seeds")
    if any(len(d.starts) < 2 or len(d.timesteps) == 0 for d in datas):
        raise ValueError("cannot train on an empty dataset")
    device = resolve_device(cfg.device)
    if device.type != "cpu":
        raise ValueError("batched seed training runs on CPU (dropout is drawn as there)")
    cfgs = [model_config(d, cfg) for d in datas]
    cell = _cell_config(cfgs)
    models, gens = [], []
    with torch.random.fork_rng(devices=[]):
        for s, c in zip(seeds, cfgs, strict=True):
            torch.manual_seed(s)  # as `train`: init, then dropout, from the seed's stream
            models.append(DecisionTransformer(c))
            gens.append(torch.Generator().manual_seed(0))
            gens[-1].set_state(torch.get_rng_state())
    stack = Stack(models)
    P = stack.params()
    opt, sched = make_optimizer(stack, cfg, device)
    samplers = [Sampler(d, cfg.context, np.random.default_rng(s), cfg.window)
                for d, s in zip(datas, seeds, strict=True)]
    scales = torch.tensor([c.return_scale for c in cfgs], dtype=torch.float32)
    limits = torch.tensor([c.max_timestep - 1 for c in cfgs])
    losses = np.zeros((cfg.steps, len(seeds)))
    bar = None
    if cfg.progress:
        from simulacra.progress_bar import progress_bar

        bar = progress_bar(total=cfg.steps, desc=f"train dt x{len(seeds)}", unit="step")
    t0 = time.perf_counter()
    for step in range(cfg.steps):
        parts = [smp.sample(cfg.batch_size, device) for smp in samplers]
        batch = {k: torch.stack([p[k] for p in parts]) for k in parts[0]}
        masks = None
        if cell.dropout > 0:
            masks = draw_masks(cell, cfg.batch_size, gens)
        per_seed = seed_losses(forward(P, cell, scales, limits, batch, masks), batch)
        opt.zero_grad(set_to_none=True)
        per_seed.sum().backward()  # the seeds share no weight: each gets its own gradient
        clip_per_seed(list(stack.parameters()), cfg.grad_clip)
        opt.step()
        sched.step()
        losses[step] = per_seed.detach().numpy()
        if bar is not None:
            bar.update(1)
            if step % 20 == 0 or step == cfg.steps - 1:
                rate = len(seeds) * (step + 1) / (time.perf_counter() - t0)
                bar.set_postfix(loss=f"{losses[step].mean():.4f}", model_steps_s=f"{rate:,.1f}")
    if bar is not None:
        bar.close()
    return [(model, losses[:, s].tolist())
            for s, model in enumerate(stack.unstack(models))]
