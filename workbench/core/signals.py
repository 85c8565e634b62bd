"""Stop signals as KeyboardInterrupt, so every "close the run KILLED" path handles them.

Kubernetes stops a pod with SIGTERM (then SIGKILL after the grace period); a closed terminal
sends SIGHUP. Python turns only SIGINT into KeyboardInterrupt; inside `stop_signals_interrupt()`
SIGTERM and SIGHUP raise `Terminated` (a KeyboardInterrupt subclass that remembers the signal)
in the main thread, and the code that already ends an MLflow run KILLED and keeps the executed
notebook on Ctrl-C does the same for them. Outside the main thread it changes nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """A stop signal arrived; `exit_code` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def exit_code(exc: KeyboardInterrupt) -> int:
    return exc.exit_code if isinstance(exc, Terminated) else 128 + signal.SIGINT


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
