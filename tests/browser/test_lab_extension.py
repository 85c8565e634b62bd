"""The workbench JupyterLab extension in real JupyterLab and Debian's Chromium (Playwright).

The example notebook in a fresh project: tag badges on its cells, the pipeline panel listing
the steps the compiler finds (compared with the compiler's own spec), a tag changed through a
badge click reaching the panel after a save, and Productionize from the panel with live status
until steps/ is up to date. One JupyterLab for the module.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.jupyterlab import CHROME_ARGS, CHROMIUM, REPO, TOKEN, jupyterlab

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    scratch = tmp_path_factory.mktemp("labext")
    project = scratch / "proj"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "ui"\nversion = "0"\n\n[tool.workbench]\n'
    )
    shutil.copy(REPO / "notebooks" / "train.ipynb", project / "notebooks" / "train.ipynb")
    with jupyterlab(project, scratch / "lab") as port:
        yield port, project


def test_badges_panel_tag_edit_and_productionize(lab: tuple[int, Path], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from workbench.compiler import compile_notebook

    port, project = lab
    notebook = project / "notebooks" / "train.ipynb"
    spec, _ = compile_notebook(notebook, root=project)
    console: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROME_ARGS,
            viewport={"width": 1500, "height": 1400},
        )
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)
        try:
            page.goto(f"http://127.0.0.1:{port}/lab/tree/notebooks/train.ipynb?reset&token={TOKEN}")
            cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
            expect(cells.first).to_be_visible()
            # badges: the roles and the first steps, each on its own cell
            badges = page.locator(".wb-cell-badges .wb-badge")
            for tag in ("parameters", "imports", "functions", "step:load"):
                expect(badges.filter(has_text=re.compile(f"^{tag}$")).first).to_be_visible()
            expect(page.locator(".wb-badge-step", has_text="step:load")).to_have_count(1)
            load = page.locator(".jp-Cell", has=page.locator(".wb-badge", has_text="step:load"))
            badge_box = load.locator(".wb-cell-badges").bounding_box()
            input_box = load.locator(".jp-Cell-inputWrapper").bounding_box()
            assert badge_box and input_box  # the badges sit right above the cell's input
            assert badge_box["y"] + badge_box["height"] <= input_box["y"] + 1

            # the panel: every step of the compiler's spec, in its order
            page.locator('.lm-TabBar-tab[data-id="workbench-pipeline"]').click()
            panel = page.locator("#workbench-pipeline")
            steps = panel.locator(".wb-step-name")
            expect(steps).to_have_text([s.name for s in spec.steps])
            train = panel.locator('.wb-step[data-step="train"]')
            expect(train).to_contain_text("← X_train from preprocess")
            expect(train).to_contain_text("→ model (model)")
            expect(panel.locator(".wb-params")).to_contain_text("test_size")
            expect(panel.locator(".wb-stale")).to_contain_text("not generated yet")

            # a badge click edits the cell's tags; after a save the compiler's diagnostic shows
            # on that cell and in the panel; a fixed tag clears it and the panel follows
            promote = page.locator(
                ".jp-Cell", has=page.locator(".wb-badge", has_text="step:promote")
            )
            dialog = page.locator(".jp-Dialog")
            promote.locator(".wb-badge", has_text="step:promote").click()
            dialog.locator(".wb-tag-input").fill("step:class")
            dialog.locator("button", has_text="Set tags").click()
            bad = page.locator(".jp-Cell", has=page.locator(".wb-badge", has_text="step:class"))
            page.keyboard.press("Control+s")
            expect(bad.locator(".wb-diagnostic-error")).to_contain_text("cannot name a step")
            expect(panel.locator(".wb-diagnostics .wb-diagnostic-error")).to_contain_text(
                "'class' cannot name a step"
            )
            bad.locator(".wb-badge", has_text="step:class").click()
            dialog.locator(".wb-tag-input").fill("step:promote, after:evaluate")
            dialog.locator("button", has_text="Set tags").click()
            expect(promote.locator(".wb-badge-after")).to_have_text("after:evaluate")
            page.keyboard.press("Control+s")
            expect(panel.locator('.wb-step[data-step="promote"]')).to_contain_text(
                "after: evaluate"
            )
            expect(page.locator(".wb-diagnostic-error")).to_have_count(0)

            # Productionize from the panel: live status, then steps/ is up to date
            panel.locator('button[data-action="productionize"]').click()
            expect(panel.locator(".wb-job-status")).to_contain_text("succeeded")
            expect(panel.locator(".wb-stale-no")).to_contain_text("steps/train is up to date")
            assert (project / "steps" / "train" / "pipeline.json").is_file()
            page.screenshot(path=str(tmp_path / "labext.png"))
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print("\n".join(console[-40:]))
            raise
        finally:
            ctx.close()
    keep = os.environ.get("WORKBENCH_SCREENSHOT_LABEXT")
    if keep:
        shutil.copy(tmp_path / "labext.png", keep)
