"""Datasets of controlled composition: recipes, behaviour policies, generation, storage.

    recipe = Recipe("AbsentSupervisor", 1000,
                    parse_components("boltzmann-reward:0.5@T=1,random:0.5"))
    ds = generate_dataset(recipe)              # a Dataset (simulacra.data.dataset)
    save_dataset(ds, "absent.npz")
    ds = load_dataset("absent.npz", world="AbsentSupervisor")

Only `Dataset` is imported eagerly: learners and metrics import `simulacra.data.dataset`, and that
must not pull in the worlds and the solver behind generation (nor risk an import cycle).
`generate_dataset` is `simulacra.data.generate.generate` (the module of that name would shadow a
package attribute called `generate`).
"""

from importlib import import_module

from simulacra.data.dataset import Dataset

#: exported name -> (module, name in it)
_LAZY = {
    "generate_dataset": ("generate", "generate"),
    "Component": ("recipe", "Component"),
    "Recipe": ("recipe", "Recipe"),
    "RecipeError": ("recipe", "RecipeError"),
    "parse_components": ("recipe", "parse_components"),
    "DatasetError": ("storage", "DatasetError"),
    "export_minari": ("storage", "export_minari"),
    "load_dataset": ("storage", "load_dataset"),
    "save_dataset": ("storage", "save_dataset"),
}

__all__ = ["Dataset", *_LAZY]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(f"simulacra.data.{module}"), attr)
    raise AttributeError(f"module 'simulacra.data' has no attribute {name!r}")
