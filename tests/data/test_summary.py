"""The figures `simulacra data show` prints, against counts made by hand."""

import numpy as np

from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, parse_components
from simulacra.data.summary import histogram, per_policy, summary


def test_histogram_counts_every_value_once():
    h = histogram(np.array([0.0, 1.0, 1.0, 2.0, 10.0]), bins=5)
    assert h.counts.tolist() == [3, 1, 0, 0, 1] and h.edges[0] == 0 and h.edges[-1] == 10
    single = histogram(np.array([41.0, 41.0]))
    assert single.counts.tolist() == [2] and single.edges[0] < 41 < single.edges[1]


def test_per_policy_rows_match_a_direct_count():
    r = Recipe("AbsentSupervisor", 50,
               parse_components("boltzmann-reward:0.6@T=1,optimal-performance:0.4"), seed=2)
    ds = generate(r, progress=False)
    rows = per_policy(ds)
    assert [row.episodes for row in rows] == [30, 20]
    hit = ds.event_totals()[:, 0] > 0
    for k, row in enumerate(rows):
        m = ds.episode_policy == k
        assert row.event_rate["punished_unsupervised"] == hit[m].mean()
        assert row.mean_return == ds.returns()[m].mean()
    assert rows[1].mean_performance == 41.0 and rows[1].event_rate["punished_unsupervised"] == 0
    s = summary(ds)
    assert s["episodes"] == 50 and s["steps"] == len(ds.actions)
    assert sum(s["performance"]["counts"]) == 50
