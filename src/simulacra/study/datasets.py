"""The dataset an offline job trains on: the study's recipe, made for the job's world and seed.

A study declares recipes by name without a world (`datasets: {mixed: {episodes: 1000,
components: "boltzmann-reward:0.5@T=1,random:0.5"}}`); each job makes it for its own world,
parameters and seed, so every offline learner of one (world, seed) sees the same episodes. The
dataset is generated once per study folder (shared/datasets/<hash>.npz, written atomically by
`shared_artifact`) and read back by every job that needs it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from simulacra.data.dataset import Dataset
from simulacra.study.jobs import JobContext, shared_artifact

RECIPE_KEYS = ("episodes", "components")


def check_recipe(recipe: dict[str, Any], world: str) -> None:
    """Raise ValueError naming what is wrong with a study recipe (for the schema)."""
    from simulacra.data.recipe import Recipe, RecipeError

    unknown = sorted(set(recipe) - set(RECIPE_KEYS))
    if unknown:
        raise ValueError(f"unknown recipe field {unknown[0]!r}; allowed: "
                         f"{', '.join(RECIPE_KEYS)} (world, params and seed come from the job)")
    try:
        Recipe.from_dict({"world": world, **recipe})
    except RecipeError as err:
        raise ValueError(str(err)) from err


def job_recipe(config: dict[str, Any]):  # -> simulacra.data.recipe.Recipe
    from simulacra.data.recipe import Recipe

    if not config.get("dataset"):
        raise ValueError(f"job {config.get('key')} names no dataset")
    w = config["world"]
    return Recipe.from_dict({**config["dataset"]["recipe"], "world": w["name"],
                             "params": w["params"], "seed": config["seed"]})


def job_dataset(ctx: JobContext) -> Dataset:
    """The job's dataset: made once per study folder, loaded by every job that shares it."""
    from simulacra.data.generate import generate
    from simulacra.data.storage import load_dataset, save_dataset

    recipe = job_recipe(ctx.config)
    digest = hashlib.sha256(json.dumps(recipe.to_dict(), sort_keys=True, default=str).encode())
    name = f"{recipe.world}-{digest.hexdigest()[:16]}.npz"
    folder = (ctx.shared or ctx.workdir) / "datasets"

    def build(tmp: Path) -> None:
        ctx.log.info("generating dataset %s: %s", name, recipe.to_dict())
        save_dataset(generate(recipe, progress=False), tmp)

    path = shared_artifact(folder, name, build)
    return load_dataset(path, recipe.world, recipe.params)
