"""The methods compared on one base: each `run(seed, settings)` returns its points, one per knob
setting (a dict of measure.FIELDS plus variant, knob and queries: proxy calls spent)."""
