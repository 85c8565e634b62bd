"""Filesystem helpers: the one way workbench replaces a file, and how it words a failure.

`atomic_write_bytes` writes a temporary file beside the target (same filesystem, so the rename
is atomic), fsyncs it and renames it into place. Whatever fails on the way (disk full, a
read-only folder, an interrupt) removes the temporary file: readers see the old file or the new
one, and no `.tmp` is ever left behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

COMPLETE = ".complete"  # written last into a folder `built_in_place` finished

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a parent is not a folder",
    errno.EISDIR: "is a folder",
}


def os_reason(exc: OSError) -> str:
    """A short, stable description of an OSError (without the path it already names)."""
    reason = _REASONS.get(exc.errno or 0)
    return reason or (exc.strerror or str(exc) or type(exc).__name__).lower()


def atomic_write_bytes(
    path: str | Path, data: bytes, *, fsync: bool = True, mode: int | None = None
) -> None:
    """Replace `path` with `data` atomically; on any failure nothing new is left on disk.
    `mode` sets the permissions (the temporary file is 0600 otherwise)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(
    path: str | Path, text: str, *, fsync: bool = True, mode: int | None = None
) -> None:
    """`atomic_write_bytes` of UTF-8 text with LF line endings as given."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync, mode=mode)


def built_in_place(folder: Path, build: Callable[[Path], None]) -> Path:
    """`folder`, built by `build(folder)` at its final path unless an earlier build completed
    it: for what cannot move once built (a virtualenv's scripts name its path). An exclusive
    file lock beside it makes a second process wait and then reuse the result; only the marker
    written last makes it usable, so a build that died half-way is removed and redone."""
    if (folder / COMPLETE).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if not (folder / COMPLETE).is_file():  # else another process built it while we waited
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            (folder / COMPLETE).write_text("ok\n", encoding="utf-8")
    return folder
