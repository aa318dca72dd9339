"""The model: shapes, causal masking, the last-block shortcut, and the KV cache."""

from __future__ import annotations

import pytest
import torch

from simulacra.learners.dt import DecisionTransformer, DTConfig, dropout


def board_model(**kw) -> DecisionTransformer:
    torch.manual_seed(0)
    cfg = DTConfig(state_shape=(3, 4), act_dim=4, n_symbols=5, hidden=32, n_layer=2, n_head=2,
                   context=6, max_timestep=50, dropout=0.0, return_scale=10.0, **kw)
    return DecisionTransformer(cfg).eval()


def board_batch(B: int = 3, K: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, K, generator=g) * 10,  # rtg
            torch.randint(0, 5, (B, K, 3, 4), generator=g).to(torch.uint8),  # boards
            torch.randint(0, 4, (B, K), generator=g),  # actions
            torch.randint(0, 50, (B, K), generator=g))  # timesteps


def test_shapes_discrete_and_continuous():
    m = board_model()
    assert m(*board_batch()).shape == (3, 6, 4)
    torch.manual_seed(0)
    c = DecisionTransformer(DTConfig(state_shape=(3,), act_dim=2, discrete=False, hidden=16,
                                     n_layer=1, context=4, action_scale=2.0)).eval()
    out = c(torch.zeros(5, 4), torch.randn(5, 4, 3), torch.randn(5, 4, 2),
            torch.zeros(5, 4, dtype=torch.long))
    assert out.shape == (5, 4, 2)
    assert out.abs().max() <= 2.0  # tanh * action_scale


def test_board_encoder_is_a_linear_map_of_the_one_hot_board():
    m = board_model()
    _, boards, _, _ = board_batch()
    one_hot = torch.nn.functional.one_hot(boards.long(), 5).flatten(-3).float()  # [B, K, 60]
    weight = m.embed_cell.weight  # [60, C] rows ordered (cell, symbol)
    expected = one_hot @ weight + m.embed_state_bias
    torch.testing.assert_close(m.embed_states(boards), expected)


@pytest.mark.parametrize("states_only_last", [True, False])
def test_future_tokens_do_not_change_earlier_predictions(states_only_last):
    m = board_model()
    rtg, s, a, t = board_batch()
    base = m(rtg, s, a, t, states_only_last=states_only_last)
    rtg2, s2, a2, t2 = rtg.clone(), s.clone(), a.clone(), t.clone()
    rtg2[:, 4:] += 100.0
    s2[:, 4:] = (s2[:, 4:] + 1) % 5
    a2[:, 3:] = (a2[:, 3:] + 1) % 4  # a_3 comes after s_3, so the prediction at s_3 ignores it
    t2[:, 4:] = 0
    out = m(rtg2, s2, a2, t2, states_only_last=states_only_last)
    torch.testing.assert_close(out[:, :4], base[:, :4])
    assert not torch.allclose(out[:, 4:], base[:, 4:])  # and the later ones do change


def test_prediction_at_a_state_depends_on_its_return_and_earlier_actions():
    m = board_model()
    rtg, s, a, t = board_batch()
    base = m(rtg, s, a, t)
    rtg2 = rtg.clone()
    rtg2[:, 2] += 50.0
    assert not torch.allclose(m(rtg2, s, a, t)[:, 2], base[:, 2])
    a2 = a.clone()
    a2[:, 1] = (a2[:, 1] + 1) % 4
    assert not torch.allclose(m(rtg, s, a2, t)[:, 2], base[:, 2])


def test_last_block_shortcut_gives_the_full_computation():
    m = board_model()
    batch = board_batch()
    torch.testing.assert_close(m(*batch, states_only_last=True),
                               m(*batch, states_only_last=False), rtol=1e-5, atol=1e-6)


def test_kv_cache_matches_full_re_encode():
    """Feeding the tokens a few at a time through the cache gives the full forward's outputs."""
    m = board_model()
    rtg, s, a, t = board_batch(B=2)
    full = m(rtg, s, a, t)  # [2, 6, 4]
    with torch.no_grad():
        tok = m.tokens(rtg, s, a, t).reshape(2, 18, -1)  # [B, 3K, C]
        cache = m.new_cache(2, 18)
        pos, outs = 0, []
        for step in range(6):  # add (a_{k-1}, R_k, s_k), read the prediction at s_k
            lo = 0 if step == 0 else 3 * step - 1
            hi = 3 * step + 2
            outs.append(m.action_out(m.forward_cached(tok[:, lo:hi], cache, pos)))
            pos = hi
    torch.testing.assert_close(torch.stack(outs, 1), full, rtol=1e-5, atol=1e-5)


def test_dropout_keeps_the_rate_and_the_mean():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    y = dropout(x, 0.1, training=True)
    assert abs(float((y == 0).float().mean()) - 0.1) < 0.005
    assert abs(float(y.mean()) - 1.0) < 0.01
    assert torch.equal(dropout(x, 0.1, training=False), x)


def test_config_round_trip_and_validation():
    m = board_model()
    d = m.cfg.to_dict()
    assert DTConfig.from_dict(d) == m.cfg
    with pytest.raises(ValueError, match="divisible"):
        DTConfig(state_shape=(2,), act_dim=2, hidden=30, n_head=4)
    with pytest.raises(ValueError, match="unknown"):
        DTConfig.from_dict({**d, "bogus": 1})
