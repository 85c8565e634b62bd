"""The CLI shell: --help lists every command with one line and imports nothing heavy."""

from __future__ import annotations

import os
import subprocess
import sys

from workbench.cli.main import COMMANDS


def test_help_lists_every_command_without_heavy_imports() -> None:
    code = (
        "import sys\n"
        "from workbench.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('mlflow', 'hera', 'papermill', 'optuna', 'ipywidgets') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    for name, (_, help_line) in COMMANDS.items():
        assert name in out and help_line.split()[0] in out
    assert "HEAVY []" in out


def test_the_process_ends_as_cpython_would_without_its_teardown() -> None:
    """`entry()` (the console script, `python -m workbench`) skips the interpreter's teardown,
    not its exit: the exit status, a non-daemon thread's last line, atexit handlers and
    everything written to a pipe (from Python, and from C's stdio buffers) still arrive; a file object left open is flushed by the
    teardown only, so the command itself must close what it writes (ResourceWarnings are
    errors in this suite)."""
    code = (
        "import atexit, sys, threading, time\n"
        "from workbench.cli import main as cli\n"
        "atexit.register(lambda: print('atexit ran', flush=False))\n"
        "def late():\n    time.sleep(0.2)\n    print('thread done', flush=False)\n"
        "threading.Thread(target=late).start()\n"
        "sys.argv = ['workbench', *sys.argv[1:]]\n"
        "print('x' * 200000, flush=False)\n"
        "import ctypes\n"
        "ctypes.CDLL(None).printf(b'from C stdio\\n')\n"  # libc's buffer: exit() flushes it
        "cli.entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    ok = subprocess.run(
        [sys.executable, "-c", code, "--help"], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("x") >= 200000 and "Commands" in ok.stdout
    assert "atexit ran" in ok.stdout and "thread done" in ok.stdout
    assert "from C stdio" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-c", code, "no-such"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2 and "No such command" in bad.stderr
    assert "atexit ran" in bad.stdout and "from C stdio" in bad.stdout
