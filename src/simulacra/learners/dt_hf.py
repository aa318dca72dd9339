"""Hugging Face's `DecisionTransformerModel` as a peer: the same network, parameter for parameter.

Used by the training benchmark and the equivalence test only; `transformers` is imported lazily
and is not a dependency of simulacra (it is in the `bench` extra).

Correspondence (HF GPT-2 `Conv1D` stores weights as [in, out], our `nn.Linear` as [out, in]):
    embed_timestep / embed_return / embed_state / embed_action / embed_ln   same names
    encoder.wpe.weight[0]     -> token_bias   (HF adds position 0's embedding to every token)
    encoder.h[i].ln_1, ln_2   -> blocks[i].ln_1, ln_2
    encoder.h[i].attn.c_attn  -> blocks[i].qkv          (transposed)
    encoder.h[i].attn.c_proj  -> blocks[i].proj         (transposed)
    encoder.h[i].mlp.c_fc     -> blocks[i].fc           (transposed)
    encoder.h[i].mlp.c_proj   -> blocks[i].fc_proj      (transposed)
    encoder.ln_f              -> ln_f
    predict_action[0]         -> head
HF's `wte`, `predict_state` and `predict_return` feed nothing in the action loss.
"""

from __future__ import annotations

import torch

from simulacra.learners.dt import DecisionTransformer, DTConfig

_BLOCK = {"ln_1": "ln_1", "ln_2": "ln_2", "attn.c_attn": "qkv", "attn.c_proj": "proj",
          "mlp.c_fc": "fc", "mlp.c_proj": "fc_proj"}


def hf_model(cfg: DTConfig):
    """The HF model with our config's widths, dropout and activation (continuous vectors only)."""
    from transformers import DecisionTransformerConfig, DecisionTransformerModel

    if cfg.discrete or cfg.n_symbols:
        raise ValueError("the HF peer takes float states and continuous actions")
    hf_cfg = DecisionTransformerConfig(
        state_dim=cfg.state_shape[0], act_dim=cfg.act_dim, hidden_size=cfg.hidden,
        n_layer=cfg.n_layer, n_head=cfg.n_head, n_inner=4 * cfg.hidden,
        activation_function=cfg.activation, max_ep_len=cfg.max_timestep,
        resid_pdrop=cfg.dropout, embd_pdrop=cfg.dropout, attn_pdrop=cfg.dropout,
        action_tanh=cfg.action_tanh, layer_norm_epsilon=1e-5,
    )
    return DecisionTransformerModel(hf_cfg)


def pairs(ours: DecisionTransformer, hf) -> list[tuple[torch.Tensor, torch.Tensor, str]]:
    """(our parameter, HF tensor view, how) for every parameter of ours; how is "same",
    "transpose" or "row0" (the first row of HF's position table)."""
    out = []
    named = dict(hf.named_parameters())
    for name, p in ours.named_parameters():
        if name == "token_bias":
            out.append((p, named["encoder.wpe.weight"], "row0"))
            continue
        if name.startswith("blocks."):
            _, i, rest = name.split(".", 2)
            mod, leaf = rest.rsplit(".", 1)
            hf_mod = next(k for k, v in _BLOCK.items() if v == mod)
            hf_name = f"encoder.h.{i}.{hf_mod}.{leaf}"
            how = "transpose" if leaf == "weight" and not mod.startswith("ln") else "same"
            out.append((p, named[hf_name], how))
            continue
        hf_name = {"ln_f.weight": "encoder.ln_f.weight", "ln_f.bias": "encoder.ln_f.bias",
                   "head.weight": "predict_action.0.weight",
                   "head.bias": "predict_action.0.bias"}.get(name, name)
        out.append((p, named[hf_name], "same"))
    return out


def as_ours(t: torch.Tensor, how: str) -> torch.Tensor:
    if how == "transpose":
        return t.t()
    if how == "row0":
        return t[0]
    return t


@torch.no_grad()
def copy_from_hf(ours: DecisionTransformer, hf) -> None:
    """Give `ours` exactly HF's weights."""
    for p, q, how in pairs(ours, hf):
        p.copy_(as_ours(q, how))
