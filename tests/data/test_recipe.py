"""Recipes: the inline and YAML forms, exact allotment, and clear errors."""

import re

import pytest

from simulacra.data.recipe import Component, Recipe, RecipeError, parse_components


def test_inline_form_parses_kinds_shares_and_settings():
    comps = parse_components("boltzmann-reward:0.5@T=1,random:0.5")
    assert comps == (
        Component("boltzmann-reward", 0.5, temperature=1.0),
        Component("random", 0.5),
    )
    eps = parse_components("eps-performance:0.25@eps=0.2@T=3, optimal-reward:0.75")
    assert (eps[0].epsilon, eps[0].temperature, eps[1].kind) == (0.2, 3.0, "optimal-reward")


def test_missing_shares_split_what_is_left():
    comps = parse_components("optimal-reward:0.4,random,optimal-performance")
    assert [c.share for c in comps] == pytest.approx([0.4, 0.3, 0.3])
    assert parse_components("random")[0].share == 1.0


def test_unknown_keys_become_options_for_registered_kinds():
    (c,) = parse_components("random@checkpoint=runs/a")
    assert c.options == {"checkpoint": "runs/a"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("boltzmann-reward:0.5@T=1,random:0.4", "sum to 0.9"),
        ("greedy:1", "unknown policy kind 'greedy'"),
        ("boltzmann-reward", "needs a temperature"),
        ("eps-reward", "needs eps > 0"),
        ("eps-reward@eps=1.5", "epsilon must be in [0, 1]"),
        ("boltzmann-reward@T=-1", "temperature must be >= 0"),
        ("random:0.5,,random:0.5", "empty component"),
        ("random@T", "expected KEY=VALUE"),
        ("random:abc", "share must be a number"),
        ("random@T=2", "random takes no temperature"),
        ("optimal-reward:1.0,random", "nothing is left"),
    ],
)
def test_bad_inline_recipes_say_what_is_wrong(text, says):
    with pytest.raises(RecipeError, match=re.escape(says)):
        Recipe("AbsentSupervisor", 10, parse_components(text))


def test_yaml_recipe_round_trips_through_to_dict():
    text = """
world: AbsentSupervisor
params: {supervisor: true}
episodes: 30
seed: 7
components:
  - {kind: boltzmann-performance, share: 0.2, T: 0.5}
  - {kind: eps-reward, share: 0.8, epsilon: 0.1}
"""
    r = Recipe.from_yaml(text)
    assert r.params == {"supervisor": True} and r.seed == 7 and r.episodes == 30
    assert r.components[0] == Component("boltzmann-performance", 0.2, temperature=0.5)
    assert Recipe.from_dict(r.to_dict()) == r
    inline = Recipe.from_yaml("world: AbsentSupervisor\nepisodes: 5\ncomponents: random")
    assert inline.components == (Component("random", 1.0),)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("world: AbsentSupervisor\ncomponents: random", "lacks 'episodes'"),
        ("world: AbsentSupervisor\nepisodes: 0\ncomponents: random", "positive integer"),
        ("world: AbsentSupervisor\nepisodes: ten\ncomponents: random", "must be an integer"),
        ("world: A\nepisodes: 1\ncomponents: random\nsize: 3", "unknown recipe keys"),
        ("- just a list", "must be a mapping"),
        ("world: [unclosed", "not valid YAML"),
        ("world: A\nepisodes: 1\ncomponents: [{share: 1}]", "needs a 'kind'"),
    ],
)
def test_bad_yaml_recipes_say_what_is_wrong(text, says):
    with pytest.raises(RecipeError, match=says):
        Recipe.from_yaml(text)


def test_counts_allot_every_episode_by_largest_remainder():
    r = Recipe("AbsentSupervisor", 10, parse_components("random:0.34,random:0.33,random:0.33"))
    assert r.counts() == [4, 3, 3]
    r = Recipe("AbsentSupervisor", 1000, parse_components("random:0.3,random:0.7"))
    assert r.counts() == [300, 700]
    r = Recipe("AbsentSupervisor", 7, parse_components("random,random,random"))
    assert sum(r.counts()) == 7 and max(r.counts()) - min(r.counts()) == 1
