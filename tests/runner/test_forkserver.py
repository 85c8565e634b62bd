"""The preloading fork server: a forked step is indistinguishable from `python -m` in a fresh
interpreter (what it sees, how it ends, what it writes), and the fresh launcher still exists."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runner.fork_pipelines import PROBES, write_probe, write_rentals
from workbench.core.settings import settings
from workbench.runner import RunOptions, RunResult, run_pipeline
from workbench.runner.forkclient import preload_modules
from workbench.runner.store import ArtifactStore
from workbench.runtime import read_value

ENDINGS = {"exit3": 3, "sigkill": -signal.SIGKILL, "sigterm": 143, "interrupt": -signal.SIGINT}


def value(result: RunResult, step: str, name: str) -> object:
    run = result.steps[step]
    store = ArtifactStore(settings().artifact_store)
    return read_value(store.output_uri(result.pipeline, step, run.key, name))


def both_ways(name: str, read: Callable[[RunResult], object], jobs: int) -> list[object]:
    """Run forked, then fresh (`--isolate --no-cache`, same keys, same artifact folders):
    [forked result, what `read` took from it, fresh result, what `read` took from it]."""
    out: list[object] = []
    for isolate in (False, True):
        options = RunOptions(lineage="off", jobs=jobs, isolate=isolate, no_cache=isolate)
        result = run_pipeline(name, options)
        out += [result, read(result)]
    return out


def test_forked_step_sees_and_ends_exactly_as_a_fresh_process(project: Path) -> None:
    names = tuple(n for n in PROBES if n != "hold")
    write_probe(project, names)
    forked, seen_forked, fresh, seen_fresh = both_ways(
        "probe", lambda r: value(r, "probe_ok", "seen"), jobs=2
    )
    assert isinstance(forked, RunResult) and isinstance(fresh, RunResult)
    assert (forked.log_dir / "forkserver.log").exists(), "the default launcher is the fork server"
    assert not (fresh.log_dir / "forkserver.log").exists(), "--isolate starts no server"

    seen: list[dict[str, object]] = [seen_forked, seen_fresh]  # type: ignore[list-item]
    ppids = [s.pop("ppid") for s in seen]
    for s, r in zip(seen, (forked, fresh), strict=True):  # each run logs into its own folder
        s["fds"] = {fd: str(t).replace(str(r.log_dir), "LOGS") for fd, t in s["fds"].items()}  # type: ignore[attr-defined]
        # and its step report file (WORKBENCH_STEP_REPORT) lies in that folder too
        s["env"] = {k: str(v).replace(str(r.log_dir), "LOGS") for k, v in s["env"].items()}  # type: ignore[attr-defined]
    assert seen[0]["fds"] == {"0": "/dev/null", "1": "LOGS/probe_ok.log", "2": "LOGS/probe_ok.log"}
    assert ppids[1] == os.getpid() and ppids[0] != os.getpid()  # forked by the server
    for key in seen[1]:
        assert seen[0][key] == seen[1][key], key
    assert seen[0]["threads"] == [1, 1]
    assert seen[0]["argv"][0] == str(project / "steps" / "probe" / "probe_ok.py")

    for name, code in ENDINGS.items():
        assert forked.steps[name].exit_code == fresh.steps[name].exit_code == code, name
    assert forked.steps["traceback"].exit_code == fresh.steps["traceback"].exit_code == 1
    logs = [r.steps["traceback"].log.read_text() for r in (forked, fresh)]  # type: ignore[union-attr]
    assert logs[0] == logs[1]
    assert "to stdout\nto stderr\nTraceback" in logs[0]
    # the step runtime prints the traceback itself (mapped to the notebook cell where it can):
    # nothing of the fork server may show in it
    assert "ValueError: no rentals on a closed day" in logs[0] and "forkchild" not in logs[0]
    # an uncaught KeyboardInterrupt: CPython's traceback, then death by SIGINT
    interrupted = [r.steps["interrupt"].log.read_text() for r in (forked, fresh)]  # type: ignore[union-attr]
    assert interrupted[0] == interrupted[1] and "KeyboardInterrupt" in interrupted[0]
    assert forked.steps["probe_ok"].key == fresh.steps["probe_ok"].key  # the key never changes


@pytest.mark.slow
def test_pandas_sklearn_outputs_are_byte_identical_to_fresh_processes(project: Path) -> None:
    spec = write_rentals(project)
    assert {"pandas", "sklearn.ensemble", "pyarrow.parquet"} <= set(preload_modules(project, spec))
    forked, pools, fresh, _ = both_ways("rentals", lambda r: value(r, "score", "pools"), jobs=1)
    assert isinstance(forked, RunResult) and isinstance(fresh, RunResult)
    assert forked.ok and fresh.ok, [r.steps[s].error for r in (forked, fresh) for s in r.steps]
    assert "preload" not in (forked.log_dir / "forkserver.log").read_text()  # all imported
    digests = [
        {f"{step}.{name}": d for step, run in r.steps.items() for name, d in run.outputs.items()}
        for r in (forked, fresh)
    ]
    assert len(digests[0]) == 9 and digests[0] == digests[1]
    assert {s: r.key for s, r in forked.steps.items()} == {s: r.key for s, r in fresh.steps.items()}
    # BLAS and OpenMP pools as a fresh process sizes them (the server ran them at one thread)
    assert (
        isinstance(pools, list)
        and pools
        and all(n == len(os.sched_getaffinity(0)) for _, n in pools)
    ), pools


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait(predicate: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM to the runner"])
def test_stopping_the_run_stops_the_forked_step_and_the_server(project: Path, how: str) -> None:
    write_probe(project, ("hold",))
    with subprocess.Popen(  # closes the stderr pipe and reaps the runner at the end
        [sys.executable, "-m", "workbench", "pipeline", "run", "probe", "--lineage", "off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    ) as runner:
        try:
            pid_file = project / "hold.pid"
            _wait(lambda: pid_file.exists() and pid_file.read_text())
            step = int(pid_file.read_text())
            server = int(Path(f"/proc/{step}/stat").read_text().split()[3])
            assert server != runner.pid  # the step is the server's child, in the run's group
            assert os.getpgid(step) == os.getpgid(runner.pid)
            if how.startswith("SIGINT"):
                os.killpg(runner.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
            else:
                runner.send_signal(signal.SIGTERM)
            runner.wait(timeout=60)
            assert runner.returncode != 0
            _wait(lambda: not _alive(step) and not _alive(server), 20)
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait()


def test_isolate_flag_and_server_log(project: Path) -> None:
    write_probe(project, ("probe_ok",))
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "pipeline", "run", "probe", "--isolate"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    logs = project / ".workbench" / "cache" / "logs" / "probe"
    assert not list(logs.glob("*/forkserver.log"))


def test_the_runner_wakes_when_a_forked_step_ends(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler waits on the server's socket, not on a timer: with the poll interval at
    30 s, each step still ends within seconds of starting (a sleep-poll would take >= 30 s)."""
    from workbench.runner import execute

    write_probe(project, ("probe_ok", "exit3"))
    monkeypatch.setattr(execute, "POLL_SECONDS", 30.0)
    monkeypatch.setattr(execute, "TICK_SECONDS", 60.0)
    started = time.monotonic()
    result = run_pipeline("probe", RunOptions(lineage="off", jobs=1))
    assert time.monotonic() - started < 25
    assert result.steps["probe_ok"].exit_code == 0 and result.steps["exit3"].exit_code == 3
    assert all(run.seconds < 20 for run in result.steps.values()), result.steps


def test_a_runner_with_many_open_files_still_waits_on_the_server(project: Path) -> None:
    """A notebook kernel that ran for a day can hold over a thousand descriptors: the socket to
    the fork server then has a number `select.select` refuses; the wait must not care."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    assert hard == resource.RLIM_INFINITY or hard >= wanted, "the machine's hard limit"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        write_probe(project, ("probe_ok", "exit3"))
        result = run_pipeline("probe", RunOptions(lineage="off", jobs=1))
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert result.steps["probe_ok"].exit_code == 0 and result.steps["exit3"].exit_code == 3
    assert (result.log_dir / "forkserver.log").exists()
