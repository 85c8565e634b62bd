"""Why a rehearsed pod failed, in the terms of the image and the pod: a missing package or a
write outside the writable folders, named from the pod's own log; otherwise the log's tail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

_MISSING = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_IMPORT = re.compile(r"ImportError: (.+)")
_WRITE = re.compile(r"(?:Read-only file system|Permission denied): '([^']+)'")
TAIL = 20


def explain(
    task: str,
    pipeline: str,
    code: int,
    log: Path,
    mounts: Mapping[str, Path],
    packages: str = "",
) -> str:
    """`packages`: where the pod's image gets its packages (default: the steps' requirements)."""
    packages = packages or f"steps/{pipeline}/requirements.txt"
    text = log.read_text(encoding="utf-8", errors="replace")
    tail = "\n".join(text.splitlines()[-TAIL:])
    head = f"rehearsal: step {task} exited {code}"
    missing = _MISSING.search(text)
    if missing:
        return (
            f"{head}: import {missing.group(1)!r} failed in the image: no distribution in "
            f"{packages} provides it\n{tail}\nlog: {log}"
        )
    imported = _IMPORT.search(text)
    if imported:
        return f"{head}: {imported.group(1)} (not installed by the image)\n{tail}\nlog: {log}"
    write = _WRITE.search(text)
    if write:
        allowed = ", ".join(sorted(mounts)) or "none"
        return (
            f"{head}: wrote outside its writable folders ({allowed}): {write.group(1)}\n"
            f"{tail}\nlog: {log}"
        )
    return f"{head}\n{tail}\nlog: {log}"
