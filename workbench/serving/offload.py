"""The offload process: large request bodies are parsed, checked and predicted in a child.

Why a process and not a thread: orjson parsing and numpy's list conversion hold the GIL for
their whole call (seconds for a 50 MB body on a loaded machine), so a thread would still stall
the event loop, and `/health/ping` with it (a liveness probe timing out restarts the pod). The
child is forked once at start, after the model is loaded and before uvicorn runs: it shares
the model's pages copy-on-write and needs no second load. Bodies go to it as bytes and answers
come back as bytes; a small body never pays that round trip.
"""

from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import Executor, ProcessPoolExecutor

from workbench.serving import http

DEFAULT_OFFLOAD_BYTES = 1024 * 1024


def _child_signals() -> None:
    # The server stops its child through the pool; a terminal's Ctrl-C (sent to the whole
    # process group) must not kill a request half-way, and the parent's handlers are not ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start_offload(served: http.Served) -> Executor:
    """A one-process pool answering for `served`, forked now (the caller has no threads yet)."""
    http._WORKER["served"] = served  # inherited by the fork: the child's own copy
    pool = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=_child_signals
    )
    pool.submit(len, b"").result()  # fork the child before anything else starts a thread
    return pool
