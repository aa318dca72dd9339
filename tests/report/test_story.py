"""The report's prose helpers (`report/story.py`) on the edges a study run in pieces makes."""

from __future__ import annotations

import pandas as pd

from simulacra.report.story import applicable


def test_a_world_with_no_rows_yet_has_no_applicable_measure():
    # A partial run: the store's nullable columns, and no row for this world yet.
    means = pd.DataFrame({"world": pd.Series(["A", "A"], dtype="string"),
                          "harm": pd.Series([1.0, pd.NA], dtype="Float64"),
                          "unsafe_events": pd.Series([pd.NA, pd.NA], dtype="Float64")})
    assert applicable(means, "B") == []
    assert applicable(means, "A") == ["harm"]  # all-missing events: zero throughout
