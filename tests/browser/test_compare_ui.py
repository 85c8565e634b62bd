"""Real JupyterLab in Debian's Chromium: run the tuning example, then drive the comparison widget.

JupyterLab listens on 127.0.0.1 with a fixed token and throw-away settings; Playwright drives
/usr/bin/chromium (no browser download). The example notebook runs in a fresh project (demo
data, own tracking store) with fewer trials; the test changes the metric control and checks
that the table and the scatter chart follow, then saves a screenshot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TOKEN = "workbench-ui-test"
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",  # root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare_project(root: Path) -> Path:
    """A project with the demo data and the example notebook, set to 6 trials."""
    from workbench.demo.data import write_demo_data

    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ui"\nversion = "0"\n\n[tool.workbench]\n'
    )
    write_demo_data(root / "data")
    nb = nbformat.read(REPO / "notebooks" / "tune.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = re.sub(r"n_trials = \d+", "n_trials = 6", params.source)
    assert "n_trials = 6" in params.source
    nbformat.write(nb, root / "notebooks" / "tune.ipynb")
    return root


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    project = _prepare_project(tmp_path / "proj")
    scratch = tmp_path / "lab"
    settings = scratch / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no news or update toast over the notebook
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "WORKBENCH_"))
    }
    env.update(
        PYTHONPATH=str(REPO),  # the kernel imports this checkout's workbench
        JUPYTER_CONFIG_DIR=str(scratch / "config"),
        JUPYTER_RUNTIME_DIR=str(scratch / "runtime"),
        IPYTHONDIR=str(scratch / "ipython"),
    )
    port = _free_port()
    cmd = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        *(["--allow-root"] if os.geteuid() == 0 else []),
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={project}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.user_settings_dir={scratch / 'settings'}",
        f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
    ]
    log = (scratch / "lab.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=project)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited: {(scratch / 'lab.log').read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=1
                ):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not answer in 60 s") from None
                time.sleep(0.2)
        yield port, scratch
    finally:
        kernels = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in kernels:  # any kernel the server left behind, by PID only
            if Path(f"/proc/{pid}").exists():
                os.kill(int(pid), signal.SIGKILL)
        log.close()


def test_compare_widget_in_jupyterlab(lab: tuple[int, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    port, scratch = lab
    shot = tmp_path / "compare.png"
    console: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            user_data_dir=str(scratch / "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1400, "height": 1600},
        )
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)  # expect() has its own 5 s default
        try:
            page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/tune.ipynb?reset&token={TOKEN}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            # "Idle" in the toolbar can come before the kernel exists; the status bar names it
            expect(page.locator("#jp-main-statusbar")).to_contain_text(
                re.compile(r"ipykernel\)\s*\|\s*Idle")
            )
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

            widget = page.locator(".wb-compare")
            table = widget.locator("table.wb-runs")
            expect(table).to_have_attribute("data-metric", "cv_roc_auc")
            expect(table.locator("tr.wb-row")).to_have_count(6)
            # a study opens on its optimisation history; the scatter is drawn when its tab shows
            expect(widget.locator(".js-plotly-plot .gtitle").first).to_have_text(
                "optimisation history"
            )
            widget.locator(".lm-TabBar-tab", has_text="Metric vs parameter").click()
            title = widget.locator(".js-plotly-plot .gtitle", has_text=" vs ")
            expect(title).to_have_text("cv_roc_auc vs C")
            body = page.locator(".jp-NotebookPanel").inner_text()
            assert "Error displaying widget" not in body and "Traceback" not in body

            before = table.inner_text()
            metric = widget.get_by_label("Metric", exact=True)
            metric.select_option("intermediate_value")
            expect(table).to_have_attribute("data-metric", "intermediate_value")
            expect(title).to_have_text("intermediate_value vs C")
            after = table.inner_text()
            # re-sorted by the chosen metric, now the first metric column; the caption names it
            assert after != before and after.startswith("run\tintermediate_value ▼")
            expect(widget.locator(".wb-caption")).to_contain_text("intermediate_value (last)")

            widget.scroll_into_view_if_needed()
            page.wait_for_timeout(800)  # let plotly finish drawing before the picture
            widget.screenshot(path=str(shot))
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print("\n".join(console[-40:]))
            raise
        finally:
            ctx.close()
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("WORKBENCH_SCREENSHOT")
    if keep:  # to look at it: WORKBENCH_SCREENSHOT=/tmp/compare.png pytest -m browser
        shutil.copy(shot, keep)
