"""End a process the way CPython's exit does, without tearing down the interpreter.

Py_FinalizeEx joins the non-daemon threads, runs the atexit handlers (logging's shutdown,
weakref finalizers, temporary folders), flushes stdout and stderr, and then frees every module
and object; C's exit() then flushes libc's stdio buffers. Freeing the modules changes nothing
outside the process, yet with pandas, pyarrow, jsonschema or rich loaded it takes 0.03-0.3 s.
The `workbench` command, the fork server and its step children end with `finish` and
`os._exit` instead.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def exit_status(exc: SystemExit) -> int:
    """CPython's handling of an uncaught SystemExit: None is 0, an int its low byte, anything
    else is printed to stderr and gives 1."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def finish(code: int) -> int:
    """Py_FinalizeEx's order up to the teardown: join non-daemon threads, atexit handlers, flush
    Python's and C's stdio. Returns the exit status, 120 when flushing stdout fails (as
    CPython)."""
    try:
        import threading

        threading._shutdown()  # type: ignore[attr-defined]
    except BaseException:  # best effort, as the interpreter's own
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            code = 120 if code == 0 else code
    _flush_c_stdio()
    return code


def _flush_c_stdio() -> None:
    """`fflush(NULL)`: what native code printed through C stdio (a library's printf into a
    step log) sits in libc's buffers until exit() flushes them, which os._exit skips."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no libc symbol table to find it in
        pass


def exit_now(code: int) -> NoReturn:
    """`finish`, then end the process with its status."""
    os._exit(finish(code))
