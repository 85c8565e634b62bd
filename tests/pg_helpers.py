"""A throw-away PostgreSQL server for tests, from the Debian package's binaries.

`initdb` in a temporary folder, `postgres` on a free 127.0.0.1 port with its socket in the same
folder, trust authentication for the `workbench` role, fsync off (a test database is disposable).
initdb refuses to run as root, so under root (CI, this machine) the server runs as the Debian
package's `postgres` user, which owns the temporary folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.project_helpers import terminate
from tests.s3_helpers import free_port

ROLE = "workbench"


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `make system-deps` (Debian postgresql)"
        )
    return Path(found[-1]).parent


def _run_as() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam("postgres")  # created by the Debian package
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    folder: Path

    def url(self, database: str = "postgres", driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://{ROLE}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "wb", template: str = "") -> str:
        """A new database (a copy of `template` when given, e.g. a migrated MLflow store)."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(
            host=self.host, port=self.port, user=ROLE, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PgServer]:
    """Start a PostgreSQL server on a free 127.0.0.1 port; yield it; stop it and delete its data."""
    bindir = pg_bindir()
    as_user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="workbench-pg-"))
    if as_user:
        os.chown(folder, as_user["user"], as_user["group"])
    data = folder / "data"
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            ROLE,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        cwd=folder,
        **as_user,
    )
    port = free_port()
    log = open(folder / "postgres.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(folder),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        **as_user,
    )
    server = PgServer("127.0.0.1", port, folder)
    try:
        _wait_ready(server, proc)
        yield server
    finally:
        # SIGINT is PostgreSQL's fast shutdown: SIGTERM (smart) waits for every client to
        # disconnect, and pooled connections of this process (engine caches) stay open until it
        # exits, so each worker's session teardown waited out the 20 s and killed the server
        terminate(proc, 20, signal.SIGINT)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(server: PgServer, proc: subprocess.Popen[bytes]) -> None:
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(
                host=server.host, port=server.port, user=ROLE, dbname="postgres", connect_timeout=2
            ).close()
            return
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                text = (server.folder / "postgres.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"PostgreSQL did not start:\n{text}") from None
            time.sleep(0.2)


@contextmanager
def optuna_study(name: str, url: str) -> Iterator[Any]:
    """The Optuna study `name` in the storage at `url`, its engine disposed when the block ends.

    `optuna.load_study(storage=URL)` keeps a pooled engine that nothing closes: its psycopg
    connections are left to the garbage collector, which warns (ResourceWarning) in whatever
    test happens to run then.
    """
    import optuna

    storage = optuna.storages.RDBStorage(url)
    try:
        yield optuna.load_study(study_name=name, storage=storage)
    finally:
        storage.engine.dispose()


def dispose_engines(uri: str) -> None:
    """Dispose every SQLAlchemy engine in this process that is open on `uri`'s database (MLflow's
    cached stores among them), closing their pooled connections now."""
    import gc

    import sqlalchemy as sa

    target = sa.engine.make_url(uri)
    for obj in gc.get_objects():
        try:
            if not isinstance(obj, sa.Engine):
                continue
        except Exception:  # an object whose __class__ lookup fails is no engine of ours
            continue
        url = obj.url
        if (url.get_backend_name(), url.host, url.port, url.database) == (
            target.get_backend_name(),
            target.host,
            target.port,
            target.database,
        ):
            obj.dispose()
