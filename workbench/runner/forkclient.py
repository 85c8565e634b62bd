"""The runner's side of the fork server: start it with the run, launch steps through it.

`ForkLauncher.start(cmd, ...)` returns a `ForkedStep` that behaves like the `subprocess.Popen`
of the fresh launcher (poll, wait, kill, send_signal, returncode: negative for a signal). The
server is started at the first step that really runs (a fully cached run never pays for its
imports) and preloads what `preload_modules` finds; a step is sent to it only when forking is
safe there, otherwise (threads in the server, different PYTHON* variables, no server) it starts
as a fresh process and the reason is logged at debug level.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from workbench.core.native_threads import ONE_THREAD
from workbench.runner.launch import fresh_process, parent_death_signal, register
from workbench.spec.model import PipelineSpec

log = logging.getLogger("workbench.runner")
MAX_MESSAGE = 1 << 20
# what the runtime itself loads in every step, and the libraries its codecs load for data values
RUNTIME = ("workbench.runtime.step", "workbench.runtime.artifacts", "workbench.runtime.workdir")
# (pyarrow.dataset, pyarrow.pandas_compat and fsspec's local filesystem are imported lazily by
# the first parquet read, frame conversion and artifact URI: ~0.03 s in every step otherwise)
DATA_CODECS = (
    "pyarrow",
    "pyarrow.parquet",
    "pyarrow.dataset",
    "pyarrow.pandas_compat",
    "cloudpickle",
    "fsspec",
    "fsspec.implementations.local",
    "fsspec.implementations.chained",
    "threadpoolctl",
)
DATA_LIBRARIES = ("numpy", "pandas", "scipy", "sklearn")
# workbench.tracking loads mlflow on first use: a step that tracks pays for it in every process
TRACKING = ("mlflow", "workbench.tracking.runs")
# the fork server's own environment: native pools at one thread, so none exists at fork time
SERVER_LIMITS = ONE_THREAD


def module_imports(path: Path) -> list[str]:
    """Absolute module names imported anywhere in one file (relative imports are project code)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _names_in(folder: Path) -> set[str]:
    """Module names a folder on sys.path would provide."""
    if not folder.is_dir():
        return set()
    return {p.stem if p.suffix == ".py" else p.name for p in folder.iterdir()}


def preload_modules(root: Path, spec: PipelineSpec) -> list[str]:
    """Third-party and workbench modules the pipeline's step files import, never project code
    (its import may print, read the step's variables or seed generators: that belongs in the
    step's own process), nor any name a module in the project root or the notebook's folder
    (first on a step's sys.path) would shadow."""
    files = sorted((root / "steps" / spec.name).glob("*.py"))
    for module in spec.local_modules:
        path = root / module
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found: list[str] = []
    for path in files:
        found += module_imports(path)
    local = {"steps", "__future__", *(Path(m).stem for m in spec.local_modules)}
    local |= {m.path.split("/")[0].removesuffix(".py") for m in spec.written_modules}
    local |= _names_in(root) | _names_in((root / spec.notebook).parent)
    wanted = [*RUNTIME, *(n for n in found if n.split(".")[0] not in local)]
    if any(n.split(".")[0] in DATA_LIBRARIES for n in wanted):
        wanted += DATA_CODECS
    if any(n == "mlflow" or n.startswith(("mlflow.", "workbench.tracking")) for n in wanted):
        wanted += TRACKING
    return list(dict.fromkeys(wanted))


class ForkedStep:
    """A step forked by the server, with the part of `subprocess.Popen` the scheduler uses."""

    def __init__(self, launcher: ForkLauncher, args: tuple[Any, ...]) -> None:
        self.launcher = launcher
        self.args = args  # (cmd, cwd, env, stdout): to start fresh if the server declines
        self.pid: int | None = None
        self.pidfd: int | None = None
        self.returncode: int | None = None
        self.fresh: subprocess.Popen[bytes] | None = None

    def _started(self) -> bool:
        while self.fresh is None and self.pid is None and self.returncode is None:
            self.launcher.pump(block=True)
        return self.fresh is None

    def poll(self) -> int | None:
        if self.fresh is not None:
            self.returncode = self.fresh.poll()
        elif self.returncode is None:
            self.launcher.pump(block=False)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self._started() and self.returncode is None:
            while self.returncode is None:
                self.launcher.pump(block=True)
        if self.fresh is not None:
            self.returncode = self.fresh.wait(timeout)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if not self._started():
            assert self.fresh is not None
            self.fresh.send_signal(sig)
        elif self.returncode is None and self.pidfd is not None:
            with contextlib.suppress(ProcessLookupError):  # ended: the server reports it
                signal.pidfd_send_signal(self.pidfd, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def ended(self, returncode: int) -> None:
        self.returncode = returncode
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


class ForkLauncher:
    """Steps as children of one preloading fork server per run (see workbench.runner.forkserver)."""

    name = "fork"

    def __init__(self, root: Path, spec: PipelineSpec, env: Mapping[str, str], log_dir: Path):
        self.root, self.spec, self.env, self.log_dir = root, spec, dict(env), log_dir
        self.server: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.unusable = "" if hasattr(os, "pidfd_open") else "no pidfd_open on this platform"
        self.steps: dict[int, ForkedStep] = {}
        self.fresh: list[subprocess.Popen[bytes]] = []  # steps it started as fresh processes
        # waits on the server's socket (poll, not select: a descriptor past 1024 is fine)
        self.poller = select.poll()
        self.ready = False

    def _start_server(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(self.log_dir / "forkserver.log", "wb") as out:
            self.server = subprocess.Popen(
                [sys.executable, "-m", "workbench.runner.forkserver", str(theirs.fileno())],
                cwd=self.root,
                env={**self.env, **SERVER_LIMITS},  # the one-thread pools: this process only
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=[theirs.fileno()],
                preexec_fn=parent_death_signal if sys.platform.startswith("linux") else None,
            )
        theirs.close()
        self.sock = ours
        self.poller.register(ours, select.POLLIN)
        modules = preload_modules(self.root, self.spec)
        ours.send(json.dumps({"preload": modules}).encode())
        log.debug("fork server %s preloading %s", self.server.pid, ", ".join(modules))

    def prepare(self) -> None:
        """Start the server (once): its preload then overlaps whatever the runner does before
        the step's request (waiting for a tracking step's MLflow run id, for one)."""
        if not self.unusable and self.sock is None:
            try:
                self._start_server()
            except OSError as exc:
                self._give_up(f"cannot start the fork server: {exc}")

    def start(
        self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: IO[bytes]
    ) -> Any:
        self.prepare()
        if self.unusable or self.sock is None:
            log.debug("step %s in a fresh process: %s", cmd[2], self.unusable)
            proc = fresh_process(cmd, cwd=cwd, env=env, stdout=stdout)
            self.fresh.append(proc)
            return proc
        step = ForkedStep(self, (list(cmd), cwd, dict(env), stdout))
        rid = id(step)
        self.steps[rid] = step
        message = {"id": rid, "argv": list(cmd), "cwd": str(cwd), "env": dict(env)}
        try:
            socket.send_fds(self.sock, [json.dumps(message).encode()], [stdout.fileno()])
        except OSError as exc:
            self._give_up(f"the fork server is gone: {exc}")
        return step

    def idle(self, seconds: float) -> None:
        """Until the server says something (a step ended, most likely) or `seconds` pass: the
        scheduler learns of an ended step at once instead of at its next poll. Steps that run
        as fresh processes are still polled by the scheduler, every `seconds`."""
        self.fresh = [proc for proc in self.fresh if proc.poll() is None]
        if self.sock is None or self.fresh:
            time.sleep(seconds)
            return
        self.poller.poll(seconds * 1000)

    def pump(self, *, block: bool) -> None:
        """Read the server's messages: readiness, started children, ended children."""
        if self.sock is None:
            return
        self.sock.setblocking(block)
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 1)
            except BlockingIOError:
                return
            except OSError as exc:
                self._give_up(f"the fork server is gone: {exc}")
                return
            if not data:
                self._give_up("the fork server ended")
                return
            self._dispatch(json.loads(data), fds)
            if block:
                return

    def _dispatch(self, message: dict[str, Any], fds: list[int]) -> None:
        if "ready" in message:
            self.ready = True
            if message.get("unsafe"):
                log.debug("fork server not used: %s", message["unsafe"])
            return
        step = self.steps.get(message["id"])
        if step is None:
            for fd in fds:
                os.close(fd)
            return
        if "pid" in message:
            step.pid, step.pidfd = message["pid"], fds[0]
        elif "fresh" in message:
            log.debug("step %s in a fresh process: %s", step.args[0][2], message["fresh"])
            self._fresh(step)
        elif "status" in message:
            self.steps.pop(message["id"])
            step.ended(os.waitstatus_to_exitcode(message["status"]))

    def _fresh(self, step: ForkedStep) -> None:
        cmd, cwd, env, stdout = step.args
        step.fresh = fresh_process(cmd, cwd=cwd, env=env, stdout=stdout)
        self.fresh.append(step.fresh)
        step.pid = step.fresh.pid
        self.steps.pop(id(step), None)

    def _give_up(self, why: str) -> None:
        """The server died or never started: its children died with it (parent-death signal);
        steps it had not started yet run fresh, and so does every later one."""
        self.unusable = why
        log.debug("fork server not used any more: %s", why)
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for step in list(self.steps.values()):
            if step.pid is None:
                self._fresh(step)
            else:
                step.ended(-signal.SIGKILL)
        self.steps.clear()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()  # EOF: the server kills what is left and exits
            self.sock = None
        if self.server is not None:
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


register("fork", ForkLauncher)
