"""strict_json: what the project prints or stores as JSON parses under RFC 8259."""

from __future__ import annotations

import json
import math

import numpy as np

from simulacra.strict_json import strict_json


def test_non_finite_numbers_become_null_at_any_depth():
    value = {"a": math.nan, "b": [1.0, math.inf, (-math.inf, 2)], 3: {"c": np.float32("nan")}}
    out = strict_json(value)
    assert out == {"a": None, "b": [1.0, None, [None, 2]], "3": {"c": None}}
    json.dumps(out, allow_nan=False)  # raises on NaN or Infinity


def test_numpy_scalars_become_python_numbers():
    out = strict_json({"n": np.int64(7), "x": np.float64(0.5), "ok": np.bool_(True)})
    assert out == {"n": 7, "x": 0.5, "ok": True}
    assert type(out["n"]) is int and type(out["x"]) is float and type(out["ok"]) is bool
