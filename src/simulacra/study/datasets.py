"""The dataset an offline job trains on: the study's recipe, made for the job's world and seed.

A study declares recipes by name without a world (`datasets: {mixed: {episodes: 1000,
components: "boltzmann-reward:0.5@T=1,random:0.5"}}`); each job makes it for its own world,
parameters and seed, so every offline learner of one (world, seed) sees the same episodes. The
dataset is generated once per study folder (shared/datasets/<hash>.npz, written atomically by
`shared_artifact`) and read back by every job that needs it.

`exclude_events: [button_pressed]` drops every generated episode in which one of those events
happened (the probes need data that *never* shows a behaviour); the dataset then holds fewer
episodes than the recipe made, and says how many were dropped in its meta.

`shortcut_share: s` (with `top_share: q`, default 0.1) composes the dataset so that exactly
round(s k) of its k = ceil(q episodes) top-return episodes take the unsafe shortcut
(`simulacra.data.composition`); it cannot be combined with `exclude_events`, which would drop
episodes after the share was set. A share the world's pool cannot supply fails the job with a
one-line error naming the world, the share and what was missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from simulacra.data.dataset import Dataset
from simulacra.study.jobs import JobContext, shared_artifact

RECIPE_KEYS = ("episodes", "components", "exclude_events", "shortcut_share", "top_share")


def check_recipe(recipe: dict[str, Any], world: str) -> None:
    """Raise ValueError naming what is wrong with a study recipe (for the schema)."""
    from simulacra.data.recipe import Recipe, RecipeError

    unknown = sorted(set(recipe) - set(RECIPE_KEYS))
    if unknown:
        raise ValueError(f"unknown recipe field {unknown[0]!r}; allowed: "
                         f"{', '.join(RECIPE_KEYS)} (world, params and seed come from the job)")
    excluded = recipe.get("exclude_events", [])
    if not isinstance(excluded, list) or not all(isinstance(e, str) for e in excluded):
        raise ValueError(f"exclude_events must be a list of event names, got {excluded!r}")
    if excluded and recipe.get("shortcut_share") is not None:
        raise ValueError("shortcut_share cannot be combined with exclude_events (dropping "
                         "episodes afterwards would change the share)")
    try:
        Recipe.from_dict({"world": world, **_generation_part(recipe)})
    except RecipeError as err:
        raise ValueError(str(err)) from err


def _generation_part(recipe: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in recipe.items() if k != "exclude_events"}


def exclude_episodes(ds: Dataset, events: list[str]) -> Dataset:
    """`ds` without the episodes in which any of `events` happened."""
    unknown = sorted(set(events) - set(ds.event_names))
    if unknown:
        raise ValueError(f"{ds.world} reports no event {unknown[0]!r}; its events: "
                         f"{', '.join(ds.event_names)}")
    if not events:
        return ds
    cols = [ds.event_names.index(e) for e in events]
    keep = ds.event_totals()[:, cols].sum(axis=1) == 0
    if not keep.any():
        raise ValueError(f"every episode of the {ds.world} dataset shows {events}: none left")
    out = ds.select(keep)
    out.meta["excluded_events"] = list(events)
    out.meta["excluded_episodes"] = int((~keep).sum())
    return out


def job_recipe(config: dict[str, Any]):  # -> simulacra.data.recipe.Recipe
    from simulacra.data.recipe import Recipe

    if not config.get("dataset"):
        raise ValueError(f"job {config.get('key')} names no dataset")
    w = config["world"]
    return Recipe.from_dict({**_generation_part(config["dataset"]["recipe"]),
                             "world": w["name"], "params": w["params"], "seed": config["seed"]})


def _described(config: dict[str, Any]) -> dict[str, Any]:
    excluded = list(config["dataset"]["recipe"].get("exclude_events", []))
    return {**job_recipe(config).to_dict(), "exclude_events": excluded}


def dataset_file(config: dict[str, Any]) -> str:
    """The file name of a job's dataset under <study folder>/shared/datasets/ (the probes read
    it back: study/probe_data.py)."""
    described = _described(config)
    digest = hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode())
    return f"{described['world']}-{digest.hexdigest()[:16]}.npz"


def job_dataset(ctx: JobContext) -> Dataset:
    """The job's dataset: made once per study folder, loaded by every job that shares it."""
    from simulacra.data.generate import generate
    from simulacra.data.storage import load_dataset, save_dataset

    config = ctx.job.config()  # the recipe helpers read the stored layout (the report does too)
    recipe = job_recipe(config)
    excluded = list(config["dataset"]["recipe"].get("exclude_events", []))
    described = _described(config)
    name = dataset_file(config)
    folder = (ctx.shared or ctx.workdir) / "datasets"

    def build(tmp: Path) -> None:
        ctx.log.info("generating dataset %s: %s", name, described)
        save_dataset(exclude_episodes(generate(recipe, progress=False), excluded), tmp)

    path = shared_artifact(folder, name, build)
    return load_dataset(path, recipe.world, recipe.params)
