"""Failures stop only dependants; a SIGKILLed runner never leaves an entry that is trusted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runner.conftest import ran
from workbench.core.settings import settings
from workbench.runner import RunOptions, run_pipeline
from workbench.runner.store import ENTRY_FILE, ArtifactStore, EntryRejected
from workbench.runtime import read_value
from workbench.spec.model import PipelineSpec


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_failing_step_blocks_dependants_keeps_the_rest_and_resumes(
    demo: PipelineSpec, project: Path
) -> None:
    result = run_pipeline("demo", RunOptions(overrides=("scale=-1",), lineage="off"))
    status = {name: step.status for name, step in result.steps.items()}
    assert status == {
        "load": "done",
        "clean": "done",
        "stats": "done",
        "scaled": "failed",
        "report": "blocked",
    }
    assert not result.ok and result.steps["scaled"].exit_code == 1
    ran(project)
    # the next run resumes: only the failed step and its dependant run
    resumed = run_pipeline("demo", RunOptions(lineage="off"))
    assert resumed.ok and sorted(resumed.executed) == ["report", "scaled"]


def test_cli_failure_prints_step_exit_code_log_tail_and_path(
    demo: PipelineSpec, project: Path
) -> None:
    proc = cli("pipeline", "run", "demo", "-p", "scale=-1", "--lineage", "off")
    assert proc.returncode == 1
    err = proc.stderr
    assert "step scaled failed (exit code 1)" in err
    assert "scaled: refusing a negative scale" in err
    assert "ValueError: scale must be >= 0, got -1.0" in err
    log = next((project / ".workbench" / "cache" / "logs" / "demo").glob("*/scaled.log"))
    assert f"full log: {log}" in err
    assert "Traceback" not in err.split("last 20 lines")[0]  # the runner itself did not crash


def test_cli_bad_parameter_is_a_clear_error(demo: PipelineSpec) -> None:
    proc = cli("pipeline", "run", "demo", "-p", "threshold=x", "--lineage", "off")
    assert proc.returncode == 1
    assert "parameter threshold" in proc.stderr and "Traceback" not in proc.stderr
    assert not (Path.cwd() / ".workbench" / "artifacts").exists()  # nothing half-written


@pytest.mark.slow
def test_entry_with_changed_output_is_not_trusted(demo: PipelineSpec, project: Path) -> None:
    first = run_pipeline("demo", RunOptions(lineage="off"))
    ran(project)
    store = ArtifactStore(settings().artifact_store)
    uri = store.output_uri("demo", "stats", first.steps["stats"].key, "total")
    # a tampered artifact: data and its meta agree with each other, but not with the record
    meta = json.loads(Path(uri, "meta.json").read_text())
    Path(uri, "data.json").write_text("99.0")
    meta["sha256"] = "0" * 64
    Path(uri, "meta.json").write_text(json.dumps(meta))
    with pytest.raises(EntryRejected, match="another digest"):
        store.lookup("demo", "stats", first.steps["stats"].key, ("total",))
    again = run_pipeline("demo", RunOptions(lineage="off"))
    assert again.executed == ["stats"]
    assert read_value(uri) == 5.0
    # a missing record: the outputs are there, but nothing vouches for them
    Path(store.entry_uri("demo", "clean", first.steps["clean"].key), ENTRY_FILE).unlink()
    assert run_pipeline("demo", RunOptions(lineage="off")).executed == ["clean"]


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too: it only waits to be reaped by init
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_sigkill_mid_step_then_rerun_completes_and_trusts_no_corrupt_entry(
    demo: PipelineSpec, project: Path
) -> None:
    hold = project / "hold"
    hold.write_text("")
    env = {**os.environ, "DEMO_HOLD": str(hold)}
    runner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "pipeline",
            "run",
            "demo",
            "--jobs",
            "1",
            "--lineage",
            "off",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(project / "stats.pid")  # stats is running, held
        step_pid = int((project / "stats.pid").read_text())
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
    deadline = time.monotonic() + 10
    while _alive(step_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(step_pid), "the step process outlived its killed runner"

    store = ArtifactStore(settings().artifact_store)
    entries = {e.step: e for e in store.entries("demo")}
    assert entries["load"].complete and entries["clean"].complete
    # the killed step left its partial output, and no record vouching for it
    assert not entries["stats"].complete
    partial = Path(store.entry_uri("demo", "stats", entries["stats"].key), "total")
    assert (partial / "data.json").read_text() == "4"
    ran(project)
    hold.unlink()
    result = run_pipeline("demo", RunOptions(lineage="off"))
    assert result.ok
    assert result.steps["load"].status == "cached" and result.steps["clean"].status == "cached"
    assert sorted(ran(project)) == ["report", "scaled", "stats"]
    assert result.steps["stats"].key == entries["stats"].key  # same key, re-run, not trusted
    assert read_value(str(partial)) == 5.0
    assert store.lookup("demo", "stats", entries["stats"].key, ("total",)) is not None
