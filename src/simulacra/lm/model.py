"""A small causal LM from scratch (transformers' GPT2LMHeadModel, a fresh config: nothing is
downloaded), its pretraining loop, and saving / loading it as a folder.

Pretraining is a plain next-token loop written here: each sequence is one prompt token (<bos>, or
a reward-bucket token for conditional training) followed by a document, and the loss is on the
document's words. TRL's SFTTrainer could run it too, but it would bring a datasets round trip and
a Trainer per call for a loop of a dozen lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from simulacra.lm.vocab import BOS_ID, EOS_ID, PAD_ID, SPECIALS


@dataclass(frozen=True)
class ModelSpec:
    width: int = 64
    layers: int = 2
    heads: int = 4


@dataclass(frozen=True)
class TrainSpec:
    epochs: float = 2.0
    batch: int = 64
    lr: float = 3e-3


def new_model(spec: ModelSpec, n_words: int, length: int, seed: int) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    cfg = GPT2Config(vocab_size=len(SPECIALS) + n_words, n_positions=length + 1,
                     n_embd=spec.width, n_layer=spec.layers, n_head=spec.heads,
                     bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(cfg)
    model.generation_config.pad_token_id = PAD_ID
    return model


def train(model: GPT2LMHeadModel, prompts: np.ndarray, docs: np.ndarray, spec: TrainSpec,
          seed: int) -> float:
    """Fit `model` on sequences [prompt, doc...] (prompts [n], docs [n, L] of LM ids); returns the
    last epoch's mean loss. Same seed, same weights (CPU)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    seqs = torch.as_tensor(np.concatenate([prompts[:, None], docs], axis=1), dtype=torch.long)
    labels = seqs.clone()
    labels[:, 0] = -100  # the prompt token is given, not predicted
    opt = torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=0.0)
    steps = max(1, round(spec.epochs * len(seqs) / spec.batch))
    model.train()
    losses: list[float] = []
    for _ in range(steps):
        idx = torch.randint(len(seqs), (spec.batch,), generator=gen)
        loss = model(input_ids=seqs[idx], labels=labels[idx], use_cache=False).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    model.eval()
    tail = losses[-max(1, len(losses) // max(1, int(spec.epochs))):]
    return float(np.mean(tail))


def save(model: GPT2LMHeadModel, tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def load(folder: Path) -> GPT2LMHeadModel:
    model = GPT2LMHeadModel.from_pretrained(folder)
    model.eval()
    return model
