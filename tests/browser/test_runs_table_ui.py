"""The runs table in real JupyterLab and Chromium over 60 runs with 23 parameters.

What a reader sees and does: the metric column before the parameters, the table scrolling
sideways inside its own box with the run column in place while the controls stay put, a header
click sorting, two ticked rows making the diff, Register & promote off without data, the first
chart drawn once the table is shown, and how long the widget takes to render (measured on a
re-run, where the kernel is warm and the time is the front end's).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from lab_server import CHROME_ARGS, CHROMIUM, TOKEN, jupyter_lab

from tests.project_helpers import isolate, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
RUNS, PARAMS = 60, 23
RENDER_BUDGET_S = 1.5  # issue 17: first render within 1.5 s over 60 runs
CELL = (
    "import time, workbench\n"
    "t = time.perf_counter()\n"
    'view = workbench.compare("sweep", metric="rmse")\n'
    'print(f"compare() {time.perf_counter() - t:.3f} s")\n'
    "view"
)


def _populate(root: Path) -> None:
    """A sweep as a Kaggle notebook logs it: many hyper-parameters, one metric, git commits."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from workbench.tracking.config import configure

    experiment_id = configure("sweep")
    client = MlflowClient()
    for i in range(RUNS):
        run = client.create_run(experiment_id, run_name=f"trial-{i:02d}")
        params = [Param(f"param_{j:02d}", str((i * (j + 1)) % (j + 2))) for j in range(PARAMS)]
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("rmse", 10.0 / (i + 1), 0, 0)],
            params=params,
            tags=[RunTag("mlflow.source.git.commit", f"{i:040x}")],
        )
        client.set_terminated(run.info.run_id)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(tmp_path / "proj")
    with monkeypatch.context() as mp:
        isolate(mp, root)
        _populate(root)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nbformat.write(nb, root / "runs.ipynb")
    return root


def test_runs_table_in_jupyterlab(project: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    scratch = tmp_path / "lab"
    console: list[str] = []
    with jupyter_lab(project, scratch) as port, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            user_data_dir=str(scratch / "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1400, "height": 1400},
        )
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.set_default_timeout(180_000)
        expect.set_options(timeout=180_000)

        def run_all() -> None:
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

        try:
            page.goto(f"http://127.0.0.1:{port}/lab/tree/runs.ipynb?reset&token={TOKEN}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            expect(page.locator("#jp-main-statusbar")).to_contain_text(
                re.compile(r"ipykernel\)\s*\|\s*Idle")
            )
            run_all()
            widget = page.locator(".wb-compare")
            table = widget.locator("table.wb-runs")
            expect(table.locator("tr.wb-row")).to_have_count(RUNS)

            # the run, then the metric, then the parameters
            columns = table.locator("th[data-column]").evaluate_all(
                "ths => ths.map(th => th.dataset.column)"
            )
            assert columns[:3] == ["attributes.run", "metrics.rmse", "params.param_00"]

            # the first chart is built once the table is on screen (the front end says so)
            expect(widget.locator(".js-plotly-plot .gtitle").first).to_have_text(
                re.compile(r"rmse vs param_")
            )

            # sideways scrolling happens inside the table's box; the run column stays put
            box = widget.locator(".wb-table-scroll")
            first_run = table.locator("tr.wb-row td.wb-run").first
            filter_box = widget.get_by_label("Filter", exact=True)
            before = (first_run.bounding_box(), filter_box.bounding_box())
            scrolled = box.evaluate("b => { b.scrollLeft = 3000; return b.scrollLeft; }")
            assert scrolled > 500  # 23 parameters are wider than the box
            page.wait_for_timeout(200)
            after = (first_run.bounding_box(), filter_box.bounding_box())
            assert after[0]["x"] == pytest.approx(before[0]["x"], abs=1)
            assert after[1]["x"] == pytest.approx(before[1]["x"], abs=1)
            assert widget.evaluate("w => w.scrollWidth <= w.clientWidth + 1")

            # a header click sorts; the rows' checkboxes drive the diff
            table.locator('th[data-column="params.param_03"]').click()
            expect(table).to_have_attribute("data-sort", "params.param_03")
            boxes = table.locator("input.wb-select")
            boxes.nth(0).check()
            boxes.nth(1).check()
            widget.locator(".lm-TabBar-tab", has_text="Diff").click()
            expect(widget.locator("table.wb-diff-params .wb-diff-run")).to_have_count(2)
            expect(widget.locator(".wb-diff-view")).to_contain_text("git commit")

            widget.locator(".lm-TabBar-tab", has_text="Register & promote").click()
            expect(widget.get_by_role("button", name="Register & promote")).to_be_disabled()

            # the render time: re-run the cell, from the click to 60 rows in a new table
            page.evaluate(
                "document.querySelectorAll('table.wb-runs').forEach(t => t.dataset.old = 1)"
            )
            start = time.monotonic()
            run_all()
            page.wait_for_function(
                f"""() => {{
                    const t = document.querySelector('table.wb-runs:not([data-old])');
                    return t && t.querySelectorAll('tr.wb-row').length === {RUNS};
                }}""",
                polling="raf",
            )
            render_s = time.monotonic() - start
            output = page.locator(".jp-OutputArea-output").first.inner_text()
            print(f"\nre-run to {RUNS} rows shown: {render_s:.2f} s ({output.strip()})")
            body = page.locator(".jp-NotebookPanel").inner_text()
            assert "Error displaying widget" not in body and "Traceback" not in body
            assert render_s < RENDER_BUDGET_S, f"{render_s:.2f} s ({output.strip()})"
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print("\n".join(console[-40:]))
            raise
        finally:
            ctx.close()
