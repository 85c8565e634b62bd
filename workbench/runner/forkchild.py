"""In a child of the fork server: become `python -m MODULE ARGS` as a fresh interpreter would be.

Everything a fresh process gets from the kernel or from CPython's start-up and shut-down is set
up here, in the order CPython does it; what a forked child cannot get (a new PYTHONHASHSEED
when none is set: the children share the server's) is documented in the README.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import types
from collections.abc import Mapping

from workbench.core.native_threads import POOL_VARIABLES
from workbench.core.process_exit import exit_status, finish
from workbench.runner.launch import parent_death_signal


def _default_signals() -> None:
    """Dispositions of a fresh interpreter: SIGINT raises KeyboardInterrupt, SIGPIPE and
    SIGXFSZ ignored (CPython's start-up), everything else the default; nothing blocked."""
    signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        handler: signal.Handlers | object = signal.SIG_DFL
        if sig == signal.SIGINT:
            handler = signal.default_int_handler
        elif sig in (signal.SIGPIPE, signal.SIGXFSZ):
            handler = signal.SIG_IGN
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, handler)  # type: ignore[arg-type]
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _pool_size(kind: str, env: Mapping[str, str]) -> int:
    for var in POOL_VARIABLES.get(kind, ()):
        text = env.get(var, "").split(",")[0].strip()
        if text.isdigit() and int(text) > 0:
            return int(text)
    return len(os.sched_getaffinity(0))


def restore_pools(env: Mapping[str, str]) -> None:
    """The server ran its BLAS/OpenMP pools at one thread; give the step the sizes a fresh
    process would have read from its environment (threadpoolctl, loaded with scikit-learn)."""
    if "threadpoolctl" not in sys.modules:  # preloaded with numpy; no numpy, no native pools
        return
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    for lib in controller.lib_controllers:
        wanted = _pool_size(lib.internal_api, env)
        if lib.num_threads != wanted:
            lib.set_num_threads(wanted)


def _reseed() -> None:
    """A fresh process seeds `random` and numpy's global generator from the OS."""
    random = sys.modules.get("random")
    if random is not None:
        random.seed()
    nprandom = sys.modules.get("numpy.random")
    if nprandom is not None:
        nprandom.seed()


def become_step(
    argv: list[str], cwd: str, env: dict[str, str], log_fd: int, base_path: list[str]
) -> None:  # pragma: no cover - runs in forked children (the tests compare them with fresh ones)
    """Run `argv` (`[python, "-m", MODULE, ARGS...]`) in this process and `os._exit`."""
    code = 1
    sigint = False
    try:
        parent_death_signal()  # the server's death takes the step with it
        _default_signals()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        for fd in {devnull, log_fd} - {0, 1, 2}:
            os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        module = argv[2]
        sys.argv = ["-m", *argv[3:]]  # runpy puts the module's file in argv[0]
        sys.orig_argv = list(argv)
        sys.path[:] = [os.getcwd(), *base_path[1:]]  # `-m`: the working directory first
        _reseed()
        restore_pools(env)
        main = types.ModuleType("__main__")
        main.__dict__.update(__builtins__=sys.modules["builtins"], __annotations__={})
        sys.modules["__main__"] = main
        import runpy

        runpy._run_module_as_main(module, alter_argv=True)  # type: ignore[attr-defined]
        code = 0
    except SystemExit as exc:
        code = exit_status(exc)
    except BaseException as exc:  # the interpreter's last resort, as CPython
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is not None:  # from runpy down, as `python -m` shows
            exc = exc.with_traceback(tb.tb_next)
        sys.excepthook(type(exc), exc, exc.__traceback__)
        sigint = isinstance(exc, KeyboardInterrupt)
        code = 1
    finally:
        code = finish(code)  # the interpreter's exit, without its teardown
    if sigint:  # CPython 3.8+: an uncaught KeyboardInterrupt ends the process by SIGINT
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)
