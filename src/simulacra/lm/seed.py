"""What every method of one seed shares: the world's documents, the proxy fitted on comparisons,
the hacking thresholds, and the base LM pretrained on the documents (kept in a folder, so a
resumed run and TRL's reference model load the very same weights)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from simulacra.lm import model as lm_model
from simulacra.lm.config import Study
from simulacra.lm.measure import Context, context
from simulacra.lm.proxy import fit_proxy
from simulacra.lm.vocab import BOS_ID, make_tokenizer, to_lm
from simulacra.lm.world import World, default_world


@dataclass
class Seed:
    seed: int
    study: Study
    world: World
    docs: np.ndarray  # pretraining documents, world ids [n, L]
    ctx: Context
    base: GPT2LMHeadModel
    base_dir: Path

    def rng(self, stream: int) -> np.random.Generator:
        """An independent generator per use (stream), derived from the seed alone."""
        return np.random.default_rng([self.seed, stream])


def prepare(study: Study, seed: int, models: Path) -> Seed:
    torch.set_num_threads(1)  # same seed, same floats: one thread order on every machine
    world = default_world(study["world"]["length"])
    docs = world.sample(study["data"]["documents"], np.random.default_rng([seed, 0]))
    d = study["data"]
    proxy = fit_proxy(world, d["comparisons"], d["l2"], d["temperature"],
                      np.random.default_rng([seed, 1]))
    h = study["hacking"]
    ctx = context(world, proxy, docs, h["proxy_quantile"], h["gold_quantile"])
    base_dir = models / f"seed{seed}" / "base"
    if (base_dir / "config.json").exists():
        base = lm_model.load(base_dir)
    else:
        base = lm_model.new_model(_spec(study), len(world.words), world.length, seed)
        lm_model.train(base, np.full(len(docs), BOS_ID), to_lm(docs), _train(study), seed)
        lm_model.save(base, make_tokenizer(world), base_dir)
    return Seed(seed, study, world, docs, ctx, base, base_dir)


def _spec(study: Study) -> lm_model.ModelSpec:
    return lm_model.ModelSpec(**study["model"])


def _train(study: Study) -> lm_model.TrainSpec:
    return lm_model.TrainSpec(**study["pretrain"])


def new_model(s: Seed) -> GPT2LMHeadModel:
    return lm_model.new_model(_spec(s.study), len(s.world.words), s.world.length, s.seed)


def train_spec(s: Seed) -> lm_model.TrainSpec:
    return _train(s.study)
