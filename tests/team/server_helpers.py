"""`workbench server` as a test starts it: a process on a free 127.0.0.1 port, ready on /health."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.s3_helpers import free_port
from workbench.core.mlflow_server import NO_JOBS


@dataclass
class TrackingServer:
    backend: str
    artifacts: str
    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 400) -> None:  # mlflow workers import slowly under load
        with open(self.cwd / "server.log", "ab") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workbench", "server", "--backend-store-uri", self.backend,
                 "--artifacts-destination", self.artifacts, "--port", str(self.port),
                 "--workers", "2"],
                # MLflow's job runner (GenAI features) is not under test: its consumers would
                # only add their imports to every start and restart (core.mlflow_server)
                cwd=self.cwd, env={**os.environ, **NO_JOBS, **self.env},
                stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True,  # mlflow's uvicorn workers go with it on stop
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    text = (self.cwd / "server.log").read_text(errors="replace")
                    log = text[:3000] + "\n…\n" + text[-2000:]
                    raise RuntimeError(f"workbench server did not start:\n{log}") from None
                time.sleep(0.3)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
