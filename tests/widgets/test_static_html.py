"""An executed notebook still shows the runs table without a kernel: nbconvert to HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from widgets_store import Store

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.integration
def test_executed_notebook_converts_to_html_with_the_table(
    in_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the kernel imports this checkout
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell('import workbench\nworkbench.compare("wb-a", metric="acc")')
    ]
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(in_store.root)}}
    ).execute()
    output = nb.cells[0].outputs[0]
    assert "application/vnd.jupyter.widget-view+json" in output["data"]  # live view for a kernel
    exporter = HTMLExporter()

    # saved with widget state: nbconvert embeds the widgets; the state holds the table's HTML
    with_state, _ = exporter.from_notebook_node(nb)
    assert '<script type="application/vnd.jupyter.widget-view+json">' in with_state
    assert "wb-runs" in json.dumps(nb.metadata["widgets"])

    # saved without it (or viewed where widgets cannot run): the static table is the output
    del nb.metadata["widgets"]
    body, _ = exporter.from_notebook_node(nb)
    outputs = body[body.index('data-mime-type="text/html"') :]
    names = set(re.findall(r'title="\w+">(a\d\d)</a>', outputs))
    assert names == {f"a{i:02d}" for i in range(24)}
    assert f'data-run-id="{in_store.champion}"' in outputs and "★ champion: clf" in outputs
    assert 'data-metric="acc"' in outputs
