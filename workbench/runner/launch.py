"""How the runner starts a step's process: a registry of launcher strategies.

    python -m steps.NAME.STEP --input NAME=URI ... --output NAME=URI ... --param NAME=TEXT ...

`fresh` runs that command as its own interpreter (what the container runs; `--isolate`).
`fork` (the default on Linux, workbench.runner.forkclient) forks it from a server that imported
the heavy libraries once, with the same argv, environment, working directory, output, exit code
and signal semantics. A strategy is one module plus one `register(name, factory)`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Protocol

from workbench.spec.model import PipelineSpec


class StepProcess(Protocol):
    """What the scheduler uses of a running step (a subset of subprocess.Popen)."""

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    def prepare(self) -> None:
        """Get ready for a step about to start (the fork server begins its imports); called
        before the scheduler waits on anything else for that step, e.g. its MLflow run id."""

    def start(
        self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: IO[bytes]
    ) -> StepProcess: ...

    def idle(self, seconds: float) -> None:
        """Block for up to `seconds`; return early when a step may have ended."""

    def close(self) -> None: ...


# factory(project root, spec, the steps' shared environment, the run's log folder)
Factory = Callable[[Path, PipelineSpec, Mapping[str, str], Path], Launcher]
LAUNCHERS: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    LAUNCHERS[name] = factory


def parent_death_signal() -> None:  # pragma: no cover - runs in the child between fork and exec
    """SIGKILL this process when its parent dies: a killed runner leaves no step writing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def fresh_process(
    cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: IO[bytes]
) -> subprocess.Popen[bytes]:
    """The step as its own interpreter."""
    return subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        preexec_fn=parent_death_signal if sys.platform.startswith("linux") else None,
    )


class FreshLauncher:
    name = "fresh"

    def __init__(self, *args: object) -> None:
        pass

    def prepare(self) -> None:
        pass

    def start(
        self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: IO[bytes]
    ) -> StepProcess:
        return fresh_process(cmd, cwd=cwd, env=env, stdout=stdout)

    def idle(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        pass


register("fresh", FreshLauncher)


def default_launcher() -> str:
    """`fork` where the fork server can work (Linux: fork, pidfds, /proc), else `fresh`."""
    return "fork" if sys.platform.startswith("linux") else "fresh"


def make_launcher(
    name: str, root: Path, spec: PipelineSpec, env: Mapping[str, str], log_dir: Path
) -> Launcher:
    if name == "fork":
        import workbench.runner.forkclient  # noqa: F401 - registers itself
    if name not in LAUNCHERS:
        raise ValueError(f"unknown step launcher {name!r} (known: {', '.join(sorted(LAUNCHERS))})")
    return LAUNCHERS[name](root, spec, env, log_dir)
