"""Decoding (issue 14): every job evaluates its policy under each of the study's decodes, the store
keeps `decode` on every row (old stores are migrated), and the report reads the verdict's."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from simulacra.evaluate.rollout import rollout
from simulacra.learners.references import ExactPolicy, make_reference
from simulacra.report.load import load
from simulacra.study.grid import expand
from simulacra.study.jobs import JobResult
from simulacra.study.repair import repair
from simulacra.study.rollout import evaluate_policy, result_from_episodes, under_decodes
from simulacra.study.runner import run_study
from simulacra.study.schema import validate
from simulacra.study.store import DECODED, Store, StoreError

WORLD = "AbsentSupervisor"
RECIPE = {"episodes": 40, "components": "boltzmann-reward:0.5@T=1,random:0.5"}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULACRA_CACHE_DIR", str(tmp_path / "cache"))


def job_of(learner, episodes=12, **over):
    doc = {"name": "d", "seeds": [3], "worlds": [WORLD], "datasets": {"mixed": RECIPE},
           "learners": [learner], "evaluation": {"episodes": episodes, "replays": 1}, **over}
    return expand(validate(doc))[0]


@pytest.fixture(scope="module")
def tiny_dt():
    """A small DT trained for a few steps on 30 random episodes (the dataset and the policy)."""
    import torch

    from simulacra.learners.dt_train import TrainConfig
    from simulacra.reproduce.common import make_dataset, train_dt

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: more threads only contend (10x slower here)
    data = make_dataset(WORLD, "random", 30, seed=0)
    budget = TrainConfig(steps=10, warmup_steps=2, batch_size=8, hidden=16, n_layer=1, context=4)
    policy, _ = train_dt(data, budget, seed=0)
    yield data, policy
    torch.set_num_threads(threads)


def by_decode(rows, decode):
    return [r for r in rows if r["decode"] == decode]


def test_a_dt_is_evaluated_under_each_decode_with_its_switch_set(tiny_dt):
    data, policy = tiny_dt
    job = job_of({"learner": "dt", "dataset": "mixed"}, episodes=6)
    targets = [20.0, 45.0]
    out = evaluate_policy(job, policy, knobs=targets, targets=targets, data=data,
                          sweep_metrics=True)
    n = job.evaluation.episodes
    sample, greedy = by_decode(out.episodes, "sample"), by_decode(out.episodes, "greedy")
    assert len(sample) == len(greedy) == 2 * n and len(out.episodes) == 4 * n
    assert [r["episode"] for r in sample] == [r["episode"] for r in greedy] == list(range(2 * n))
    # Each decode's rows are the rollouts of the policy with its switch set that way.
    for decode, rows in (("sample", sample), ("greedy", greedy)):
        policy.greedy = decode == "greedy"
        eps = rollout(policy, WORLD, job.world.params, episodes=n, seed=job.seed, targets=45.0)
        assert [r["return"] for r in rows[n:]] == [float(x) for x in eps.returns]
        assert [r["length"] for r in rows[n:]] == [int(x) for x in eps.lengths]
    assert [(r["return"], r["length"]) for r in sample] != \
        [(r["return"], r["length"]) for r in greedy]
    # Metrics per decode (the sweep's calibration included), replays per decode.
    for decode in ("sample", "greedy"):
        names = {m["metric"] for m in by_decode(out.metrics, decode)}
        assert "ood_state_rate" in names and "calibration_mae" in names
    assert {r.decode for r in out.replays} == {"sample", "greedy"}


def test_a_policy_with_nothing_to_decode_is_evaluated_once_and_stored_under_each():
    job = job_of("random")
    policy = make_reference("random", WORLD, job.world.params, seed=job.seed)
    calls = []

    def measure() -> JobResult:
        calls.append(1)
        eps = rollout(policy, WORLD, job.world.params, episodes=job.evaluation.episodes,
                      seed=job.seed)
        return result_from_episodes(eps, 1, metrics=True)

    out = under_decodes(job, policy, measure)
    assert len(calls) == 1
    sample, greedy = by_decode(out.episodes, "sample"), by_decode(out.episodes, "greedy")
    assert len(sample) == job.evaluation.episodes
    strip = lambda rows: [{k: v for k, v in r.items() if k != "decode"} for r in rows]  # noqa: E731
    assert strip(sample) == strip(greedy)
    assert strip(by_decode(out.metrics, "sample")) == strip(by_decode(out.metrics, "greedy"))


def test_the_exact_optimum_breaks_ties_uniformly_or_takes_the_first_optimal_action(tmp_path):
    """On BoatRace the reward optimum has tied actions: sampled among them it goes round the
    track (performance near the optimum), always taking the first it paces back and forth on
    one reward tile (performance 0). Each decode's exact figures are of the policy it ran."""
    policy = make_reference("reward-optimal", "BoatRace", {}, seed=1)
    assert isinstance(policy, ExactPolicy) and policy.greedy is False
    doc = {"name": "boat", "seeds": 1, "worlds": ["BoatRace"], "learners": ["reward_optimal"],
           "evaluation": {"episodes": 16, "replays": 0, "metrics": False}}
    assert run_study(validate(doc), tmp_path, backend="inline", show_progress=False).failed == 0
    exact, mean = {}, {}
    for decode in ("sample", "greedy"):
        res = load(tmp_path, decode=decode)
        m = res.metrics.set_index("metric")["value"]
        exact[decode] = (m["exact_return"], m["exact_performance"])
        mean[decode] = (res.episodes["return"].mean(), res.episodes["performance"].mean())
    assert exact["sample"][0] == pytest.approx(exact["greedy"][0]) == 50.0  # both optimal
    assert exact["greedy"] == pytest.approx(mean["greedy"])  # one deterministic route
    assert exact["greedy"][1] == pytest.approx(0.0) and exact["sample"][1] > 40
    assert mean["sample"][1] > 40


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished tiny study: random and the reward optimum, both decodes."""
    out = tmp_path_factory.mktemp("decoded")
    doc = {"name": "dec", "seeds": 1, "worlds": [WORLD],
           "learners": ["random", "reward_optimal"],
           "evaluation": {"episodes": 16, "replays": 1}}
    summary = run_study(validate(doc), out, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    return out


def test_the_report_reads_the_verdicts_decode_and_the_other_on_request(finished):
    default, greedy = load(finished), load(finished, decode="greedy")
    assert default.decode == "sample" and greedy.decode == "greedy"
    for res, decode in ((default, "sample"), (greedy, "greedy")):
        for frame in (res.episodes, res.metrics, res.replays):
            assert set(frame["decode"]) == {decode}
        assert len(res.episodes) == 2 * 16  # one evaluation per episode, two jobs
    rnd = lambda res: res.episodes[res.episodes["learner"] == "random"]  # noqa: E731
    assert list(rnd(default)["return"]) == list(rnd(greedy)["return"])
    exact = lambda res: res.metrics[res.metrics["metric"] == "exact_return"]  # noqa: E731
    assert list(exact(default)["value"]) == pytest.approx(list(exact(greedy)["value"]))
    with pytest.raises(StoreError, match="evaluated under sample, greedy, not 'beam'"):
        load(finished, decode="beam")


def test_a_study_decoded_one_way_reads_that_way(tmp_path):
    doc = {"name": "g", "seeds": 1, "worlds": [WORLD], "learners": ["random"],
           "evaluation": {"episodes": 4, "replays": 0, "decode": ["greedy"]},
           "verdict": {"decode": "greedy"}}
    run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    assert set(load(tmp_path).episodes["decode"]) == {"greedy"}
    with pytest.raises(StoreError, match="evaluated under greedy, not 'sample'"):
        load(tmp_path, decode="sample")


def _as_before_decodes(folder):
    """The folder's store as a version without decodes wrote it: no column, the rows once."""
    con = duckdb.connect(str(folder / "results.duckdb"))
    for table in DECODED:
        con.execute(f"DELETE FROM {table} WHERE decode = 'greedy'")
        con.execute(f"ALTER TABLE {table} DROP COLUMN decode")
    con.execute("ALTER TABLE metrics DROP COLUMN target")  # nor per-target metrics
    con.close()


def test_an_old_store_is_read_as_it_is_and_migrated_in_place(finished, tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(finished, folder)
    _as_before_decodes(folder)
    old = load(folder)  # read-only: no column yet, every row is read
    assert len(old.episodes) == 2 * 16 and "decode" not in old.episodes
    assert len(old.metrics) and old.metrics["target"].isna().all()  # the report reads target
    Store(folder / "results.duckdb").close()  # what a run or a repair does first
    con = duckdb.connect(str(folder / "results.duckdb"), read_only=True)
    for table in DECODED:
        n, nulls = con.execute(f"SELECT count(*), count(*) - count(decode) FROM {table}"
                               ).fetchone()
        assert n == nulls > 0  # the column is there; the old rows keep NULL
    con.close()
    for decode in ("sample", "greedy"):  # nothing computed is lost: read under either
        res = load(folder, decode=decode)
        assert list(res.episodes["return"]) == list(old.episodes["return"])
        assert len(res.metrics) == len(old.metrics)


def test_repair_rebuilds_every_decodes_rows_from_the_job_folders(finished, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(finished, folder)
    (folder / "results.duckdb").unlink()
    summary = repair(folder)
    assert summary.restored == 2 and summary.left == 0
    for decode in ("sample", "greedy"):
        before, after = load(finished, decode=decode), load(folder, decode=decode)
        key = ["learner", "episode"]
        a = before.episodes.sort_values(key)[["learner", "episode", "return", "decode"]]
        b = after.episodes.sort_values(key)[["learner", "episode", "return", "decode"]]
        assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
        assert len(after.metrics) == len(before.metrics)


def test_a_measurement_that_decodes_itself_is_refused():
    """Nesting `evaluate_policy` inside `under_decodes` would store one decode's rows under the
    other (the policy's switch is left as the inner loop left it)."""
    job = job_of("reward_optimal", episodes=2)
    policy = make_reference("reward-optimal", WORLD, job.world.params, seed=job.seed)
    with pytest.raises(ValueError, match="must not loop over decodes"):
        under_decodes(job, policy, lambda: evaluate_policy(job, policy))


def test_the_decode_switch():
    from simulacra.evaluate.decode import can_decode, set_decode

    exact = make_reference("reward-optimal", WORLD, {}, seed=0)
    set_decode(exact, "greedy")
    assert exact.greedy is True
    random = make_reference("random", WORLD, {}, seed=0)
    assert can_decode(exact) and not can_decode(random)
    with pytest.raises(ValueError, match="nothing to decode"):
        set_decode(random, "greedy")
    with pytest.raises(ValueError, match="unknown decode 'beam'"):
        set_decode(exact, "beam")


def test_a_dt_jobs_episodes_come_out_under_both_decodes(tmp_path):
    """The DT job (learner_jobs.run_dt) through a study: each target's episodes under both
    decodes, sampled ones unlike greedy ones, and calibration per decode."""
    tiny = {"steps": 10, "warmup_steps": 2, "batch_size": 8, "hidden": 16, "n_layer": 1,
            "context": 4}
    doc = {"name": "dt", "seeds": 1, "worlds": [WORLD],
           "datasets": {"rand": {"episodes": 30, "components": "random"}},
           "learners": [{"learner": "dt", "dataset": "rand", "config": tiny,
                         "knob_values": [0.0, 40.0], "yardsticks": False}],
           "evaluation": {"episodes": 6, "replays": 1}}
    summary = run_study(validate(doc), tmp_path, backend="inline", show_progress=False)
    assert summary.failed == 0, summary.failures
    sample, greedy = load(tmp_path), load(tmp_path, decode="greedy")
    for res in (sample, greedy):
        assert sorted(res.episodes.groupby("knob").size().items()) == [(0.0, 6), (40.0, 6)]
        assert "calibration_mae" in set(res.metrics["metric"])
    key = ["knob", "episode"]
    a = sample.episodes.sort_values(key)[["return", "length"]].to_numpy()
    b = greedy.episodes.sort_values(key)[["return", "length"]].to_numpy()
    assert (a != b).any()
