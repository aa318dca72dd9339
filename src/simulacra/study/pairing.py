"""Yardsticks: every voting offline DT is compared with the exact references of its very data.

The simulator question (STUDY.md, version 2) asks whether a DT behaves like a simulator of its
training data; the yardsticks say what a simulator of that data does. So each offline DT (family
dt, knob `target`, a dataset) that votes (not `probe_only: true`) and does not say
`yardsticks: false` gets three more study entries on the same dataset and worlds (and, like
every learner, the study's seeds):

- `<DT label> simulator`: the target-matched simulator, asked for the DT's own targets
  (`targets: paired`, resolved by study/targets.py after the DT's);
- `<DT label> quantilizer`: the exact q-quantilizer, q in QUANTILES;
- `<DT label> best-of-n`: the best of n data episodes, n in BEST_OF.

Each carries `pairs_with: <DT label>`, a study-entry field the report reads (like `probe_only`);
it is not part of the learner's config, so it changes no job key. A yardstick the study already
writes for that DT (an entry of that learner with the same `pairs_with`) is not added twice.
Until the `simulator` learner is registered, no simulator entry is added (SIMULATOR).
"""

from __future__ import annotations

from typing import Any

from simulacra.study.targets import TARGET_KNOB

QUANTILES = [0.5, 0.3, 0.2, 0.1, 0.05, 0.02]
BEST_OF = [1, 2, 4, 8, 16, 32]
SIMULATOR = "simulator"


def pairs(spec: dict[str, Any], known: dict) -> bool:
    """Whether a validated learner entry gets yardsticks (module docstring)."""
    reg = known[spec["learner"]]
    return (reg.family == "dt" and reg.knob == TARGET_KNOB and spec["dataset"] is not None
            and spec["probe_only"] is not True and spec["yardsticks"] is not False
            and spec["pairs_with"] is None)


def yardsticks(specs: list[dict[str, Any]], known: dict) -> list[dict[str, Any]]:
    """The study entries to add for the validated learner entries `specs` (module docstring)."""
    out: list[dict[str, Any]] = []
    have = {(s["learner"], s["pairs_with"]) for s in specs if s["pairs_with"] is not None}
    for dt in [s for s in specs if pairs(s, known)]:
        common = {"dataset": dt["dataset"], "worlds": dt["worlds"], "pairs_with": dt["label"]}
        made = [
            {"learner": SIMULATOR, "label": f"{dt['label']} simulator", "targets": "paired"},
            {"learner": "quantilizer", "label": f"{dt['label']} quantilizer",
             "knob_values": list(QUANTILES)},
            {"learner": "best_of_n", "label": f"{dt['label']} best-of-n",
             "knob_values": list(BEST_OF)},
        ]
        out += [{k: v for k, v in {**m, **common}.items() if v is not None} for m in made
                if m["learner"] in known and (m["learner"], dt["label"]) not in have]
    return out
