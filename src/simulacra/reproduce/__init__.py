"""Reproductions of published results, one experiment per module, each a function returning a
result dataclass and a function printing its table beside the paper's figures.

- `key_to_door`: Chen et al. 2021 (Decision Transformer), Key-to-Door success rate.
- `calibration`: achieved vs asked return over the data's range and above it.
- `gambling`: Paster et al. 2022 (ESPER), P(a0 | g = 5), the known failure of return conditioning.
- `pendulum`: continuous actions, return achieved vs asked on generated Pendulum-v1 data.

Budgets are arguments, never hidden: every result carries the config it ran with, so a table
made with a reduced budget says so.
"""
