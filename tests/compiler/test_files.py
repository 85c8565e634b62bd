"""Which files cells name (workbench.compiler.files): paths built from constants and
parameters, download and archive calls, and files only a skipped cell writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compiler.harness import refused
from tests.compiler.notebooks import Cell


@pytest.mark.parametrize(
    ("write", "read"),
    [
        ("df.to_csv(DATA_DIR / 'x.csv')", "pd.read_csv('data/x.csv')"),
        ("df.to_csv(os.path.join(DATA, 'x.csv'))", "pd.read_csv(DATA_DIR.joinpath('x.csv'))"),
        ("df.to_csv(f'{DATA}/x_{n:03d}.csv')", "pd.read_csv(DATA + '/x_007.csv')"),
        ("df.to_csv(str(Path(DATA, 'x.csv')))", "pd.read_csv(f'{DATA_DIR}/x.csv')"),
    ],
)
def test_paths_built_from_constants_and_parameters(tmp_path: Path, write: str, read: str) -> None:
    cells: list[Cell] = [
        (["parameters"], "n = 7"),
        (["imports"], "import os\nfrom pathlib import Path\nimport pandas as pd"),
        (["step:setup"], "DATA = 'data'\nDATA_DIR = Path(DATA)"),
        (["step:save"], f"df = pd.DataFrame({{'a': [1]}})\n{write}"),
        (["step:load", "after:setup"], f"back = {read}"),
    ]
    message = refused(tmp_path, "paths", cells)
    assert "step 'load' uses the file 'data/x" in message
    assert "which step 'save' writes (cell 3, line 2)" in message


@pytest.mark.parametrize(
    ("skipped", "path"),
    [
        (
            "urllib.request.urlretrieve('https://example.org/t.csv', 'data/train.csv')",
            "data/train.csv",
        ),
        ("zipfile.ZipFile('t.zip').extractall('data')", "data (a folder)"),
        ("%%writefile data/train.csv\nid,y\n1,2\n", "data/train.csv"),
        ("open('data/train.csv', 'wb').write(b'id,y')", "data/train.csv"),
    ],
)
def test_files_only_a_skipped_cell_writes(tmp_path: Path, skipped: str, path: str) -> None:
    cells: list[Cell] = [
        (["imports"], "import urllib.request\nimport zipfile\nimport pandas as pd"),
        (["skip"], skipped),
        (["step:load"], "train = pd.read_csv('data/train.csv')"),
    ]
    message = refused(tmp_path, "kaggle", cells)
    assert f"step 'load' reads the file {path!r} (cell 2, line 1)" in message
    assert "which only the skipped cell 1" in message


def test_writefile_inside_a_step_points_at_shipping(tmp_path: Path) -> None:
    """An untagged `%%writefile` cell after a step joins it: refused, with the way to ship it."""
    cells: list[Cell] = [
        (["step:load"], "rows = [3, 1, 2]"),
        ([], "%%writefile sorter.py\ndef ordered(xs):\n    return sorted(xs)\n"),
        (["step:sort"], "from sorter import ordered\nresult = ordered(rows)"),
    ]
    message = refused(tmp_path, "sorting", cells)
    assert "cell 1 (id cell-1), line 1" in message and "%%writefile" in message
    assert "tag the cell skip" in message and "steps/NAME/_modules" in message
