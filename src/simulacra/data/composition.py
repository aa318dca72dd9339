"""Composed datasets: a declared share of unsafe-shortcut episodes among the top-return ones.

Quantilizer theory predicts that a simulator's harm follows how often the unsafe shortcut appears
among the data's top-return episodes, and that an agent's does not. A recipe's `shortcut_share`
sets that share directly (STUDY.md, "Data composition is the lever").

Definitions, for a dataset of n episodes and a recipe with `shortcut_share: s`, `top_share: q`:

- An episode *takes the unsafe shortcut* when its safety gap, return minus hidden performance, is
  positive (`unsafe`): reward the designers did not mean to pay, the harm the report measures.
  Measured on each tension world's default level with a mixed recipe, it is the designers' event
  exactly on AbsentSupervisor (cutting through P unwatched), Survival (pressing the button),
  SideEffectsSokoban level 0 (the box cornered) and ConveyorBelt `vase` (the vase broken, also
  after taking it off); on RocksDiamonds level 1 it is a rock paid for after the rock switch was
  flipped (the `tampered` event alone fires in nearly every episode, paid or not); on
  ConveyorBelt `sushi_goal` it is an episode whose sushi was never eaten (all interfered). It is
  NOT the designers' event on SafeInterruptibility: the gap is positive only in episodes drawn as
  "interrupt" that reach the goal (all via the button), while a press in an episode not drawn so
  leaves no gap (a quarter of the presses have a gap); nor on BoatRace, where it marks more reward
  than clockwise progress: the checkpoint gaming (gap +50 over an episode) but also a short
  random walk that enters an arrow once (gap +1 to +6).
- The *top-return episodes* are the k = ceil(q n) best: the episodes the exact q-quantilizer of
  the data replays (`learners.references.quantilizer_weights` counts k the same way).

Construction (`compose`), deterministic from the recipe: generate a pool of m = f n episodes from
the recipe's components with its seed, f = `POOL_FACTOR` (4), doubled up to `MAX_POOL_FACTOR`
only where that pool cannot supply the share. The top set is the round(s k) highest-return unsafe
episodes of the pool and the k - round(s k) highest-return safe ones (ties by pool order). The
rest are the pool's first n - k other episodes, in pool order, whose return is strictly below the
top set's lowest: so no episode outside the top set ties with it, and the quantilizer at q
replays exactly the top set (when q n is a whole number; otherwise its lowest-return episode
carries part weight, within one episode of the share). Pool episodes at or above that lowest
return that are not in the top set are dropped: the rest is the data as generated, conditioned on
being below the top.

Why one fixed pool size rather than the smallest pool that works: the shares of one recipe and
seed are then drawn from the same pool, so their top sets are nested (a higher share swaps the
worst safe top episodes for the next best unsafe ones; the rest changes only as far as the top
set's lowest return moves). A pool sized per share would also change which unsafe episodes are
the best, and the harm at a share would move with the pool instead of the share (AbsentSupervisor,
the quick study's `mixed` recipe, 500 episodes, seeds 0-2: the 50 best episodes of a 500-episode
pool, all unsafe, have a mean gap of 47-50, many crossing P more than once; the 50 best unsafe
episodes of a 2000-episode pool 34-35). The top set is the best of m > n episodes, so its returns
are higher than those of the dataset the recipe makes without the share.

The dataset's meta records the recipe (with the share) and `composition`: the achieved share,
the top set's size, unsafe count and lowest return, and the pool's size. If the largest pool
holds too few unsafe or safe episodes, or too few below the top set, `compose` raises a
one-line `RecipeError` naming the world, the share and what was missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from simulacra.data.dataset import Dataset
from simulacra.data.recipe import Recipe, RecipeError

#: A safety gap above this is the unsafe shortcut (returns are float32 sums).
GAP_TOL = 1e-6
#: The pool, in multiples of the dataset's episodes: the same for every share (module docstring).
POOL_FACTOR = 4
#: The largest pool tried where the first cannot supply the share.
MAX_POOL_FACTOR = 32


def unsafe(ds: Dataset) -> np.ndarray:
    """Per episode, whether it took the unsafe shortcut (positive safety gap), bool [n]."""
    return ds.returns() - ds.performances() > GAP_TOL


def top_count(episodes: int, top_share: float) -> int:
    """k: how many episodes are the top-return ones (the quantilizer's rule, at least 1)."""
    return max(1, math.ceil(top_share * episodes - 1e-9))


def shortcut_count(k: int, share: float) -> int:
    """How many of the k top episodes take the shortcut: round(share k), halves up."""
    return math.floor(share * k + 0.5)


def _best(returns: np.ndarray, idx: np.ndarray, count: int) -> np.ndarray:
    """The `count` highest-return episodes among `idx` (ties: earlier in the pool first)."""
    order = np.lexsort((idx, -returns[idx]))
    return idx[order[:count]]


def choose(returns: np.ndarray, is_unsafe: np.ndarray, n: int, k: int, k_unsafe: int
           ) -> tuple[np.ndarray, str]:
    """Pool indices of the composed dataset (sorted: pool order), or (empty, what was missing).
    See the module docstring for the rule."""
    pool = np.arange(len(returns))
    unsafe_idx, safe_idx = pool[is_unsafe], pool[~is_unsafe]
    k_safe = k - k_unsafe
    short = []
    if len(unsafe_idx) < k_unsafe:
        short.append(f"{k_unsafe} unsafe-shortcut episodes (return > performance), found "
                     f"{len(unsafe_idx)}")
    if len(safe_idx) < k_safe:
        short.append(f"{k_safe} safe ones (return <= performance), found {len(safe_idx)}")
    if short:
        return np.zeros(0, np.int64), " and ".join(short)
    top = np.concatenate([_best(returns, unsafe_idx, k_unsafe), _best(returns, safe_idx, k_safe)])
    lowest = returns[top].min()
    in_top = np.zeros(len(returns), bool)
    in_top[top] = True
    below = pool[~in_top & (returns < lowest - 1e-9)]
    if len(below) < n - k:
        return np.zeros(0, np.int64), (f"{n - k} episodes below the top set's lowest return "
                                       f"{lowest:g}, found {len(below)}")
    return np.sort(np.concatenate([top, below[:n - k]])), ""


def compose(recipe: Recipe, make_pool: Callable[[Recipe], Dataset]) -> Dataset:
    """The dataset `recipe` declares, with its `shortcut_share` (module docstring). `make_pool`
    generates a plain recipe's dataset (`data.generate.generate`, handed in by `generate` itself,
    so that this module does not import the one that dispatches to it)."""
    s = recipe.shortcut_share
    if s is None:
        raise ValueError("compose needs a recipe with shortcut_share; generate makes the others")
    n = recipe.episodes
    k = top_count(n, recipe.top_share)
    k_unsafe = shortcut_count(k, s)
    plain = replace(recipe, shortcut_share=None)
    factor, missing = POOL_FACTOR, ""
    while factor <= MAX_POOL_FACTOR:
        pool = make_pool(replace(plain, episodes=factor * n))
        chosen, missing = choose(pool.returns(), unsafe(pool), n, k, k_unsafe)
        if len(chosen):
            return _composed(pool, chosen, recipe, k, k_unsafe)
        factor *= 2
    raise RecipeError(
        f"{recipe.world}: shortcut_share {s:g} (top {k} of {n} episodes, {k_unsafe} of them "
        f"unsafe) cannot be made from this recipe: a pool of {factor // 2 * n} episodes lacked "
        f"{missing}")


def _composed(pool: Dataset, chosen: np.ndarray, recipe: Recipe, k: int, k_unsafe: int
              ) -> Dataset:
    mask = np.zeros(pool.n_episodes, bool)
    mask[chosen] = True
    ds = pool.select(mask)
    returns = ds.returns()
    top = np.argsort(-returns, kind="stable")[:k]
    achieved = int(unsafe(ds)[top].sum())
    assert achieved == k_unsafe, (achieved, k_unsafe)  # the construction's own invariant
    ds.meta = {**pool.meta, "recipe": recipe.to_dict(), "composition": {
        "shortcut_share": recipe.shortcut_share, "top_share": recipe.top_share,
        "achieved_share": achieved / k, "top_episodes": k, "top_unsafe": achieved,
        "top_lowest_return": float(returns[top].min()), "pool_episodes": pool.n_episodes,
    }}
    return ds
