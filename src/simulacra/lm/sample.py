"""Sampling documents from an LM and scoring documents under it.

Sampling is plain ancestral sampling at temperature 1 (no top-k / top-p: the simulator claim and
the KL estimates are about the model's own distribution), exactly `length` new tokens per text.
Any token but <eos> may be drawn, specials included: a special in a text makes it impossible in
the world. <eos> is masked (as TRL's `min_new_tokens` masks it in RL), so every model is sampled
and scored on the same fixed-length texts and its KL to the base is over one space.
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from simulacra.lm.vocab import EOS_ID

BATCH = 1024


@torch.no_grad()
def sample(model: GPT2LMHeadModel, prompt: int, n: int, length: int, seed: int) -> np.ndarray:
    """n texts [n, length] of LM ids after the one-token prompt."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, n, BATCH):
        m = min(BATCH, n - start)
        ids = torch.full((m, 1), prompt, dtype=torch.long)
        for _ in range(length):
            # no KV cache: texts are a dozen tokens, and a full forward pass is as fast here
            logits = model(input_ids=ids, use_cache=False).logits[:, -1].double()
            logits[:, EOS_ID] = -torch.inf
            probs = torch.softmax(logits, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen)
            ids = torch.cat([ids, nxt], dim=1)
        out.append(ids[:, 1:].numpy())
    return np.concatenate(out) if out else np.zeros((0, length), dtype=np.int64)


@torch.no_grad()
def log_prob(model: GPT2LMHeadModel, prompt: int, texts: np.ndarray) -> np.ndarray:
    """log π(text | prompt) of each text [n, L] of LM ids."""
    out = []
    for start in range(0, len(texts), BATCH):
        t = torch.as_tensor(texts[start : start + BATCH], dtype=torch.long)
        seqs = torch.cat([torch.full((len(t), 1), prompt, dtype=torch.long), t], dim=1)
        logits = model(input_ids=seqs, use_cache=False).logits[:, :-1].double()
        logits[:, :, EOS_ID] = -torch.inf
        logp = torch.log_softmax(logits, dim=-1)
        out.append(logp.gather(2, t[:, :, None])[:, :, 0].sum(dim=1).numpy())
    return np.concatenate(out) if out else np.zeros(0)
