"""RL fine-tuning against the proxy with a KL penalty to the base: TRL's GRPOTrainer.

TRL does the whole optimisation (group-relative advantages, the k3 KL estimate to a reference
model it rebuilds from the base's folder, AdamW). Written here only what TRL cannot know: the
reward function (the proxy on the completion's token ids, so a special token the model writes is
scored as the unknown word it is, not silently dropped by decoding), fixed-length completions
(`min_new_tokens`, as the world's documents have one length) and a callback that hands the model
to the caller at the checkpoints the study measures.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulacra.lm.proxy import Proxy
from simulacra.lm.vocab import BOS, to_world
from simulacra.lm.world import UNKNOWN, World


@dataclass(frozen=True)
class RLSpec:
    steps: int = 200
    checkpoints: tuple[int, ...] = (25, 50, 100, 200)
    lr: float = 1e-3
    batch: int = 32  # completions per step
    group: int = 8  # completions per prompt (GRPO's group)


def proxy_reward(world: World, proxy: Proxy) -> Callable[..., list[float]]:
    def reward(prompts: Sequence[str], completions: Sequence[str],
               completion_ids: Sequence[Sequence[int]], **_: object) -> list[float]:
        docs = np.full((len(completion_ids), world.length), UNKNOWN, dtype=np.int64)
        for i, ids in enumerate(completion_ids):
            w = to_world(np.asarray(ids[: world.length], dtype=np.int64))
            docs[i, : len(w)] = w
        return [float(r) for r in proxy.score(world, docs)]

    return reward


def train_rl(base: Path, world: World, proxy: Proxy, beta: float, spec: RLSpec, seed: int,
             on_checkpoint: Callable[[int, object], None]) -> None:
    """GRPO from the base model in folder `base`; `on_checkpoint(step, model)` at each checkpoint
    (by then batch × step proxy calls have been made)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    logging.getLogger("transformers").setLevel(logging.ERROR)
    marks = sorted(set(spec.checkpoints))

    class Checkpoints(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):  # type: ignore[no-untyped-def]
            if state.global_step in marks:
                was = model.training
                model.eval()
                on_checkpoint(state.global_step, model)
                model.train(was)

    tokenizer = PreTrainedTokenizerFast.from_pretrained(base)
    rows = Dataset.from_dict({"prompt": [BOS] * (spec.steps * spec.batch // spec.group + 1)})
    with tempfile.TemporaryDirectory() as tmp:
        args = GRPOConfig(
            output_dir=tmp, per_device_train_batch_size=spec.batch, num_generations=spec.group,
            max_completion_length=world.length, generation_kwargs={"min_new_tokens": world.length},
            beta=beta, learning_rate=spec.lr, max_steps=spec.steps, temperature=1.0, top_k=0,
            top_p=1.0, use_cpu=True, seed=seed, data_seed=seed, save_strategy="no",
            report_to="none", logging_steps=max(1, spec.steps), disable_tqdm=True,
            dataloader_num_workers=0,
        )
        trainer = GRPOTrainer(model=str(base), reward_funcs=proxy_reward(world, proxy), args=args,
                              train_dataset=rows, processing_class=tokenizer,
                              callbacks=[Checkpoints()])
        # the Trainer prints its logs to stdout, which carries `--json`: send them to stderr
        with contextlib.redirect_stdout(sys.stderr):
            trainer.train()
