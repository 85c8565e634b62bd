"""`workbench ui`: the MLflow UI against the project's tracking store and artifact folder.

The process replaces itself with `python -m mlflow server` (exec), so stopping `workbench ui`
stops the server and no extra parent process is left in between.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import click

from workbench.core.errors import WorkbenchError
from workbench.core.mlflow_server import JOBS_ENV, NO_JOBS
from workbench.core.settings import Settings, settings
from workbench.core.ui_url import record_ui_url, ui_url

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _as_uri(location: str) -> str:
    """A URL as is; a folder (relative ones against the working directory) as a file URI."""
    return location if "://" in location else Path(location).resolve().as_uri()


def ui_command(cfg: Settings, host: str, port: int) -> list[str]:
    """The `mlflow server` command line for these settings (pure, so it can be tested)."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        cfg.tracking_uri,
        "--registry-store-uri",
        cfg.registry_uri,
        # artifacts of experiments created in the UI land beside the ones the CLI creates
        "--artifacts-destination",
        _as_uri(cfg.artifact_root),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
    ]


def check_port_free(host: str, port: int) -> None:
    """Fail before starting MLflow (which takes seconds to import) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # as uvicorn does: a port in TIME_WAIT is usable, only a live listener is a clash
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise WorkbenchError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
            ) from exc


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; the UI has no login, so keep it on loopback unless you mean it.",
)
def command(port: int, host: str) -> None:
    """Start the MLflow UI on 127.0.0.1 against the project's tracking store."""
    cfg = settings()
    check_port_free(host, port)
    if host not in LOOPBACK:
        click.echo(
            f"warning: binding {host}: anyone who can reach it can read and edit runs", err=True
        )
    url = ui_url(host, port)
    record_ui_url(cfg.root, url)  # workbench.compare() links runs here
    click.echo(f"MLflow UI on {url}  (store: {cfg.tracking_uri})", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(cfg.root)
    argv = ui_command(cfg, host, port)
    # no job runner and huey consumers for features the experiments do not use (see
    # core.mlflow_server), unless the environment asks for them
    os.environ.setdefault(JOBS_ENV, NO_JOBS[JOBS_ENV])
    os.execv(argv[0], argv)
