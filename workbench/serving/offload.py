"""The offload process: large request bodies are parsed, checked and predicted in a child.

Why a process and not a thread: orjson parsing and numpy's list conversion hold the GIL for
their whole call (seconds for a 50 MB body on a loaded machine), so a thread would still stall
the event loop, and `/health/ping` with it (a liveness probe timing out restarts the pod). The
child is forked once at start, after the model is loaded and before uvicorn runs: it shares
the model's pages copy-on-write and needs no second load.

Why the body is spooled to a file (as nginx does with `client_body_temp`, and Starlette with
an upload's SpooledTemporaryFile): handing bytes to a process pool pickles them, so a 57 MB
body was held three times in the server (chunks, joined, pickled) and twice more in the child
(received, unpickled) before orjson even ran; the fuzz test saw the pair pass twice their idle
RSS. Streamed to an unlinked-on-answer temporary file instead, the server holds one chunk at
a time, and the child maps the file read-only and parses straight from the mapping: the body
is in memory once (page cache), plus what parsing it builds. After each answer the child hands
its freed heap back to the kernel (glibc `malloc_trim`), so one large request does not leave
its peak behind as the next one's baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import mmap
import multiprocessing
import os
import signal
import tempfile
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from workbench.serving import http

DEFAULT_OFFLOAD_BYTES = 1024 * 1024
log = logging.getLogger("workbench.serving")


def _child_signals(parent: int) -> None:
    # The server stops its child through the pool; a terminal's Ctrl-C (sent to the whole
    # process group) must not kill a request half-way, and the parent's handlers are not ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # forked while the server paused garbage collection to load the model (server.py): this
    # process answers requests for as long as the server runs, so it collects as usual
    gc.enable()
    # A server that dies without shutting the pool down (SIGKILL, an OOM kill, a signal racing
    # the shutdown) sends no sentinel, and the child, holding its own end of the call queue,
    # would wait forever with a copy of the model: Linux ends it with its parent.
    prctl = getattr(_LIBC, "prctl", None)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)
    # Bulk work yields the CPU to the event loop: a liveness probe must not wait behind the
    # parse of a 50 MB body when both share a core.
    with contextlib.suppress(OSError):
        os.nice(10)


class Offload:
    """The pool (one forked child holding the same model) and the folder bodies spool into."""

    def __init__(self, pool: ProcessPoolExecutor, folder: str) -> None:
        self.pool = pool
        self.folder = folder

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    async def answer(
        self,
        key: str,
        served: http.Served,
        request: Request,
        body: bytes | None,
        peek: http.Peek | None,
        call: http.Call,
    ) -> http.Answer:
        """Spool the body (still unread, or `body` when it was read already) and answer in
        the child; in a thread of this process if the child is gone (e.g. the OOM killer)."""
        fd, path = tempfile.mkstemp(prefix="workbench-body-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                if body is None:
                    await http.receive_body(
                        request,
                        served.max_body_bytes,
                        served.body_seconds,
                        lambda chunk, _: out.write(chunk),
                        peek,
                    )
                else:
                    out.write(body)
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self.pool, answer_spooled, key, path, call)
            except BrokenExecutor:
                log.warning("the offload process is gone; answering %s in a thread", key)
            fn, error = http.answer_fn(key)
            with open(path, "rb") as spooled:
                data = spooled.read()
            return await run_in_threadpool(http.answer_safely, fn, served, data, call, error)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def start_offload(served: http.Served, folder: str | None = None) -> Offload:
    """A one-process pool answering for `served`, forked now (the caller has no threads yet)."""
    http._WORKER["served"] = served  # inherited by the fork: the child's own copy
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_signals,
        initargs=(os.getpid(),),
    )
    pool.submit(len, b"").result()  # fork the child before anything else starts a thread
    return Offload(pool, folder or tempfile.gettempdir())


# --- in the child -------------------------------------------------------------------------


def _plain_json(call: http.Call) -> bool:
    """A body orjson parses as it is (not a form, not V2 binary tensors viewed in place)."""
    media = call.content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") and not call.headers


def answer_spooled(key: str, path: str, call: http.Call) -> http.Answer:
    """The route's answer on the child's copy of the model, the body read from `path`."""
    fn, error = http.answer_fn(key)
    served = http._WORKER["served"]
    try:
        with open(path, "rb") as spooled:
            if os.fstat(spooled.fileno()).st_size == 0 or not _plain_json(call):
                return http.answer_safely(fn, served, spooled.read(), call, error)
            mapped = mmap.mmap(spooled.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        try:
            return http.answer_safely(fn, served, view, call, error)
        finally:
            # orjson keeps no reference into the body; should anything else, the mapping
            # is left to the garbage collector rather than failing the answer
            with contextlib.suppress(BufferError):
                view.release()
                mapped.close()
    finally:
        trim_heap()


def _libc() -> Any:
    """The C library this process already runs on (no `find_library`: that spawns ldconfig)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def trim_heap() -> None:
    """Give freed heap pages back to the kernel (glibc only; a no-op elsewhere, e.g. musl)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
