"""A trained Decision Transformer as a `simulacra.policy.Policy`: batched, KV-cached inference.

N worlds step together, each conditioned on its own target return; after every step the
return-to-go of each world is decremented by the reward it received (`observe`).

Cache: each step adds the previous action's token and the new (R, s) tokens; only these are run
through the network, attending over the keys and values cached for earlier tokens. That is exact
while the episode fits in the context (t < K). Past it, the original model sees a sliding window of
the last K steps, whose keys and values change with the window, so the exact path re-encodes the
window every step (all N worlds in one batch). `approx_cache=True` instead evicts the oldest step
from the cache without recomputing (faster, not exact; off by default).

Rows play one episode each per `reset` and act in lockstep. Rows that `observe` reports done are
dropped from the computation (once a quarter of the live rows have ended); until the next reset,
`act` returns action 0 for them, which the caller ignores.

`reference_episode` is the original style of evaluation (one world, the whole window re-encoded at
every step): the alignment test and the rollout benchmark hold the batched path to it.
"""

from __future__ import annotations

import warnings
from collections import deque
from pathlib import Path

import numpy as np
import torch

from simulacra.data.rollout import play
from simulacra.engine import Batch, TableBatch
from simulacra.learners.dt import DecisionTransformer
from simulacra.learners.dt_train import load_checkpoint
from simulacra.policy import View


class TargetWarning(UserWarning):
    """A target return far outside the returns the model was trained on."""


class DTPolicy:
    """Batched KV-cached Decision Transformer policy (discrete or continuous actions)."""

    return_conditioned = True  # `eval --target` applies; other learners refuse it

    def __init__(self, model: DecisionTransformer, greedy: bool = True,
                 return_range: tuple[float, float] | None = None,
                 approx_cache: bool = False) -> None:
        self.model = model.eval()
        self.cfg = model.cfg
        self.n_actions = model.cfg.act_dim
        self.greedy = greedy
        self.return_range = return_range
        self.approx_cache = approx_cache
        self.device = model.head.weight.device
        self.reports: list[str] = []  # warnings about targets, kept for the caller to show

    # ---- Policy protocol -------------------------------------------------------------
    def reset(self, n: int, targets: np.ndarray | None = None, seed: int | None = None) -> None:
        if targets is None:
            if self.return_range is None:
                raise ValueError("a Decision Transformer needs target returns")
            targets = np.full(n, self.return_range[1])
        targets = np.broadcast_to(np.asarray(targets, dtype=np.float64), (n,))
        self._check_targets(targets)
        self.n = n
        self.rtg = torch.tensor(np.array(targets, dtype=np.float32), device=self.device)  # [N]
        self.gen = torch.Generator(device=self.device)
        self.gen.manual_seed(0 if seed is None else seed)
        K = self.cfg.context
        # Rows still playing; everything below is kept for these rows only (see `_compact`).
        self.rows = torch.arange(n, device=self.device)
        self.finished = torch.zeros(n, dtype=torch.bool, device=self.device)
        self.cache = self.model.new_cache(n, 3 * K, self.device)
        self.pos = 0  # tokens in the cache
        self.steps = 0  # act calls since reset
        self.last_actions: torch.Tensor | None = None  # what observe() said was done
        self.last_t: torch.Tensor | None = None
        # The last K steps (rtg, state, timestep); actions lag one step behind.
        self.hist: deque[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = deque(maxlen=K)
        self.hist_actions: deque[torch.Tensor] = deque(maxlen=K)

    @torch.no_grad()
    def act(self, view: View) -> np.ndarray:
        m = self.model
        shape = (self.n,) if self.cfg.discrete else (self.n, self.cfg.act_dim)
        full = np.zeros(shape, dtype=np.int64 if self.cfg.discrete else np.float32)
        if len(self.rows) == 0:
            return full
        rows = self.rows.cpu().numpy()
        states = torch.as_tensor(np.asarray(view.obs)[rows], device=self.device)  # [n, H, W]|[n, d]
        if not states.dtype.is_floating_point and m.cfg.n_symbols == 0:
            states = states.float()
        t = torch.as_tensor(np.asarray(view.t)[rows], dtype=torch.long, device=self.device)  # [n]
        rtg = self.rtg[self.rows]  # [n]
        self.hist.append((rtg, states, t))
        K = self.cfg.context
        if self.steps >= K and not self.approx_cache:
            out = self._reencode()  # [n, A]
        else:
            if self.steps >= K:  # approximate: drop the oldest step's three tokens
                k, v = self.cache
                k[:, :, :, :-3] = k[:, :, :, 3:].clone()
                v[:, :, :, :-3] = v[:, :, :, 3:].clone()
                self.pos -= 3
            e = [m.embed_rtg(rtg), m.embed_states(states)]  # 2 x [n, C]
            ts = [t, t]
            if self.steps > 0:
                assert self.last_actions is not None and self.last_t is not None
                e.insert(0, m.embed_actions(self.last_actions))
                ts.insert(0, self.last_t)
            x = m.token(torch.stack(e, 1), torch.stack(ts, 1))  # [n, 2 or 3, C]
            out = m.action_out(m.forward_cached(x, self.cache, self.pos))  # [n, A]
            self.pos += x.shape[1]
        self.steps += 1
        self.last_t = t
        full[rows] = self._choose(out)
        return full

    def observe(self, actions: np.ndarray, reward: np.ndarray, done: np.ndarray) -> None:
        if len(self.rows) == 0:
            return
        rows = self.rows.cpu().numpy()
        a = torch.as_tensor(np.asarray(actions)[rows], device=self.device)
        a = a.long() if self.cfg.discrete else a.float().reshape(len(rows), -1)
        self.last_actions = a
        self.hist_actions.append(a)
        self.rtg -= torch.as_tensor(np.asarray(reward), dtype=torch.float32, device=self.device)
        self.finished |= torch.as_tensor(np.asarray(done, dtype=bool), device=self.device)
        gone = int(self.finished[self.rows].sum())
        if gone and gone >= max(1, len(rows) // 4):
            self._compact()

    def _compact(self) -> None:
        """Drop finished rows from the cache and history: later steps cost only live rows."""
        keep = (~self.finished[self.rows]).nonzero().squeeze(1)  # positions among active rows
        self.rows = self.rows[keep]
        k, v = self.cache
        self.cache = (k[:, keep].contiguous(), v[:, keep].contiguous())
        self.hist = deque(((r[keep], s[keep], t[keep]) for r, s, t in self.hist),
                          maxlen=self.hist.maxlen)
        self.hist_actions = deque((a[keep] for a in self.hist_actions),
                                  maxlen=self.hist_actions.maxlen)
        assert self.last_actions is not None and self.last_t is not None
        self.last_actions, self.last_t = self.last_actions[keep], self.last_t[keep]

    # ---- internals ----------------------------------------------------------------------
    def _choose(self, out: torch.Tensor) -> np.ndarray:
        if not self.cfg.discrete:
            return out.cpu().numpy()
        if self.greedy:
            return out.argmax(-1).cpu().numpy()
        probs = torch.softmax(out.float(), -1)
        return torch.multinomial(probs, 1, generator=self.gen).squeeze(1).cpu().numpy()

    def _reencode(self) -> torch.Tensor:
        """The whole window (last K steps), all N rows in one batch: exact."""
        rtg = torch.stack([h[0] for h in self.hist], 1)  # [N, K]
        states = torch.stack([h[1] for h in self.hist], 1)  # [N, K, ...]
        t = torch.stack([h[2] for h in self.hist], 1)  # [N, K]
        n_past = len(self.hist) - 1  # steps in the window before the current one
        past = list(self.hist_actions)[len(self.hist_actions) - n_past:]
        assert self.last_actions is not None
        actions = torch.stack([*past, torch.zeros_like(self.last_actions)], 1)  # [N, K(, A)]
        return self.model(rtg, states, actions, t)[:, -1]

    def _check_targets(self, targets: np.ndarray) -> None:
        if self.return_range is None:
            return
        lo, hi = self.return_range
        span = max(hi - lo, 1.0)
        far = (targets < lo - span) | (targets > hi + span)
        if far.any():
            msg = (f"{int(far.sum())} target return(s) (e.g. {targets[far][0]:g}) lie far outside"
                   f" the training data's returns [{lo:g}, {hi:g}]; behaviour there is untested")
            self.reports.append(msg)
            warnings.warn(msg, TargetWarning, stacklevel=3)


def load_policy(folder: Path, device: str = "auto", greedy: bool = True,
                approx_cache: bool = False) -> DTPolicy:
    """A checkpoint folder (see `dt_train.save_checkpoint`) as a Policy."""
    model, info = load_checkpoint(folder, device)
    data = info.get("data") or {}
    rr = (data["return_min"], data["return_max"]) if "return_min" in data else None
    return DTPolicy(model, greedy=greedy, return_range=rr, approx_cache=approx_cache)


# ---- rollouts (used by the tests and the benchmark; evaluation proper lives in evaluate/) ----
def rollout(policy: DTPolicy, batch: Batch, targets: np.ndarray,
            seed: int | None = None) -> dict[str, np.ndarray]:
    """One episode in each of the batch's N copies, all stepped together by the one episode loop
    (`simulacra.data.rollout.play`). Returns the returns [N], lengths [N], actions [N, steps]
    (-1 after the end) and the compiled start states [N]."""
    batch.seed(seed)
    wave = play(batch, policy, targets=targets, policy_seed=seed)
    actions = np.where(wave.live, wave.actions, -1).T
    return {"returns": wave.returns, "lengths": wave.lengths, "actions": actions,
            "start": wave.start_states}


@torch.no_grad()
def reference_episode(model: DecisionTransformer, batch: TableBatch, target: float,
                      start_state: int | None = None) -> tuple[list[int], float]:
    """The original style of evaluation: one world (batch of 1), greedy, and at every step the
    whole window of the last K steps re-encoded from scratch. Returns (actions, return)."""
    model.eval()
    K = model.cfg.context
    batch.reset()
    if start_state is not None:
        batch.states[0] = start_state
    rtgs, states, ts, actions = [], [], [], []
    rtg, total = float(target), 0.0
    while True:
        rtgs.append(rtg)
        states.append(torch.as_tensor(batch.observe()[0]))
        ts.append(int(batch.t[0]))
        window_a = [*actions[-(K - 1):], 0] if K > 1 else [0]
        pred = model(
            torch.tensor([rtgs[-K:]], dtype=torch.float32),
            torch.stack(states[-K:])[None],
            torch.tensor([window_a[-len(rtgs[-K:]):]], dtype=torch.long),
            torch.tensor([ts[-K:]], dtype=torch.long),
        )[0, -1]
        a = int(pred.argmax())
        actions.append(a)
        res = batch.step(np.array([a]))
        rtg -= float(res.reward[0])
        total += float(res.reward[0])
        if res.terminated[0] or res.truncated[0]:
            return actions, total


# ---- registry (simulacra.learners.registry): the offline Decision Transformer ---------------
from simulacra.learners.dt_train import TrainConfig  # noqa: E402  (the spec block closes the file)
from simulacra.learners.registry import LearnerSpec, config_defaults  # noqa: E402

_SET_BY_JOB = ("seed", "progress", "device")  # the study's job sets these, not the study file


def _check_dt(settings: dict) -> None:
    TrainConfig.from_dict(settings)


SPECS = (
    LearnerSpec(
        "dt", "dt", "simulacra.study.learner_jobs:run_dt", config=TrainConfig,
        defaults=lambda: config_defaults(TrainConfig, _SET_BY_JOB),  # decode: evaluation.decode
        check=_check_dt, load=load_policy, knob="target", needs_dataset=True,
        doc="Decision Transformer on the job's dataset; knob: the target return (default: a "
            "grid from the data's median to above its maximum, study/targets.py)"),
)
