"""The Decision Transformer (Chen et al. 2021): a GPT over (return-to-go, state, action) tokens.

Token layout, for a context of K steps (the picture every DT user asks for):

    step:        0                 1                       K-1
    tokens:   R_0  s_0  a_0    R_1  s_1  a_1    ...    R_{K-1} s_{K-1} a_{K-1}
    index:     0    1    2      3    4    5            3K-3    3K-2    3K-1
    time emb: t_0  t_0  t_0    t_1  t_1  t_1    ...    (the same timestep added to all three)
    predicts:  -   a_0   -      -   a_1   -               -   a_{K-1}    -

Attention is causal over the 3K tokens, so the output at s_t has seen R_<=t, s_<=t, a_<t and is
read out as the prediction of a_t. Nothing else is predicted (the paper's state and return heads
are unused, so they are not built). There is no positional embedding: where a token sits in the
window is given only by its step's timestep embedding (plus one learned bias shared by every token,
the position-0 embedding Hugging Face's port adds; kept so the two models share the same math).

Padding: windows shorter than K (near an episode's end) are padded on the right. Under a causal
mask a real token never sees a later padded one, so no padding mask is needed in attention; padded
positions are only excluded from the loss (`valid` in `dt_train`). Real tokens therefore get exactly
the values they would get with left padding and a key mask (the original code's layout).

States: boards (uint8 [H, W] symbol indices) are encoded as a linear map of their flat one-hot
encoding (one matmul; the table is an `nn.Embedding` whose row cell * n_symbols + symbol is that
feature's weight column); continuous states are float vectors through a linear layer.
Actions: discrete actions are an embedding in and logits out (cross-entropy); continuous actions
are a linear layer in and tanh(linear) * action_scale out (mean squared error).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: The longest context a model may declare. The acting cache holds 3 * context tokens per episode
#: played at once, and no weight's shape depends on it, so a checkpoint's weights file cannot
#: bound it; the longest episodes here (Pendulum: 200 steps) are far below.
MAX_CONTEXT = 4096


@dataclass
class DTConfig:
    """The model's shape; saved with every checkpoint and enough to rebuild the network."""

    state_shape: tuple[int, ...]
    """Board (H, W) when `n_symbols` > 0, else the length of a state vector, as (d,)."""
    act_dim: int
    """Number of discrete actions, or the size of a continuous action vector."""
    discrete: bool = True
    """Categorical actions (cross-entropy) if True, continuous (MSE) otherwise."""
    n_symbols: int = 0
    """Size of a board's alphabet; 0 means states are float vectors."""
    hidden: int = 128
    """Width of every token (the original gym configuration: 128)."""
    n_layer: int = 3
    """Transformer blocks."""
    n_head: int = 1
    """Attention heads per block."""
    context: int = 20
    """K: steps in the window the model attends over (3K tokens)."""
    max_timestep: int = 1000
    """Size of the timestep embedding table; later timesteps are clamped to the last entry."""
    dropout: float = 0.1
    """Rate of every dropout (embeddings, attention weights, residual branches)."""
    activation: Literal["relu", "gelu"] = "relu"
    """MLP non-linearity (the original DT used ReLU)."""
    action_tanh: bool = True
    """Continuous actions only: squash predictions with tanh (then scale by `action_scale`)."""
    action_scale: float = 1.0
    """Continuous actions only: the action bound (Pendulum: 2)."""
    return_scale: float = 1.0
    """Returns-to-go are divided by this before embedding (keeps inputs near unit size)."""
    extra: dict[str, object] = field(default_factory=dict)
    """Free-form notes (not used by the model)."""

    def __post_init__(self) -> None:
        self.state_shape = tuple(int(d) for d in self.state_shape)
        if self.hidden % self.n_head:
            raise ValueError(f"hidden {self.hidden} is not divisible by n_head {self.n_head}")
        if self.context < 1 or self.max_timestep < 1:
            raise ValueError("context and max_timestep must be positive")
        if self.context > MAX_CONTEXT:  # no weight has its size, so the weights cannot bound it
            raise ValueError(f"context {self.context} is above the limit of {MAX_CONTEXT} steps")
        if self.activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be relu or gelu, got {self.activation!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["state_shape"] = list(self.state_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DTConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown DTConfig fields: {sorted(unknown)}")
        return cls(**d)


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout from an int16 random mask: the same distribution as F.dropout (keep with
    probability 1 - p, scale by 1 / (1 - p)), but drawing 16-bit integers instead of Bernoulli
    floats is cheaper on CPU. p is rounded to 1/65536 (0.1 -> 0.100006)."""
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu":
        return F.dropout(x, p, True)
    drop = round(p * 65536)
    bits = torch.randint(-32768, 32768, x.shape, dtype=torch.int16, device=x.device)
    return (x * (65536.0 / (65536 - drop))).masked_fill_(bits < drop - 32768, 0.0)


class Block(nn.Module):
    """Pre-LayerNorm GPT-2 block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: DTConfig) -> None:
        super().__init__()
        h = cfg.hidden
        self.n_head, self.p = cfg.n_head, cfg.dropout
        self.ln_1 = nn.LayerNorm(h)
        self.qkv = nn.Linear(h, 3 * h)
        self.proj = nn.Linear(h, h)
        self.ln_2 = nn.LayerNorm(h)
        self.fc = nn.Linear(h, 4 * h)
        self.fc_proj = nn.Linear(4 * h, h)
        self.act = nn.ReLU() if cfg.activation == "relu" else nn.GELU()

    def heads(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        return x.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # [B, nh, T, hd]

    def mlp(self, x: Tensor) -> Tensor:
        y = self.fc_proj(self.act(self.fc(self.ln_2(x))))
        return x + dropout(y, self.p, self.training)

    def forward(self, x: Tensor, query_idx: Tensor | None = None,
                mask: Tensor | None = None) -> Tensor:
        """x [B, T, C] -> [B, T, C]; or, given `query_idx` [Q] and `mask` bool [Q, T] (True =
        attend), only those tokens' outputs [B, Q, C] (the rest cost keys and values only)."""
        B, _, C = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(C, dim=2)  # 3 x [B, T, C]
        if query_idx is not None:
            q, x = q[:, query_idx], x[:, query_idx]  # [B, Q, C]
        p = self.p if self.training else 0.0
        y = F.scaled_dot_product_attention(
            self.heads(q), self.heads(k), self.heads(v), attn_mask=mask, dropout_p=p,
            is_causal=mask is None,
        )  # [B, nh, Q or T, hd]
        y = y.transpose(1, 2).reshape(B, -1, C)
        x = x + dropout(self.proj(y), self.p, self.training)
        return self.mlp(x)

    def forward_cached(self, x: Tensor, k_cache: Tensor, v_cache: Tensor, pos: int,
                       mask: Tensor | None) -> Tensor:
        """New tokens x [N, n, C] after `pos` cached ones; writes their keys and values into
        k_cache, v_cache [N, nh, cap, hd] at pos..pos+n and attends over 0..pos+n.
        `mask` bool [n, pos + n] (None when n == 1: the last token may see everything)."""
        N, n, C = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(C, dim=2)
        k_cache[:, :, pos:pos + n] = self.heads(k)
        v_cache[:, :, pos:pos + n] = self.heads(v)
        y = F.scaled_dot_product_attention(
            self.heads(q), k_cache[:, :, :pos + n], v_cache[:, :, :pos + n], attn_mask=mask,
        )  # [N, nh, n, hd]
        x = x + self.proj(y.transpose(1, 2).reshape(N, n, C))
        return self.mlp(x)


class DecisionTransformer(nn.Module):
    def __init__(self, cfg: DTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        if cfg.n_symbols > 0:
            n_cells = math.prod(cfg.state_shape)
            # Row (cell * n_symbols + symbol) is the weight column of that one-hot feature.
            self.embed_cell = nn.Embedding(n_cells * cfg.n_symbols, h)
            self.embed_state_bias = nn.Parameter(torch.zeros(h))
            self.register_buffer(
                "symbols", torch.arange(cfg.n_symbols, dtype=torch.uint8), persistent=False
            )
        else:
            self.embed_state = nn.Linear(math.prod(cfg.state_shape), h)
        if cfg.discrete:
            self.embed_action = nn.Embedding(cfg.act_dim, h)
        else:
            self.embed_action = nn.Linear(cfg.act_dim, h)
        self.embed_return = nn.Linear(1, h)
        self.embed_timestep = nn.Embedding(cfg.max_timestep, h)
        self.embed_ln = nn.LayerNorm(h)
        self.token_bias = nn.Parameter(torch.zeros(h))  # see the module docstring
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(h)
        self.head = nn.Linear(h, cfg.act_dim)
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2's scaled init of residual projections
            if name.endswith(("proj.weight", "fc_proj.weight")):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    # ---- embeddings ---------------------------------------------------------------------
    def embed_states(self, states: Tensor) -> Tensor:
        """Boards uint8 [B, T, H, W] or vectors float [B, T, d] -> [B, T, C]."""
        if self.cfg.n_symbols > 0:
            # The one-hot board times the table, as one matmul: on CPU, gathering and summing
            # H*W rows per state (and its scatter backward) made a KeyToDoor training step
            # (hidden 64, 1 layer, batch 64, K 20) 1.6x slower.
            flat = states.flatten(-2).unsqueeze(-1)  # [B, T, H*W, 1]
            one_hot = (flat == self.symbols).flatten(-2)  # [B, T, H*W*S]
            return one_hot.to(self.embed_cell.weight.dtype) @ self.embed_cell.weight + (
                self.embed_state_bias)
        return self.embed_state(states)

    def embed_actions(self, actions: Tensor) -> Tensor:
        """int64 [B, T] or float [B, T, act_dim] -> [B, T, C]."""
        return self.embed_action(actions)

    def token(self, e: Tensor, timesteps: Tensor) -> Tensor:
        """One kind of token from its embedding e [.., C] at timesteps int [..]: the timestep
        embedding added, then the embedding LayerNorm and the shared bias."""
        time = self.embed_timestep(timesteps.clamp(max=self.cfg.max_timestep - 1))
        return self.embed_ln(e + time) + self.token_bias

    def embed_rtg(self, rtg: Tensor) -> Tensor:
        """Unscaled returns-to-go [..] -> [.., C]."""
        return self.embed_return((rtg / self.cfg.return_scale).unsqueeze(-1).float())

    def tokens(self, rtg: Tensor, states: Tensor, actions: Tensor, timesteps: Tensor) -> Tensor:
        """rtg [B, T] (unscaled), states, actions, timesteps int [B, T] -> tokens [B, T, 3, C]
        ordered (R, s, a) per step."""
        x = torch.stack(
            (self.embed_rtg(rtg), self.embed_states(states), self.embed_actions(actions)), dim=2
        )  # [B, T, 3, C]
        return self.token(x, timesteps.unsqueeze(2))

    def action_out(self, h: Tensor) -> Tensor:
        """Final hidden [.., C] -> logits [.., A] (discrete) or actions [.., act_dim]."""
        y = self.head(h)
        if not self.cfg.discrete and self.cfg.action_tanh:
            y = torch.tanh(y) * self.cfg.action_scale
        return y

    # ---- full forward (training and the original-style evaluation) -------------------------
    def forward(self, rtg: Tensor, states: Tensor, actions: Tensor, timesteps: Tensor,
                states_only_last: bool = True) -> Tensor:
        """Action predictions [B, T, A] at the state tokens, for T <= K steps.

        With `states_only_last`, the last block computes queries (and its MLP) for the T state
        tokens only: the loss reads nothing else, and the result is identical."""
        B, T = timesteps.shape
        x = self.tokens(rtg, states, actions, timesteps).reshape(B, 3 * T, -1)  # [B, 3T, C]
        x = dropout(x, self.cfg.dropout, self.training)
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            if i == last and states_only_last:
                idx, mask = self._state_queries(T, x.device)
                x = block(x, idx, mask)  # [B, T, C]
            else:
                x = block(x)
        if not states_only_last:
            x = x[:, 1::3]  # [B, T, C] the state tokens
        return self.action_out(self.ln_f(x))

    @staticmethod
    def _state_queries(T: int, device: torch.device) -> tuple[Tensor, Tensor]:
        idx = torch.arange(T, device=device) * 3 + 1  # [T] state token positions
        mask = torch.arange(3 * T, device=device)[None, :] <= idx[:, None]  # [T, 3T]
        return idx, mask

    # ---- cached inference -------------------------------------------------------------
    def new_cache(self, n: int, capacity: int, device: torch.device | None = None,
                  dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """Empty key and value caches [L, N, nh, capacity, hd]."""
        c = self.cfg
        shape = (c.n_layer, n, c.n_head, capacity, c.hidden // c.n_head)
        device = device or self.head.weight.device
        return torch.zeros(shape, device=device, dtype=dtype), torch.zeros(
            shape, device=device, dtype=dtype)

    def forward_cached(self, x: Tensor, cache: tuple[Tensor, Tensor], pos: int) -> Tensor:
        """New tokens x [N, n, C] after `pos` cached tokens -> final hidden of the last [N, C]."""
        n = x.shape[1]
        mask = None
        if n > 1:  # token j sees the cache and new tokens 0..j
            mask = torch.arange(pos + n, device=x.device)[None, :] <= (
                pos + torch.arange(n, device=x.device)[:, None])  # [n, pos + n]
        k, v = cache
        for i, block in enumerate(self.blocks):
            x = block.forward_cached(x, k[i], v[i], pos, mask)
        return self.ln_f(x[:, -1])
