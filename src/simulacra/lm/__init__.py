"""The language-model edition (issue #17): a conditioned LM vs an RL-tuned LM against a proxy
reward, on a text world whose likelihood and support are known exactly.

Modules, one job each, imported downwards in this order: world (the generator and its exact
likelihood) -> rewards (gold and features) -> proxy (Bradley–Terry reward model) -> vocab (the LM's
tokenizer) -> model (GPT-2 from scratch, pretraining) -> sample (sampling and scoring texts) ->
measure (a method's metrics at one knob) -> methods (conditional, filtered, best-of-n, RL, iterated)
-> fits (Gao et al.'s forms) -> questions (the three verdicts) -> config, store, runner.
"""
