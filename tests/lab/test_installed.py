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


@pytest.mark.integration
@pytest.mark.slow
def test_a_wheel_installs_the_extension(tmp_path: Path) -> None:
    """`pip install notebook-workbench` (a wheel, not `make install`) brings the prebuilt
    extension and the server extension's switch: the wheel is built from this checkout and
    installed without dependencies into a new environment that borrows the project's packages
    (a .pth file), so JupyterLab there finds only what the wheel put in its prefix."""
    import sysconfig

    repo = Path(__file__).resolve().parents[2]
    built = repo / "workbench" / "lab" / "labextension" / "package.json"
    assert built.is_file(), "the extension is not built: run `make labextension`"
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(wheels), str(repo)],
        check=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("notebook_workbench-*.whl")
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "project-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(wheel)],
        check=True, timeout=600,
    )  # fmt: skip
    assert (env_dir / "share/jupyter/labextensions/workbench-lab/package.json").is_file()
    assert (env_dir / "etc/jupyter/jupyter_server_config.d/workbench-lab.json").is_file()
    listing = subprocess.run(
        [python, "-m", "jupyterlab.labextensions", "list"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    text = ANSI.sub("", listing.stdout + listing.stderr)
    assert re.search(rf"{env_dir}/share/jupyter/labextensions", text), text
    assert re.search(rf"{LABEXTENSION_NAME} v\S+ enabled OK", text), text
