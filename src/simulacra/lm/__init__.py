"""The language-model edition (issue #17): a conditioned LM vs an RL-tuned LM against a proxy
reward, on a text world whose likelihood and support are known exactly.

Modules, one job each, imported downwards in this order: world (the generator, its exact
likelihood and support) -> rewards (gold, features) -> proxy (Bradley–Terry reward model) -> vocab
(the LM's tokenizer) -> model (GPT-2 from scratch, pretraining) -> sample (sampling and scoring
texts) -> measure (metrics at one knob) -> rl (TRL's GRPO) -> config -> seed (what a seed's
methods share) -> methods (conditional, filtered, best_of_n, rl, iterated) -> fits (Gao et al.'s
forms) -> questions (the three verdicts) -> store (DuckDB) -> runner. The package sits above
simulacra.report (it reuses the verdict words and metrics.stats.diff_ci) and below the CLI.
"""
