"""The fork server of the local runner: heavy imports once, a fresh `python -m` per step.

    python -m workbench.runner.forkserver FD      (started by workbench.runner.forkclient)

A step process spends most of a light step importing pandas, scikit-learn and pyarrow. This
process imports them (and the third-party modules the step modules import) once, then forks one
child per step. The child becomes what `python -m steps.NAME.STEP ARGS` would be: the request's
argv (`sys.argv[0]` the module's file), environment, working directory and `sys.path`, stdin
/dev/null and stdout/stderr on the step's log, Python's default signal dispositions, fresh
`random`/numpy seeds, the BLAS/OpenMP thread counts a fresh process would read from its
environment, and the interpreter's own exit path (SystemExit codes, tracebacks with exit 1,
death by SIGINT after an uncaught KeyboardInterrupt, thread joins, atexit handlers). Project
code (steps.*) is never imported here: it runs in the child as in a fresh process.

Forking is only safe with one thread: this process runs with the BLAS/OpenMP pools at one
thread and Arrow's jemalloc background thread off (variables set by the client for this process
only), and before every fork it counts /proc/self/task. With more than one thread, or a request
whose PYTHON* variables differ from ours (sys.path and interpreter flags would differ), it
answers "fresh" with the reason and the client starts an ordinary process instead.

Protocol (SOCK_SEQPACKET, one JSON object per message): the client sends
{"preload": [...]}, then {"id", "argv", "cwd", "env"} with the step's log fd attached; the
server answers {"ready", "unsafe"}, then {"id", "pid"} with a pidfd attached (signals from the
client can never reach a recycled pid), or {"id", "fresh": why}, and {"id", "status"} (the raw
wait status) when the child ends. EOF from the client: remaining children are killed.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import sys
from typing import Any

from workbench.runner.forkchild import become_step

MAX_MESSAGE = 1 << 20


def thread_count() -> int:
    """Threads of this process as the kernel sees them (native pools included)."""
    return len(os.listdir("/proc/self/task"))


def preload(modules: list[str]) -> dict[str, str]:
    """Import each module; a failure is the step's to report, in its own process."""
    failed: dict[str, str] = {}
    for name in modules:
        try:
            __import__(name)
        except BaseException as exc:  # SystemExit from a module body too
            failed[name] = f"{type(exc).__name__}: {exc}"
    return failed


def unsafe_reason() -> str:
    threads = thread_count()
    if threads != 1:
        return f"{threads} threads in the fork server"
    return ""


class Server:
    def __init__(self, sock: socket.socket, base_path: list[str]) -> None:
        self.sock = sock
        self.children: dict[int, int] = {}  # pid -> request id
        self.base_path = base_path  # sys.path as start-up left it, before any preload
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)

    def send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message).encode()
        if fds:
            socket.send_fds(self.sock, [data], fds)
        else:
            self.sock.send(data)

    def serve(self) -> None:
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        while True:
            ready, _, _ = select.select([self.sock.fileno(), self.wake_r], [], [])
            if self.wake_r in ready:
                os.read(self.wake_r, 4096)
            self.reap()
            if self.sock.fileno() in ready:
                data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE, 4)
                if not data:
                    self.shutdown()
                    return
                try:
                    self.handle(json.loads(data), fds)
                finally:
                    for fd in fds:
                        os.close(fd)

    def handle(self, request: dict[str, Any], fds: list[int]) -> None:
        rid = request["id"]
        why = unsafe_reason() or self.env_mismatch(request["env"])
        if not why and not fds:
            why = "no log file descriptor attached"
        if why:
            self.send({"id": rid, "fresh": why})
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        # the preloaded objects to the permanent generation: the child's collections then never
        # write to their pages, which it shares with this process until written (copy-on-write)
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns (measured in the tests)
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.sock.close()
            become_step(request["argv"], request["cwd"], request["env"], fds[0], self.base_path)
        self.children[pid] = rid
        pidfd = os.pidfd_open(pid)
        try:
            self.send({"id": rid, "pid": pid}, [pidfd])
        finally:
            os.close(pidfd)

    @staticmethod
    def env_mismatch(env: dict[str, str]) -> str:
        """PYTHON* variables shape sys.path and the interpreter: ours must be the step's."""
        ours = {k: v for k, v in os.environ.items() if k.startswith("PYTHON")}
        theirs = {k: v for k, v in env.items() if k.startswith("PYTHON")}
        if ours != theirs:
            differ = sorted(set(ours.items()) ^ set(theirs.items()))
            return (
                f"the step's {', '.join(sorted({k for k, _ in differ}))} differ from the server's"
            )
        return ""

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            rid = self.children.pop(pid, None)
            if rid is not None:
                self.send({"id": rid, "status": status})

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def main(argv: list[str]) -> int:
    # Ctrl-C reaches the steps (same process group): this process must outlive it, so the
    # steps' own handlers run and their exit statuses reach the runner.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    base_path = list(sys.path)
    sock = socket.socket(fileno=int(argv[0]))
    first = json.loads(sock.recv(MAX_MESSAGE) or b"{}")
    failed = preload(list(first.get("preload", [])))
    for name, error in failed.items():
        print(f"preload {name}: {error}", file=sys.stderr)
    reason = unsafe_reason()
    sock.send(json.dumps({"ready": True, "unsafe": reason, "failed": sorted(failed)}).encode())
    if reason:
        print(f"not forking: {reason}", file=sys.stderr)
    Server(sock, base_path).serve()
    return 0


if __name__ == "__main__":
    from workbench.core.process_exit import exit_now

    # No interpreter teardown: freeing the preloaded pandas, scikit-learn and pyarrow took
    # ~0.3 s, which the runner waited for at the end of every run.
    exit_now(main(sys.argv[1:]))
