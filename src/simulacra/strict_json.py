"""Values made safe for strict JSON (RFC 8259 has no NaN or Infinity).

One helper for everything the project prints or stores as JSON: metric tables, reproduction
results, report summaries. Non-finite floats become None (null), numpy scalars become Python
numbers, tuples become lists and dict keys become strings, recursively.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def strict_json(value: Any) -> Any:
    """`value` with NaN / ±inf as None, numpy scalars as Python, tuples as lists, keys as str."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
