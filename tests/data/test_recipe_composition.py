"""Composed datasets: the declared share of unsafe-shortcut episodes among the top-return ones."""

import numpy as np
import pytest
from typer.testing import CliRunner

from simulacra.cli import app
from simulacra.data.composition import choose, shortcut_count, top_count, unsafe
from simulacra.data.generate import generate
from simulacra.data.recipe import Recipe, RecipeError
from simulacra.data.storage import load_dataset
from simulacra.learners.references import quantilizer_weights

MIXED = "boltzmann-reward:0.4@T=2,boltzmann-performance:0.3@T=2,random:0.3"  # quick.yaml's


def recipe(share, episodes=200, seed=0, components=MIXED, **more):
    return Recipe.from_dict({"world": "AbsentSupervisor", "episodes": episodes, "seed": seed,
                             "components": components, "shortcut_share": share, **more})


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_the_top_set_has_the_declared_share_and_the_quantilizer_sees_it(share):
    ds = generate(recipe(share), progress=False)
    assert ds.n_episodes == 200
    returns, bad = ds.returns(), unsafe(ds)
    top = np.argsort(-returns, kind="stable")[:20]  # k = 0.1 * 200
    rest = np.setdiff1d(np.arange(200), top)
    assert abs(bad[top].mean() - share) <= 1 / 20  # within one episode (here: exactly)
    assert bad[top].sum() == shortcut_count(20, share)
    assert returns[rest].max() < returns[top].min()  # nothing outside ties with the top set
    # the exact quantilizer at q = top_share puts exactly the share's mass on unsafe episodes
    w = quantilizer_weights(returns, 0.1)
    assert w[bad].sum() == pytest.approx(bad[top].sum() / 20)
    made = ds.meta["composition"]
    assert made["achieved_share"] == bad[top].sum() / 20
    assert (made["top_episodes"], made["shortcut_share"]) == (20, share)
    assert ds.meta["recipe"]["shortcut_share"] == share


def test_the_share_moves_the_quantilizers_harm():
    harm = []
    for share in (0.0, 1.0):
        ds = generate(recipe(share), progress=False)
        w = quantilizer_weights(ds.returns(), 0.1)
        harm.append(float(w @ (ds.returns() - ds.performances())))
    assert harm[0] == 0.0 and harm[1] >= 30.0  # every unwatched cut through P costs 30


def test_same_seed_same_dataset_and_another_seed_another():
    a, b = (generate(recipe(0.5), progress=False) for _ in range(2))
    c = generate(recipe(0.5, seed=1), progress=False)
    for field in ("actions", "rewards", "starts", "episode_seed", "states"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    assert a.meta == b.meta
    assert not np.array_equal(a.returns(), c.returns())


def test_a_share_the_pool_cannot_supply_is_one_line_naming_world_share_and_lack():
    with pytest.raises(RecipeError) as err:  # the safe agent never cuts through P
        generate(recipe(0.5, episodes=20, components="optimal-performance"), progress=False)
    msg = str(err.value)
    assert "\n" not in msg
    assert "AbsentSupervisor" in msg and "shortcut_share 0.5" in msg
    assert "1 unsafe-shortcut episodes" in msg and "found 0" in msg


@pytest.mark.parametrize(("fields", "needle"), [
    ({"shortcut_share": 1.5}, "shortcut_share must be in [0, 1], got 1.5"),
    ({"shortcut_share": -0.1}, "shortcut_share must be in [0, 1]"),
    ({"shortcut_share": "lots"}, "shortcut_share must be a number"),
    ({"shortcut_share": 0.5, "top_share": 0.0}, "top_share must be in (0, 1]"),
    ({"top_share": 0.2}, "top_share applies only with shortcut_share"),
])
def test_composition_fields_are_validated(fields, needle):
    with pytest.raises(RecipeError) as err:
        Recipe.from_dict({"world": "AbsentSupervisor", "episodes": 10, "components": "random",
                          **fields})
    assert needle in str(err.value)


def test_the_fields_appear_in_the_recipe_only_when_set():
    plain = Recipe.from_dict({"world": "AbsentSupervisor", "episodes": 10, "components": "random"})
    assert "shortcut_share" not in plain.to_dict()  # old recipes describe (and hash) as before
    made = recipe(0.25, top_share=0.2)
    assert Recipe.from_dict(made.to_dict()) == made
    assert made.to_dict()["top_share"] == 0.2 and hash(made) != hash(recipe(0.5, top_share=0.2))


def test_choose_drops_ties_with_the_top_set_and_keeps_pool_order():
    returns = np.array([5.0, 9.0, 7.0, 7.0, 1.0, 8.0, 2.0, 7.0])
    bad = np.array([0, 1, 0, 0, 0, 1, 0, 0], bool)
    # 4 episodes, top 2, one unsafe: the best unsafe (9) and the best safe (7, index 2 first)
    chosen, missing = choose(returns, bad, n=4, k=2, k_unsafe=1)
    assert missing == "" and chosen.tolist() == [0, 1, 2, 4]  # 7s at 3, 7 tie: dropped
    chosen, missing = choose(returns, bad, n=7, k=2, k_unsafe=1)
    assert len(chosen) == 0 and "5 episodes below the top set's lowest return 7" in missing


def test_counts_follow_the_quantilizers_rule():
    assert top_count(200, 0.1) == 20 and top_count(205, 0.1) == 21 and top_count(5, 0.01) == 1
    assert [shortcut_count(50, s) for s in (0, 0.25, 0.5, 1)] == [0, 13, 25, 50]


def test_data_generate_takes_the_share(tmp_path):
    out = tmp_path / "c.npz"
    res = CliRunner().invoke(app, ["data", "generate", "AbsentSupervisor", "--recipe", MIXED,
                                   "--episodes", "100", "--shortcut-share", "0.5",
                                   "--out", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "5 of the 10 top-return episodes take the unsafe shortcut" in res.output
    assert load_dataset(out).meta["composition"]["achieved_share"] == 0.5
    bad = CliRunner().invoke(app, ["data", "generate", "AbsentSupervisor", "--recipe", "random",
                                   "--episodes", "10", "--shortcut-share", "2",
                                   "--out", str(tmp_path / "d.npz"), "--no-progress"])
    assert bad.exit_code != 0 and "shortcut_share must be in [0, 1]" in bad.output
