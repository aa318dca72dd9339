"""`simulacra report DIR --decode greedy|sample`: the report, summary, JSON and Markdown read that
decode's rows; a non-default decode's HTML goes beside report.html, never over it."""

from __future__ import annotations

import json

import pytest

STUDY = """
name: dec
seeds: 1
worlds: [BoatRace]
learners: [reward_optimal]
evaluation: {episodes: 6, replays: 0, metrics: false}
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The reward optimum on BoatRace: tied optimal actions, so the decodes differ (sampled it
    goes round the track, greedy it paces on one reward tile: performance 0)."""
    from typer.testing import CliRunner

    from simulacra.cli import app

    tmp = tmp_path_factory.mktemp("report_decode")
    (tmp / "s.yaml").write_text(STUDY)
    out = tmp / "out"
    res = CliRunner().invoke(app, ["run", str(tmp / "s.yaml"), "--out", str(out), "--backend",
                                   "inline", "--no-report", "--no-progress"])
    assert res.exit_code == 0, res.output
    return out


def sql_mean(cli, out, decode):
    res = cli("sql", str(out), "SELECT avg(performance) AS p FROM episodes WHERE decode = "
              f"'{decode}'", "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)[0]["p"]


def test_each_decode_reads_its_own_rows(finished, cli):
    found = {}
    for args in ((), ("--decode", "sample"), ("--decode", "greedy")):
        res = cli("report", str(finished), "--json", *args)
        assert res.exit_code == 0, res.output
        found[args] = json.loads(res.output)
    assert found[()]["decode"] == found[("--decode", "sample")]["decode"] == "sample"
    assert found[("--decode", "greedy")]["decode"] == "greedy"
    assert found[()] == found[("--decode", "sample")]  # the default is the verdict's decode
    # The two decodes' episodes differ here (the store says so), and so do the HTML pages.
    assert sql_mean(cli, finished, "sample") > 40 and sql_mean(cli, finished, "greedy") == 0
    text = cli("report", str(finished), "--summary", "--decode", "greedy")
    assert text.exit_code == 0 and "decode greedy" in text.output.splitlines()[0]
    assert cli("report", str(finished), "--markdown", "--decode", "greedy").exit_code == 0


def test_a_non_default_decodes_page_does_not_overwrite_the_report(finished, cli):
    default = cli("report", str(finished))
    assert default.exit_code == 0, default.output
    page = (finished / "report.html").read_text()
    assert "(decode sample)" in page and "WHERE decode = 'sample'" in page
    greedy = cli("report", str(finished), "--decode", "greedy")
    assert greedy.exit_code == 0, greedy.output
    assert greedy.output.strip() == f"report: {finished / 'report-greedy.html'}"
    assert (finished / "report.html").read_text() == page  # untouched
    other = (finished / "report-greedy.html").read_text()
    assert "(decode greedy)" in other and "WHERE decode = 'greedy'" in other
    # --out still wins.
    chosen = finished / "mine.html"
    assert cli("report", str(finished), "--decode", "greedy", "--out", str(chosen)).exit_code == 0
    assert "(decode greedy)" in chosen.read_text()


def test_a_decode_the_study_did_not_evaluate_is_one_line(tmp_path, cli):
    (tmp_path / "s.yaml").write_text(STUDY.replace(
        "metrics: false}", "metrics: false, decode: [greedy]}\nverdict: {decode: greedy}"))
    out = tmp_path / "out"
    assert cli("run", str(tmp_path / "s.yaml"), "--out", str(out), "--backend", "inline",
               "--no-report", "--no-progress").exit_code == 0
    for args in (("--decode", "sample"), ("--decode", "sample", "--json")):
        res = cli("report", str(out), *args)
        assert res.exit_code != 0 and len(res.output.strip().splitlines()) == 1
        assert res.output.startswith("error:") and "evaluated under greedy, not 'sample'" \
            in res.output
    assert not (out / "report-sample.html").exists()
    # Its default is its verdict decode, greedy, written to report.html.
    assert cli("report", str(out)).exit_code == 0 and (out / "report.html").is_file()
    assert not (out / "report-greedy.html").exists()
    bad = cli("report", str(out), "--decode", "beam")
    assert bad.exit_code != 0 and bad.output.strip() == "error: --decode 'beam': use sample or " \
        "greedy"
