"""The LM's tokenizer: one token per world word, plus specials and reward-bucket tokens.

Built with `tokenizers` (a WordLevel model over whitespace-split words) and wrapped in
`PreTrainedTokenizerFast`, so nothing is downloaded. The ids are laid out by hand: specials
first, then the world's words in order, so a world word id is `lm id − len(SPECIALS)` and every
special a model writes into a text maps to world.UNKNOWN (an impossible text).
"""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import WhitespaceSplit
from transformers import PreTrainedTokenizerFast

from simulacra.lm.world import UNKNOWN, World

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
MAX_BUCKETS = 8  # reward-bucket tokens <q0>..<q7>, in every vocabulary so all models share it
BUCKETS = tuple(f"<q{i}>" for i in range(MAX_BUCKETS))
SPECIALS = (PAD, BOS, EOS, UNK, *BUCKETS)


def make_tokenizer(world: World) -> PreTrainedTokenizerFast:
    vocab = {t: i for i, t in enumerate((*SPECIALS, *world.words))}
    tok = Tokenizer(WordLevel(vocab=vocab, unk_token=UNK))
    tok.pre_tokenizer = WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, bos_token=BOS,
                                   eos_token=EOS, unk_token=UNK,
                                   additional_special_tokens=list(BUCKETS))


def bucket_id(b: int) -> int:
    if not 0 <= b < MAX_BUCKETS:
        raise ValueError(f"bucket {b} outside 0..{MAX_BUCKETS - 1}")
    return SPECIALS.index(BUCKETS[b])


BOS_ID = SPECIALS.index(BOS)
PAD_ID = SPECIALS.index(PAD)
EOS_ID = SPECIALS.index(EOS)


def to_lm(docs: np.ndarray) -> np.ndarray:
    return np.asarray(docs) + len(SPECIALS)


def to_world(ids: np.ndarray) -> np.ndarray:
    """LM ids -> world ids; specials become UNKNOWN (no state emits them)."""
    w = np.asarray(ids) - len(SPECIALS)
    return np.where(w >= 0, w, UNKNOWN)
