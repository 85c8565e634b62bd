"""The lock the promotion gate holds while it re-reads `champion`, decides and moves the alias.

MLflow has no compare-and-set for aliases: two gates that each read "champion = v1", score, and
then set the alias leave whichever wrote last, better or not. Holding one lock per model around
read-decide-write turns that into a compare-and-set. Where the lock lives depends on the store:

- PostgreSQL tracking store: `pg_advisory_lock` on a key derived from the model name, on a
  connection of its own. The server releases it when that connection ends, so a killed gate
  never leaves the model locked.
- SQLite tracking store: an exclusive `flock` on `<db>.promotion.lock` beside the database (the
  processes sharing a SQLite file share its folder). The kernel releases it when the process dies.
- anything else (an HTTP tracking server): the advisory lock on `lock_uri`
  (`WORKBENCH_LOCK_URI`, the PostgreSQL behind the server) when set; else a file lock in the
  project's `.workbench/` folder, which only orders gates on this machine, and a warning says so.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.core.errors import WorkbenchError

log = logging.getLogger(__name__)


def advisory_key(model_name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, one per model name."""
    digest = hashlib.sha256(f"workbench.promotion:{model_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on `path` (created when missing), held for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def advisory_lock(uri: str, model_name: str) -> Iterator[None]:
    """pg_advisory_lock(key of model_name) on a dedicated connection, held for the block."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from workbench.core.mlflow_schema import unreachable
    from workbench.core.sqlstore import with_installed_driver

    engine = sa.create_engine(with_installed_driver(uri), poolclass=NullPool)
    key = advisory_key(model_name)
    try:
        try:
            conn = engine.connect()
        except sa.exc.OperationalError as exc:
            raise unreachable(uri, exc) from None
        with conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()  # the lock is the session's, not the transaction's
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
    finally:
        engine.dispose()


def _sqlite_path(uri: str) -> Path | None:
    path = uri.split(":///", 1)[-1]
    return None if path in ("", ":memory:") else Path(path)


@contextmanager
def promotion_lock(tracking_uri: str, model_name: str) -> Iterator[str]:
    """Hold the promotion lock of `model_name` for the store at `tracking_uri`; yield its kind."""
    from workbench.core.settings import settings

    scheme = tracking_uri.split(":", 1)[0].split("+", 1)[0] if "://" in tracking_uri else ""
    if scheme == "postgresql":
        with advisory_lock(tracking_uri, model_name):
            yield "postgresql advisory lock"
        return
    if scheme == "sqlite" and (db := _sqlite_path(tracking_uri)) is not None:
        with file_lock(db.with_name(db.name + ".promotion.lock")):
            yield "file lock"
        return
    lock_uri = settings().lock_uri
    if lock_uri:
        if not lock_uri.startswith("postgresql"):
            raise WorkbenchError(
                f"WORKBENCH_LOCK_URI / lock_uri: expected a postgresql:// URL, got "
                f"{lock_uri.split('://', 1)[0]}://…"
            )
        with advisory_lock(lock_uri, model_name):
            yield "postgresql advisory lock (lock_uri)"
        return
    log.warning(
        "promotion of %r: no lock shared with other machines for this tracking store; set "
        "WORKBENCH_LOCK_URI to the tracking server's PostgreSQL to order concurrent gates",
        model_name,
    )
    # the temporary folder, not the project: a pod's project folder is read-only, and a lock
    # that only orders gates on this machine needs nothing more (one file per store)
    store = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
    with file_lock(Path(tempfile.gettempdir()) / f"workbench-promotion-{store}.lock"):
        yield "local file lock"
