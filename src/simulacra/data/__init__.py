"""Datasets of controlled composition: recipes, behaviour policies, generation, storage.

    recipe = Recipe("AbsentSupervisor", 1000,
                    parse_components("boltzmann-reward:0.5@T=1,random:0.5"))
    ds = generate(recipe)                      # a Dataset (simulacra.data.dataset)
    save_dataset(ds, "absent.npz")
    ds = load_dataset("absent.npz", world="AbsentSupervisor")

Only `Dataset` is imported eagerly: learners and metrics import `simulacra.data.dataset`, and that
must not pull in the worlds and the solver behind generation (nor risk an import cycle).
"""

from importlib import import_module

from simulacra.data.dataset import Dataset

_LAZY = {
    "generate": "generate",
    "Component": "recipe",
    "Recipe": "recipe",
    "RecipeError": "recipe",
    "parse_components": "recipe",
    "DatasetError": "storage",
    "export_minari": "storage",
    "load_dataset": "storage",
    "save_dataset": "storage",
}

__all__ = ["Dataset", *_LAZY]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(f"simulacra.data.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'simulacra.data' has no attribute {name!r}")
