"""DT training throughput: our Decision Transformer vs Hugging Face's DecisionTransformerModel.

Both sides train the original gym configuration (Chen et al. 2021: hidden 128, 3 layers, 1 head,
K = 20, batch 64, dropout 0.1, ReLU, AdamW lr 1e-4 wd 1e-4, warmup, grad clip 0.25) on the same
batches (Hopper-sized: 11-dim states, 3-dim actions, windows right-padded where an episode ends)
with the same loss (MSE of the predicted actions at real steps). The networks compute the same
function from the same weights (tests/learners/test_dt_equivalence.py). What differs is how:
our model skips the queries and MLP of non-state tokens in the last block (the loss reads only
state tokens), uses a fused AdamW and a cheaper dropout mask; HF runs its stock code path with
its default attention implementation and `torch.optim.AdamW` as the original trainer did.

Timing alternates rounds between the two sides, so that load on a shared machine hits both.

    .venv/bin/python benchmarks/dt_training.py [--rounds 15 --steps 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.dt_hf import copy_from_hf, hf_model
from simulacra.learners.dt_train import TrainConfig, make_optimizer, masked_mse

B, K, STATE, ACT = 64, 20, 11, 3


def batches(n: int, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        lengths = torch.where(torch.rand(B, generator=g) < 0.2,
                              torch.randint(1, K, (B,), generator=g), torch.full((B,), K))
        valid = torch.arange(K)[None, :] < lengths[:, None]  # [B, K]
        start = torch.randint(0, 980, (B, 1), generator=g)
        out.append({
            "states": torch.randn(B, K, STATE, generator=g),
            "actions": torch.rand(B, K, ACT, generator=g) * 2 - 1,
            "rtg": torch.rand(B, K, generator=g) * 3600 / 1000,  # already scaled, as in the paper
            "timesteps": (start + torch.arange(K)) * valid,
            "valid": valid,
        })
    return out


def ours_step(model, opt, sched, b) -> float:
    pred = model(b["rtg"], b["states"], b["actions"], b["timesteps"])
    loss = masked_mse(pred, b["actions"], b["valid"])  # the same number as HF's loss below
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    opt.step()
    sched.step()
    return float(loss.detach())


def hf_step(model, opt, sched, b) -> float:
    out = model(states=b["states"], actions=b["actions"], rewards=None,
                returns_to_go=b["rtg"][..., None], timesteps=b["timesteps"],
                attention_mask=b["valid"].long(), return_dict=True)
    v = b["valid"]
    loss = ((out.action_preds[v] - b["actions"][v]) ** 2).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    opt.step()
    sched.step()
    return float(loss.detach())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=2, help="steps per side per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    cfg = DTConfig(state_shape=(STATE,), act_dim=ACT, discrete=False, hidden=128, n_layer=3,
                   n_head=1, context=K, max_timestep=1000, dropout=0.1)
    hf = hf_model(cfg).train()
    ours = DecisionTransformer(cfg).train()
    copy_from_hf(ours, hf)  # same starting weights
    tc = TrainConfig(lr=1e-4, weight_decay=1e-4, warmup_steps=100)
    ours_opt, ours_sched = make_optimizer(ours, tc, torch.device("cpu"))
    hf_opt = torch.optim.AdamW(hf.parameters(), lr=1e-4, weight_decay=1e-4)
    hf_sched = torch.optim.lr_scheduler.LambdaLR(hf_opt, lambda s: min(1.0, (s + 1) / 100))
    data = batches(8)

    sides = {"huggingface": (hf, hf_opt, hf_sched, hf_step),
             "simulacra": (ours, ours_opt, ours_sched, ours_step)}
    for model, opt, sched, step in sides.values():  # warm-up
        for b in data[:2]:
            step(model, opt, sched, b)
    secs = {k: [] for k in sides}
    losses = {k: [] for k in sides}
    i = 0
    for _ in range(args.rounds):
        for name, (model, opt, sched, step) in sides.items():
            t0 = time.perf_counter()
            for j in range(args.steps):
                losses[name].append(step(model, opt, sched, data[(i + j) % len(data)]))
            secs[name].append(time.perf_counter() - t0)
        i += args.steps
    tokens = B * 3 * K * args.steps * args.rounds
    rate = {k: tokens / sum(v) for k, v in secs.items()}
    ratio = rate["simulacra"] / rate["huggingface"]
    per_round = [h / o for h, o in zip(secs["huggingface"], secs["simulacra"], strict=True)]
    result = {
        "config": {"hidden": 128, "n_layer": 3, "n_head": 1, "context": K, "batch": B,
                   "dropout": 0.1, "threads": args.threads, "steps": args.steps * args.rounds,
                   "hf_attention": hf.config._attn_implementation, "torch": torch.__version__},
        "tokens_per_s": {k: round(v, 1) for k, v in rate.items()},
        "final_loss": {k: round(float(np.mean(v[-5:])), 4) for k, v in losses.items()},
        "train_ratio": round(ratio, 3),
        "per_round_ratio": [round(r, 3) for r in per_round],
        "median_round_ratio": round(float(np.median(per_round)), 3),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"DT training, CPU, {args.threads} threads, batch {B}, K {K}, 128 x 3 layers, "
          f"{args.rounds} x {args.steps} steps per side")
    print(f"{'side':<14}{'tokens/s':>12}{'loss (last 5)':>16}")
    for k in sides:
        print(f"{k:<14}{rate[k]:>12,.0f}{result['final_loss'][k]:>16.4f}")
    print(f"train_ratio (simulacra / huggingface): {ratio:.2f}x; median of rounds "
          f"{np.median(per_round):.2f}x (per round: {', '.join(f'{r:.2f}' for r in per_round)})")


if __name__ == "__main__":
    main()
