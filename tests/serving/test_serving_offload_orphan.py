"""The offload child never outlives the server: killed outright, the server takes it along."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from serving_helpers import example_model, start_server, stop_server, write_store_model

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_the_offload_child_exits_when_the_server_is_killed(tmp_path: Path) -> None:
    folder = write_store_model(tmp_path / "models", example_model())
    server = start_server(str(folder), tmp_path, "--trust-unverified", timeout=120)
    try:
        kids = children(server.proc.pid)
        assert kids, "no offload child"
        os.kill(server.proc.pid, signal.SIGKILL)  # no shutdown runs: no sentinel for the pool
        server.proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [k for k in kids if alive(k)]
        for k in left:
            os.kill(k, signal.SIGKILL)
        assert not left, f"offload child {left} outlived the server"
    finally:
        if server.proc.poll() is None:
            stop_server(server)
