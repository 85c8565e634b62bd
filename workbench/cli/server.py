"""`workbench server`: the team's MLflow tracking server (PostgreSQL + S3, artifacts proxied).

    workbench server --backend-store-uri postgresql://mlflow@db:5432/mlflow \\
                     --artifacts-destination s3://ml-artifacts/mlflow --host 0.0.0.0 --workers 4

Notebooks, commands and pipelines then use it with `MLFLOW_TRACKING_URI=http://HOST:PORT`.
Before MLflow is started (it takes seconds to import) the port is checked and a SQL backend is
connected to once, so a wrong host or port is one error naming them, never the password. The
process then replaces itself with `python -m mlflow server` (exec): stopping `workbench server`
stops MLflow. Artifacts are proxied (`--serve-artifacts`): clients need no S3 credentials; the
server reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, MLFLOW_S3_ENDPOINT_URL) from its
environment. An empty PostgreSQL database gets MLflow's schema on first start.
"""

from __future__ import annotations

import os
import sys

import click

from workbench.cli.ui import LOOPBACK, _as_uri, check_port_free
from workbench.core.errors import WorkbenchError
from workbench.core.settings import settings
from workbench.core.sqlstore import is_sql_uri, with_installed_driver


def server_command(
    backend: str,
    registry: str,
    artifacts: str,
    host: str,
    port: int,
    workers: int,
    allowed_hosts: str = "",
) -> list[str]:
    """The `mlflow server` command line (pure, so it can be tested)."""
    argv = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        with_installed_driver(backend),
        "--registry-store-uri",
        with_installed_driver(registry or backend),
        "--serve-artifacts",
        "--artifacts-destination",
        artifacts if "://" in artifacts else _as_uri(artifacts),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if workers > 1:
        # uvicorn's supervisor restarts a worker that misses a 5 s health check; a worker still
        # importing MLflow on a busy node misses it, and the restarts never end (seen here)
        argv += ["--uvicorn-opts", "--timeout-worker-healthcheck 120"]
    if allowed_hosts:
        argv += ["--allowed-hosts", allowed_hosts]
    return argv


def check_backend(uri: str) -> None:
    """Connect once to a SQL backend: unreachable is a WorkbenchError naming host and port."""
    if not is_sql_uri(uri) or uri.startswith("sqlite"):
        return
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from workbench.core.mlflow_schema import unreachable

    engine = sa.create_engine(
        with_installed_driver(uri), poolclass=NullPool, connect_args={"connect_timeout": 10}
    )
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        raise unreachable(uri, exc) from None
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise WorkbenchError(
            f"--backend-store-uri: no driver for {uri.split('://', 1)[0]} ({exc}); "
            "install workbench's team extra: pip install 'notebook-workbench[team]'"
        ) from None
    finally:
        engine.dispose()


@click.command()
@click.option(
    "--backend-store-uri",
    "backend",
    default=None,
    help="Runs and registry database (default: the project's tracking_uri), e.g. postgresql://…",
)
@click.option("--registry-store-uri", "registry", default="", help="Default: the backend store.")
@click.option(
    "--artifacts-destination",
    "artifacts",
    default=None,
    help="Where the server keeps artifacts, e.g. s3://bucket/mlflow (default: artifact_root).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--allowed-hosts",
    default="",
    help="Host headers the server answers (MLflow's DNS-rebinding guard), e.g. mlflow.team.svc.",
)
def command(
    backend: str | None,
    registry: str,
    artifacts: str | None,
    host: str,
    port: int,
    workers: int,
    allowed_hosts: str,
) -> None:
    """Start the team's MLflow tracking server (PostgreSQL + S3, artifacts proxied)."""
    from workbench.core.mlflow_schema import describe_url

    cfg = settings()
    backend = backend or cfg.tracking_uri
    if backend.startswith(("http://", "https://")):
        raise WorkbenchError(
            f"--backend-store-uri {backend}: that is a tracking server, not a database; "
            "give the database URL (postgresql://USER@HOST:PORT/DB)"
        )
    check_port_free(host, port)
    check_backend(backend)
    if registry:
        check_backend(registry)
    if host not in LOOPBACK:
        click.echo(
            f"warning: binding {host}: anyone who can reach it can read and edit runs", err=True
        )
    shown = describe_url(backend) if is_sql_uri(backend) else backend
    click.echo(
        f"MLflow tracking server on http://{host}:{port}  (store: {shown}, "
        f"artifacts: {artifacts or cfg.artifact_root})",
        err=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(cfg.root)
    argv = server_command(
        backend, registry, artifacts or cfg.artifact_root, host, port, workers, allowed_hosts
    )
    os.execv(argv[0], argv)
