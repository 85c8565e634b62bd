"""Issue 10, item 6: Kale's tag semantics, tags on text cells, pipeline names, one message per
root cause, and `%%capture NAME`."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli.main import main
from workbench.compiler import CompileError, compile_notebook

from . import notebooks
from .harness import chained

# A Kale notebook (sales forecasting): an untagged cell after `functions` and one after
# `pipeline-parameters` join them; `block:load` comes back after another block.
KALE_LAYOUT: list[notebooks.Cell] = [
    (["imports"], "import statistics"),
    (["pipeline-parameters"], "window = 3"),
    ([], "growth = 1.5"),
    (
        ["functions"],
        "def moving_average(xs, n):\n    return [statistics.mean(xs[i:i + n])"
        " for i in range(len(xs) - n + 1)]",
    ),
    ([], "def scale(xs, factor):\n    return [x * factor for x in xs]"),
    (["block:load"], "sales = [12, 15, 11, 18, 21, 19, 25]"),
    (["block:smooth", "prev:load"], "smoothed = moving_average(sales, window)"),
    (
        ["block:load"],
        "returns = [1, 0, 2, 1, 0, 3, 1]\nnet = [s - r for s, r in zip(sales, returns)]",
    ),
    (["block:forecast", "prev:smooth"], "forecast = scale(smoothed, growth)\nlast_net = net[-1]"),
    (["pipeline-metrics"], "print(forecast, last_net)"),
]


def _compile(project: Path, cells: list[notebooks.Cell], name: str = "nb") -> tuple[object, str]:
    path = notebooks.write(notebooks.build(cells), project / f"{name}.ipynb")
    try:
        spec, notes = compile_notebook(path, root=project)
    except CompileError as exc:
        return None, str(exc)
    return spec, "\n".join(n.render() for n in notes)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out + captured.err


def test_kale_semantics_compile(project: Path) -> None:
    spec, _ = _compile(project, KALE_LAYOUT)
    assert spec is not None
    assert [p.name for p in spec.parameters] == ["growth", "window"]  # type: ignore[attr-defined]
    load = spec.step("load")  # type: ignore[attr-defined]
    assert [c.index for c in load.cells] == [5, 7]
    assert set(spec.step("forecast").helpers) == {"scale"}  # type: ignore[attr-defined]
    assert spec.step("forecast").input_sources == {"net": "load", "smoothed": "smooth"}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_kale_semantics_match_the_notebook(tmp_path: Path) -> None:
    values = chained(tmp_path, "sales", KALE_LAYOUT)
    assert values[("forecast", "last_net")] == 24


def test_kale_block_between_cells_of_another_block_is_refused(project: Path) -> None:
    cells: list[notebooks.Cell] = [
        (["block:prep"], "rows = [3, 1, 2]"),
        (["block:sort_rows", "prev:prep"], "rows.sort()"),
        (["block:prep"], "first = rows[0]"),
    ]
    spec, message = _compile(project, cells)
    assert spec is None
    assert "cell 1 (id cell-1), line 1" in message and "`rows`" in message
    assert "1 problem" in message


def test_kale_block_changing_what_a_block_in_between_read_is_refused(project: Path) -> None:
    cells: list[notebooks.Cell] = [
        (["block:prep"], "rows = [3, 1, 2]"),
        (["block:total", "prev:prep"], "total = sum(rows)"),
        (["block:prep"], "rows.append(10)"),
    ]
    spec, message = _compile(project, cells)
    assert spec is None
    assert "cell 2 (id cell-2), line 1" in message and "after step 'total'" in message


def test_step_tag_spelled_step_still_may_not_repeat(project: Path) -> None:
    cells: list[notebooks.Cell] = [
        (["step:a"], "x = 1"),
        (["step:b"], "y = x"),
        (["step:a"], "z = 2"),
    ]
    _, message = _compile(project, cells)
    assert "duplicate step 'a'" in message


def test_step_tag_on_markdown_or_raw_cell_is_a_warning(project: Path) -> None:
    nb = notebooks.build([(["step:a"], "x = 1"), (["step:b"], "y = x + 1")])
    import nbformat

    text = nbformat.v4.new_markdown_cell("## Evaluate")
    text.metadata["tags"] = ["step:evaluate"]
    raw = nbformat.v4.new_raw_cell("notes")
    raw.metadata["tags"] = ["block:notes"]
    nb.cells[1:1] = [text, raw]
    path = notebooks.write(nb, project / "nb.ipynb")
    spec, notes = compile_notebook(path, root=project)
    rendered = "\n".join(n.render() for n in notes)
    assert "cell 1" in rendered and "markdown cell tagged step:evaluate" in rendered
    assert "cell 2" in rendered and "raw cell tagged block:notes" in rendered
    assert [s.name for s in spec.steps] == ["a", "b"]


@pytest.mark.parametrize("stem", ["class", "import", "match", "my notebook"])
def test_pipeline_name_that_is_a_keyword_or_no_identifier(
    stem: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebooks.write(notebooks.build([(["step:a"], "x = 1")]), project / f"{stem}.ipynb")
    code, output = _run(["productionize", f"{stem}.ipynb"], capsys)
    assert code == 2
    assert "Traceback" not in output
    assert f"pipeline name {stem!r}" in output and "hint:" in output and "--name" in output
    assert not (project / "steps").exists()


def test_one_root_cause_gives_one_message(project: Path) -> None:
    bad_tag = [(["step:Load-Data"], "raw = [1, 2]"), ([], "n = len(raw)")]
    _, message = _compile(project, bad_tag)
    assert "1 problem" in message and "not a valid step name" in message
    assert "no step tags" not in message
    syntax = [(["step:a"], "rows = [1, 2\n"), (["step:b"], "total = sum(rows)")]
    _, message = _compile(project, syntax, "syn")
    assert "1 problem" in message and "not valid Python" in message
    assert "not defined" not in message


@pytest.mark.slow
def test_capture_binds_its_name(tmp_path: Path) -> None:
    cells: list[notebooks.Cell] = [
        (["step:train"], "%%capture log\nprint('epoch 1')\nprint('epoch 2')\nloss = 0.25"),
        (["step:report"], "lines = log.stdout.splitlines()\nfinal = loss"),
        (["pipeline-metrics"], "print(lines, final)"),
    ]
    values = chained(tmp_path, "capture", cells)
    assert values[("report", "lines")] == ["epoch 1", "epoch 2"]


def test_container_whose_element_was_rebound_is_refused_when_changed_through(
    project: Path,
) -> None:
    """combine = [train_df, test_df]; train_df is rebound; a loop changes combine's frames: the
    old frame exists only inside combine, which a pipeline cannot keep shared: refused."""
    cells: list[notebooks.Cell] = [
        (["imports"], "import pandas as pd"),
        (
            ["step:load"],
            "train_df = pd.DataFrame({'a': [1, 2]})\ntest_df = pd.DataFrame({'a': [3]})\n"
            "combine = [train_df, test_df]",
        ),
        (["step:trim"], "train_df = train_df.head(1)"),
        (["step:mark"], "for d in combine:\n    d['b'] = d['a'] * 2"),
        (["step:report"], "sizes = [len(d) for d in combine]\nn = len(train_df)"),
    ]
    spec, message = _compile(project, cells)
    assert spec is None
    assert "cell 3 (id cell-3), line 2" in message and "`combine`" in message
