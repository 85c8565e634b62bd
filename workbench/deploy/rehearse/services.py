"""The cluster services a rehearsal stands in for, on 127.0.0.1 free ports.

An S3 server (moto's, the MinIO stand-in the tests use) for the Argo artifact repository, the
object-storage data and MLflow's artifacts; a real `mlflow server` (SQLite backend, artifacts
proxied to that S3) as the tracking URI. Both are stopped when the rehearsal ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core import clock
from workbench.core.errors import WorkbenchError
from workbench.core.mlflow_server import NO_JOBS

ACCESS_KEY = "rehearsal"  # moto accepts any credentials; these stand in for the Secret's values
SECRET_KEY = "rehearsal-secret"
MLFLOW_BUCKET = "mlflow"


@dataclass(frozen=True)
class Services:
    s3_url: str
    tracking_uri: str
    volumes: (
        Path  # persistent volume claims, one folder each: they outlive a workflow, as in a cluster
    )

    def s3(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(
            key=ACCESS_KEY, secret=SECRET_KEY, client_kwargs={"endpoint_url": self.s3_url}
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ready(url: str) -> Callable[[], None]:
    """A readiness probe: GET `url` (an OSError until the server answers)."""
    return lambda: urllib.request.urlopen(url, timeout=2).close()


def tcp_ready(port: int) -> Callable[[], None]:
    """A readiness probe: a TCP connection to 127.0.0.1:`port` is accepted."""
    return lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close()


@contextmanager
def background_server(
    argv: list[str],
    ready: Callable[[], None],
    log: Path,
    *,
    name: str,
    env: dict[str, str] | None = None,
    deadline_s: float = 300,
) -> Iterator[None]:
    """`argv` running with its output in `log` until the block ends; entered once `ready()`
    stops raising OSError, or a clear error with the log's tail when it dies or times out."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = clock.monotonic() + deadline_s
        while True:
            try:
                ready()
                break
            except OSError:
                if proc.poll() is not None or clock.monotonic() > deadline:
                    raise WorkbenchError(
                        f"{name} did not start; its log: {log}\n"
                        + log.read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def make_buckets(svc: Services, buckets: list[str]) -> None:
    fs = svc.s3()
    for bucket in sorted(set(buckets)):
        if not fs.exists(bucket):
            fs.mkdir(bucket)


@contextmanager
def services(workdir: Path) -> Iterator[Services]:
    """Start S3 and MLflow (its artifacts proxied to that S3); yield their URLs."""
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        raise WorkbenchError(
            "the rehearsal's S3 server is moto's: pip install 'moto[server]'"
        ) from exc
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AWS_"))}
    s3_port, mlflow_port = free_port(), free_port()
    s3_url = f"http://127.0.0.1:{s3_port}"
    creds = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    with ExitStack() as stack:
        stack.enter_context(
            background_server(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                http_ready(f"{s3_url}/moto-api/"),
                workdir / "s3.log",
                name="moto.server",
                env=base,
            )
        )
        found = Services(
            s3_url=s3_url,
            tracking_uri=f"http://127.0.0.1:{mlflow_port}",
            volumes=workdir / "pvc",
        )
        make_buckets(found, [MLFLOW_BUCKET])
        stack.enter_context(
            background_server(
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mlflow_port),
                    "--workers",
                    "1",
                    "--backend-store-uri",
                    f"sqlite:///{workdir / 'mlflow.db'}",
                    "--artifacts-destination",
                    f"s3://{MLFLOW_BUCKET}/artifacts",
                ],
                http_ready(f"{found.tracking_uri}/health"),
                workdir / "mlflow.log",
                name="mlflow",
                # tracking, registry and artifacts only: no job runner (core.mlflow_server)
                env={**base, **creds, "MLFLOW_S3_ENDPOINT_URL": s3_url, **NO_JOBS},
            )
        )
        yield found
