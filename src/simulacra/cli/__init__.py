"""`simulacra` command line. Each command lives in its own module under simulacra.cli."""

from __future__ import annotations

import importlib
import importlib.util

from simulacra.cli.app import app

# Command modules, imported for the commands they attach to `app`.
COMMAND_MODULES = (
    "worlds_cmd",
    "play_cmd",
    "data_cmd",
    "train_dt_cmd",
    "train_baselines_cmd",
    "eval_cmd",
    "reproduce_cmd",
    "run_cmd",
    "plan_cmd",
    "report_cmd",
    "repair_cmd",
    "sql_cmd",
    "watch_cmd",
    "lm_cmd",
)

for _name in COMMAND_MODULES:
    # While the project is being built, a module not written yet is skipped.
    if importlib.util.find_spec(f"simulacra.cli.{_name}") is not None:
        importlib.import_module(f"simulacra.cli.{_name}")


def main() -> None:
    app()
