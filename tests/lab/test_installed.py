"""`make install` leaves the prebuilt extension installed and enabled in the project's
environment, as JupyterLab itself reports it (`jupyter labextension list`), with the server
extension switched on (`jupyter server extension list`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.lab import LABEXTENSION_NAME

JUPYTER = str(Path(sys.executable).with_name("jupyter"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _listing(*args: str) -> str:
    done = subprocess.run([JUPYTER, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return ANSI.sub("", done.stdout + done.stderr)


@pytest.mark.integration
@pytest.mark.slow
def test_labextension_listed_enabled() -> None:
    text = _listing("labextension", "list")
    version = __import__("json").loads(
        (Path(__file__).resolve().parents[2] / "labextension" / "package.json").read_text()
    )["version"]
    assert re.search(rf"{LABEXTENSION_NAME} v{re.escape(version)} enabled OK", text), (
        f"{LABEXTENSION_NAME} is not installed and enabled (run `make install`):\n{text}"
    )


@pytest.mark.integration
@pytest.mark.slow
def test_server_extension_enabled() -> None:
    text = _listing("server", "extension", "list")
    assert re.search(r"workbench\.lab\s+enabled", text), text
    assert re.search(r"workbench\.lab\s+OK", text), text
