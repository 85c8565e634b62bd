"""Throw-away virtualenvs holding a protocol's own client library, built once per requirement
set and reused (by digest) from a cache folder.

The real clients (tritonclient, seldon-core 1.x) conflict with the project's pins (seldon-core
1.18 wants an old Flask, `setuptools<82`, its own protobuf), so they never enter the project's
environment: `uv` builds a venv beside it and the tests run small driver scripts in it
(tests/serving/clients/) as separate processes that talk HTTP to a real `workbench serve`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.cache_helpers import built_once, cache_root, compile_venv, digest

CLIENTS = Path(__file__).parent / "clients"
REQUIREMENTS = {
    "triton": ["tritonclient[http]>=2.40", "numpy"],
    # 1.18 imports pkg_resources, which setuptools 82 removed
    "seldon": ["seldon-core>=1.18,<2", "setuptools<82"],
}


def client_python(kind: str) -> Path:
    """The python of a venv holding REQUIREMENTS[kind], built now unless cached (one build at a
    time per requirement set, across pytest-xdist workers: tests/cache_helpers.py)."""
    reqs = REQUIREMENTS[kind]
    folder = cache_root() / "client-venvs" / f"{kind}-{digest(kind, reqs, sys.version_info[:2])}"
    return built_once(folder, lambda side: _build(side, reqs)) / "bin" / "python"


def _build(folder: Path, reqs: list[str]) -> None:
    from workbench.deploy.rehearse.image import uv_binary

    uv = uv_binary()
    if uv is None:
        raise RuntimeError("the real-client tests need `uv` (make install puts it in the venv)")
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(folder)], check=True)
    env = {**os.environ, "VIRTUAL_ENV": str(folder)}
    subprocess.run([uv, "pip", "install", "-q", *reqs], check=True, env=env)
    compile_venv(folder)  # as --compile-bytecode would, from the shared bytecode store


def run_client(python: Path, script: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run clients/SCRIPT in the client venv with `args` on stdin; its JSON stdout back."""
    proc = subprocess.run(
        [str(python), str(CLIENTS / script)],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise AssertionError(f"{script} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
