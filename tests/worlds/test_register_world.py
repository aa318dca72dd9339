"""A world from outside the package (`simulacra.register_world`): a user's module defines and
registers it, and every face of simulacra serves it: make_world, the compiled tables and the exact
solver, make_batch, data generation, gymnasium.make / make_vec, and a study that lists the module
under `imports` (run in spawned worker processes, which import it themselves)."""

from __future__ import annotations

import importlib
import sys
import textwrap

import duckdb
import gymnasium as gym
import numpy as np
import pytest

import simulacra
from simulacra.worlds.base import World
from simulacra.worlds.registry import compiled, make_batch, make_world, world_names

# A user's module, as they would write it: one World subclass and one register_world call.
CORRIDOR = '''
"""A corridor: walk right to the goal, -1 a step, +10 at G; bumping the left wall is an event."""

import simulacra
from simulacra.worlds.base import LEFT, RIGHT, Outcome, World


class Corridor(World):
    name = "TestCorridor"
    event_names = ("bumped",)
    alphabet = "# AG"
    max_steps = 20

    def __init__(self, length: int = 4) -> None:
        if length < 2:
            raise ValueError(f"length must be >= 2, got {length}")
        self.length = length

    def params(self):
        return {"length": self.length}

    def initial_states(self):
        return [(1.0, 0)]

    def outcomes(self, state, action):
        pos = state + (action == RIGHT) - (action == LEFT and state > 0)
        events = {"bumped": 1} if action == LEFT and state == 0 else {}
        done = pos == self.length - 1
        reward = -1.0 + 10.0 * done
        return [Outcome(1.0, pos, reward, reward, events, done)]

    def observe(self, state):
        row = ["A" if i == state else "G" if i == self.length - 1 else " "
               for i in range(self.length)]
        return ["#" * (self.length + 2), "#" + "".join(row) + "#", "#" * (self.length + 2)]


simulacra.register_world(Corridor)
'''


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    """The user's module, importable by name (its folder on sys.path, as an installed package or
    PYTHONPATH would make it), imported once: it registers TestCorridor."""
    folder = tmp_path_factory.mktemp("user")
    (folder / "user_corridor.py").write_text(CORRIDOR)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("user_corridor")
    finally:
        sys.path.remove(str(folder))


def test_make_world_compiled_tables_and_the_exact_solver(user_module):
    from simulacra.exact.references import reference_figures

    assert "TestCorridor" in world_names()
    assert make_world("TestCorridor", length=5).params() == {"length": 5}
    with pytest.raises(ValueError, match="length must be"):
        make_world("TestCorridor", length=1)
    cw = compiled("TestCorridor")
    assert cw.n_states == 4  # positions 0..3
    ref = reference_figures(cw)
    assert ref.optimal_return == pytest.approx(7.0)  # three steps right: -3 + 10
    assert ref.random_return < ref.optimal_return


def test_make_batch_and_gymnasium_make_and_make_vec(user_module):
    batch = make_batch("TestCorridor", 3, seed=0)
    batch.reset()
    for _ in range(2):
        res = batch.step(np.full(3, 3))
    res = batch.step(np.full(3, 3))
    assert res.terminated.all() and res.reward.tolist() == [9.0] * 3

    env = gym.make("simulacra/TestCorridor-v0", length=3)
    env.reset(seed=0)
    *_, info = env.step(2)  # left into the wall: the event travels in info
    assert info["events"] == {"bumped": 1}
    _, reward, terminated, _, _ = env.step(3)
    assert terminated is False and reward == -1.0
    _, reward, terminated, _, _ = env.step(3)
    assert terminated and reward == 9.0
    env.close()

    envs = gym.make_vec("simulacra/TestCorridor-v0", num_envs=4)
    obs, _ = envs.reset(seed=1)
    assert obs.shape[0] == 4
    envs.close()


def test_data_generation(user_module):
    from simulacra.data.generate import generate
    from simulacra.data.recipe import Recipe

    data = generate(Recipe.from_dict({"world": "TestCorridor", "episodes": 20,
                                      "components": "boltzmann-reward:0.5@T=1,random:0.5",
                                      "seed": 0}), progress=False)
    assert data.n_episodes == 20 and data.world == "TestCorridor"
    assert data.returns().max() == pytest.approx(7.0)  # the greedy half reaches the optimum


def test_name_clashes_and_bad_classes_are_clear_errors(user_module):
    class Clash(World):
        name = "AbsentSupervisor"
        initial_states = outcomes = observe = lambda *a: None  # type: ignore[assignment]

    with pytest.raises(ValueError, match="taken by simulacra's own world"):
        simulacra.register_world(Clash)
    other = type("Corridor", (user_module.Corridor,), {"name": "TestCorridor"})
    other.__qualname__ = "SomewhereElse.Corridor"
    with pytest.raises(ValueError, match=r"already registered by user_corridor\.Corridor"):
        simulacra.register_world(other)
    assert simulacra.register_world(user_module.Corridor) == "simulacra/TestCorridor-v0"  # again

    class Abstract(World):
        name = "Abstract"

    with pytest.raises(TypeError, match="does not implement"):
        simulacra.register_world(Abstract)

    class Uncompiled(user_module.Corridor):
        name = "UncompiledCorridor"
        compilable = False

    with pytest.raises(TypeError, match="must implement batch"):
        simulacra.register_world(Uncompiled)
    with pytest.raises(TypeError, match="World subclass"):
        simulacra.register_world(int)  # type: ignore[arg-type]


def _study(doc_extra):
    from simulacra.study.schema import validate

    return validate({
        "name": "corridor", "seeds": 1, "worlds": [{"name": "TestCorridor"}],
        "datasets": {"mixed": {"episodes": 30,
                               "components": "boltzmann-reward:0.5@T=1,random:0.5"}},
        "learners": ["reward_optimal", "random", {"learner": "data", "dataset": "mixed",
                                                  "target_fractions": [1.0]}],  # its best
        "evaluation": {"episodes": 6, "replays": 0}, **doc_extra})


def test_a_study_imports_the_users_module_and_runs_it_in_worker_processes(user_module, tmp_path):
    from simulacra.study.runner import run_study

    study = _study({"imports": ["user_corridor"]})
    summary = run_study(study, tmp_path, backend="local", workers=1, show_progress=False)
    assert summary.failed == 0, summary.failures
    con = duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True)
    means = dict(con.execute("SELECT learner, avg(\"return\") FROM episodes GROUP BY 1").fetchall())
    con.close()
    assert means["reward_optimal"] == pytest.approx(7.0) and means["random"] < 7.0
    assert means["data"] == pytest.approx(7.0)  # the data's best episodes

    # The folder keeps `imports`: `simulacra repair` in a fresh process rebuilds the store.
    import os
    import subprocess

    (tmp_path / "results.duckdb").unlink()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(user_module.__file__).rsplit(os.sep, 1)[0], os.environ.get("PYTHONPATH", "")])}
    code = ("import sys; from simulacra.study.repair import repair; "
            "print(repair(sys.argv[1]).restored)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"


@pytest.mark.parametrize(("imports", "needle"), [
    (["no_such_module_here"], "imports[0]': cannot import no_such_module_here: "
                              "ModuleNotFoundError"),
    (["bad name"], "imports[0]' must be a module name"),
    ("user_corridor", "imports"),
])
def test_bad_imports_are_one_line_errors(imports, needle):
    from simulacra.study.schema import StudyConfigError

    with pytest.raises(StudyConfigError) as err:
        _study({"imports": imports})
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_a_study_without_the_import_does_not_know_the_world():
    """In a fresh process (no module registered it) the study names what is missing."""
    import subprocess

    code = textwrap.dedent('''
        from simulacra.study.schema import StudyConfigError, validate
        try:
            validate({"name": "c", "worlds": ["TestCorridor"], "learners": ["random"]})
        except StudyConfigError as err:
            print(err)
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "unknown world 'TestCorridor'" in out
