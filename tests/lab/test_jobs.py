"""The job records the panel polls: the command lines, line streaming past the kept tail, links."""

from __future__ import annotations

import sys

import pytest

from workbench.lab.jobs import MAX_LINES, Job, job_argv


def test_command_lines() -> None:
    head = [sys.executable, "-m", "workbench"]
    assert job_argv("productionize", "nb/a.ipynb", "a") == [*head, "productionize", "nb/a.ipynb"]
    assert job_argv("verify", "nb/a.ipynb", "a")[3:] == ["productionize", "nb/a.ipynb", "--verify"]
    assert job_argv("run", "nb/a.ipynb", "a")[3:] == ["pipeline", "run", "a", "--lineage", "wait"]
    with pytest.raises(KeyError):
        job_argv("rm -rf", "nb/a.ipynb", "a")


def test_polling_past_the_kept_tail_loses_no_order() -> None:
    job = Job("1", "run", "a.ipynb", job_argv("run", "a.ipynb", "a"))
    seen: list[str] = []
    cursor = 0
    for number in range(MAX_LINES + 300):
        job.add(f"line {number}")
        if number % 700 == 0:
            answer = job.as_json(cursor)
            seen += answer["lines"]
            cursor = answer["next"]
    seen += job.as_json(cursor)["lines"]
    assert seen == [f"line {n}" for n in range(MAX_LINES + 300)]
    assert len(job.lines) == MAX_LINES and job.as_json(0)["lines"][0] == "line 300"
    assert job.as_json()["command"] == "workbench pipeline run a --lineage wait"


def test_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """The links come from the summary `pipeline run` really prints (runner.outcome)."""
    from workbench.runner.outcome import outcome_lines

    monkeypatch.setenv("WORKBENCH_UI_URL", "http://127.0.0.1:5123/")
    parent, step = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    events = [{"kind": "metrics", "metrics": {"rmse": 0.5}, "run_id": step, "experiment_id": "3"}]
    summary = outcome_lines([("train", events)], base=None, parent_run_id=parent, experiment_id="2")
    job = Job("2", "run", "a.ipynb", [])
    for line in ["pipeline train: succeeded", *summary, *summary]:
        job.add(line)
    job.add("see https://example.org/docs, then (http://127.0.0.1:9/x).")
    links = job.links()
    assert links["runs"] == [
        {"id": parent, "url": f"http://127.0.0.1:5123/#/experiments/2/runs/{parent}",
         "pipeline": True},
        {"id": step, "url": f"http://127.0.0.1:5123/#/experiments/3/runs/{step}"},
    ]  # fmt: skip
    assert links["urls"] == ["http://127.0.0.1:9/x", "https://example.org/docs"]
