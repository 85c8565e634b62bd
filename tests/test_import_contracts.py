"""The import rules in pyproject.toml ([tool.importlinter]) hold: mlflow only in the tracking
package and the serving loader, hera only in the Argo emitter, no package importing a layer
above it, and every subpackage is under every rule (one left out would not be checked). `make lint` runs the same check; this keeps it in every pytest run too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_every_package_is_under_every_contract() -> None:
    """A subpackage left out of a contract is not checked at all: each one must be a source of
    both forbidden contracts (or the package that owns the import) and sit in a layer."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    packages = {p.name for p in (REPO / "workbench").iterdir() if (p / "__init__.py").is_file()}
    owners = {"mlflow": {"tracking"}, "hera": set()}
    for contract in config["contracts"]:
        if contract["type"] == "forbidden":
            (forbidden,) = contract["forbidden_modules"]
            sources = {m.removeprefix("workbench.") for m in contract["source_modules"]}
            assert packages - owners[forbidden] - sources == set(), contract["name"]
        else:
            layered = {p.strip() for layer in contract["layers"] for p in layer.split("|")}
            assert packages - layered == set(), contract["name"]
