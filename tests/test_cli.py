"""The CLI shell: --help lists every command with one line and imports nothing heavy."""

from __future__ import annotations

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
