"""Bad input: exit code 2, one message per problem naming the notebook, the cell (number and
id), the line and the name, with a hint; the output folders stay exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli.main import main

from . import notebooks

GOOD: list[notebooks.Cell] = [
    (["parameters"], "k = 2"),
    (["step:a"], "x = [1, 2, 3]"),
    (["step:b"], "y = [v * k for v in x]"),
]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out + captured.err


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for folder in ("steps", "tests/steps")
        if (root / folder).exists()
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def generated(project: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A project where `nb.ipynb` was productionized once (so there is output to protect)."""
    notebooks.write(notebooks.build(GOOD), project / "nb.ipynb")
    code, _ = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 0
    return project


CASES: dict[str, tuple[list[notebooks.Cell], list[str]]] = {
    "no step tags": ([(["parameters"], "k = 1"), ([], "x = k")], ["no step tags", "hint: tag"]),
    "duplicate step": (
        [(["step:a"], "x = 1"), (["step:b"], "y = x"), (["step:a"], "z = 2")],
        ["cell 2 (id cell-2)", "duplicate step 'a'", "hint:"],
    ),
    "after cycle": (
        [(["step:a", "after:b"], "x = 1"), (["step:b", "after:a"], "y = 2")],
        ["cell 0 (id cell-0)", "wait for each other", "a, b", "hint: remove an after:"],
    ),
    "star import": (
        [(["step:a"], "from math import *\nx = sqrt(4)")],
        ["cell 0 (id cell-0), line 1", "star import", "hint: import the names"],
    ),
    "undefined name": (
        [(["step:a"], "x = 1"), (["step:b"], "y = x\nz = ghost + 1")],
        ["cell 1 (id cell-1), line 2", "`ghost` is not defined in any cell", "hint:"],
    ),
    "name from a skipped cell": (
        [(["step:a"], "x = 1"), (["skip"], "scale = 3"), (["step:b"], "y = x * scale")],
        ["cell 2 (id cell-2), line 1", "`scale` is last set by skipped cell 1", "hint:"],
    ),
    "two unordered producers": (
        [
            (["step:a"], "base = 1"),
            (["step:left"], "x = base + 1"),
            (["step:right"], "x = base + 2"),
            (["step:join"], "y = x * 2"),
        ],
        ["cell 1 (id cell-1), line 1", "`x` is produced by steps 'left' and 'right'", "after:left"],
    ),
    "shell command": (
        [(["step:a"], "!ls -l\nx = 1")],
        ["cell 0 (id cell-0), line 1", "shell command `!ls -l`", "hint: shell commands"],
    ),
    "pip magic": (
        [(["step:a"], "x = 1\n%pip install requests")],
        ["cell 0 (id cell-0), line 2", "`%pip` installs packages", "requirements.txt"],
    ),
    "non-literal parameter": (
        [(["parameters"], "k = len('abc')"), (["step:a"], "x = k")],
        ["cell 0 (id cell-0), line 1", "parameter 'k' is not a literal", "hint:"],
    ),
    "syntax error": (
        [(["step:a"], "x = (1,\n")],
        ["cell 0 (id cell-0), line", "not valid Python", "hint:"],
    ),
    "helper reads a step value": (
        [(["functions"], "def f():\n    return x + 1"), (["step:a"], "x = 1\ny = f()")],
        ["cell 0 (id cell-0), line 2", "helper code uses `x`", "hint: pass `x`"],
    ),
    "bad step name": (
        [(["step:Load-Data"], "x = 1")],
        ["cell 0 (id cell-0)", "'Load-Data' is not a valid step name", "[a-z_][a-z0-9_]*"],
    ),
    "used before defined": (
        [(["step:a"], "y = x + 1"), (["step:b"], "x = 2")],
        ["cell 0 (id cell-0), line 1", "`x` is used before any earlier cell defines it", "cell 1"],
    ),
    "parameter changed in place": (
        [(["parameters"], "cols = ['a']"), (["step:a"], "cols.append('b')\nx = cols")],
        ["cell 1 (id cell-1), line 1", "changes parameter `cols` in place", "hint: copy"],
    ),
    "skipped cell changes a step's value": (
        [(["step:a"], "x = [3, 1]"), (["skip"], "x.sort()"), ([], "y = x[0]")],
        ["cell 1 (id cell-1), line 1", "skipped cell changes `x`, which step 'a' reads", "hint:"],
    ),
    "top-level await": (
        [(["step:a"], "import asyncio\nx = 1\nawait asyncio.sleep(0)")],
        ["cell 0 (id cell-0), line 3", "top-level `await`", "hint: wrap"],
    ),
    "unknown after target": (
        [(["step:a", "after:nothing"], "x = 1")],
        ["cell 0 (id cell-0)", "after:nothing: no step 'nothing'"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_notebook_exits_2_and_writes_nothing(
    case: str, generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells, expected = CASES[case]
    before = _snapshot(generated)
    notebooks.write(notebooks.build(cells), generated / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 2, output
    assert "nb.ipynb" in output and "Traceback" not in output
    for text in expected:
        assert text in output, (text, output)
    assert _snapshot(generated) == before


def test_every_problem_is_reported_at_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [(["step:a"], "x = ghost\n!ls"), (["step:b"], "from os import *\ny = phantom")]
    notebooks.write(notebooks.build(cells), project / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 2
    assert "4 problems" in output
    for text in ("`ghost`", "shell command", "star import", "`phantom`"):
        assert text in output


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "not a valid .ipynb notebook"), ('{"cells": 3}', "not a valid .ipynb notebook")],
)
def test_invalid_ipynb(
    content: str, expected: str, generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(generated)
    (generated / "nb.ipynb").write_text(content)
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 2 and expected in output and "nb.ipynb" in output
    assert _snapshot(generated) == before


def test_missing_notebook(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _run(["productionize", "absent.ipynb"], capsys)
    assert code == 2 and "absent.ipynb" in output and "cannot read" in output
    assert not (project / "steps").exists()


@pytest.mark.parametrize(("args", "bad"), [(["--name", "Bad-Name"], "'Bad-Name'"), ([], "'My-NB'")])
def test_invalid_pipeline_name(
    args: list[str], bad: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notebooks.write(notebooks.build(GOOD), project / "My-NB.ipynb")
    code, output = _run(["productionize", "My-NB.ipynb", *args], capsys)
    assert code == 2 and bad in output and "--name" in output
    assert not (project / "steps").exists()


def test_unknown_tag_is_a_warning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cells = [*GOOD[:2], (["step:b", "fancy"], GOOD[2][1])]
    notebooks.write(notebooks.build(cells), project / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 0
    assert "cell 2 (id cell-2): warning: unknown tag 'fancy' ignored" in output
    assert (project / "steps" / "nb" / "b.py").is_file()


def test_dropped_code_is_a_warning_and_library_state_is_replayed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [
        (["imports"], "import random\nrandom.seed(1)\nprint('ready')"),
        (["step:a"], "x = random.random()"),
        (["step:b"], "y = x + 1"),
    ]
    notebooks.write(notebooks.build(cells), project / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 0, output
    assert "cell 0 (id cell-0), line 3: warning: this statement is not an import" in output
    assert "line 2" not in output
    assert "    random.seed(1)\n" in (project / "steps" / "nb" / "a.py").read_text()


def test_seeded_global_generator_drawn_in_two_steps_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [
        (["imports"], "import random"),
        (["step:a"], "random.seed(2)\nx = random.random()"),
        (["step:b"], "y = x + random.random()"),
    ]
    notebooks.write(notebooks.build(cells), project / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 2
    assert (
        "cell 2 (id cell-2), line 1: error: step 'b' draws from the global generator `random`"
        in output
    )
    assert "1 problem" in output


def test_injected_parameters_and_kale_settings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = [
        GOOD[0],
        (["injected-parameters"], "k = 5\nextra = 1"),
        (["step:a", "limit:nvidia.com/gpu:1"], GOOD[1][1]),
        GOOD[2],
    ]
    notebooks.write(notebooks.build(cells), project / "nb.ipynb")
    code, output = _run(["productionize", "nb.ipynb"], capsys)
    assert code == 0, output
    assert "cell 1 (id cell-1): note: papermill's injected-parameters cell left out" in output
    assert "warning: Kale step setting 'limit:nvidia.com/gpu:1' ignored" in output
    assert '"default": 2' in (project / "steps" / "nb" / "pipeline.json").read_text()
