"""Our DT and Hugging Face's DecisionTransformerModel compute the same loss and gradients from the
same weights (dropout off), which is what makes the training benchmark a like-for-like race."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("transformers")

from simulacra.learners.dt import DecisionTransformer, DTConfig
from simulacra.learners.dt_hf import as_ours, copy_from_hf, hf_model, pairs
from simulacra.learners.dt_train import masked_mse


def batch(B: int = 4, K: int = 6, S: int = 5, A: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([K, K - 2, 1, K])[:B]
    valid = torch.arange(K)[None, :] < lengths[:, None]  # right padding, as our sampler pads
    return {
        "states": torch.randn(B, K, S, generator=g),
        "actions": torch.rand(B, K, A, generator=g) * 2 - 1,
        "rtg": torch.randn(B, K, generator=g) * 3,
        "timesteps": torch.randint(0, 50, (B, K), generator=g) * valid,
        "valid": valid,
    }


def test_same_loss_and_gradients_as_hugging_face():
    torch.manual_seed(0)
    cfg = DTConfig(state_shape=(5,), act_dim=2, discrete=False, hidden=32, n_layer=2, n_head=2,
                   context=6, max_timestep=64, dropout=0.0, return_scale=1.0)
    hf = hf_model(cfg).eval()
    with torch.no_grad():  # HF zero-initialises biases; make every parameter matter
        for p in hf.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    ours = DecisionTransformer(cfg).eval()
    copy_from_hf(ours, hf)
    b = batch()

    out = hf(states=b["states"], actions=b["actions"], rewards=None,
             returns_to_go=b["rtg"][..., None], timesteps=b["timesteps"],
             attention_mask=b["valid"].long(), return_dict=True)
    v = b["valid"]
    loss_hf = ((out.action_preds[v] - b["actions"][v]) ** 2).mean()
    loss_hf.backward()

    for states_only_last in (True, False):
        ours.zero_grad()
        pred = ours(b["rtg"], b["states"], b["actions"], b["timesteps"],
                    states_only_last=states_only_last)
        loss = masked_mse(pred, b["actions"], v)  # what training and the benchmark use
        loss.backward()
        torch.testing.assert_close(loss, loss_hf, rtol=1e-5, atol=1e-6)
        for p, q, how in pairs(ours, hf):
            torch.testing.assert_close(p.grad, as_ours(q.grad, how), rtol=1e-4, atol=1e-6)
