"""`workbench run` is a thin wrapper: these are the arguments that reach `run_notebook`."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import workbench.execute
from workbench.cli.main import main
from workbench.execute import NotebookRun, lean
from workbench.execute.params import Overrides


def test_options_reach_run_notebook(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    lean_calls: list[int] = []
    monkeypatch.setattr(lean, "skip_slow_optional_imports", lambda: lean_calls.append(1))

    def fake(notebook: Path, parameters: dict[str, Any], **kwargs: Any) -> NotebookRun:
        seen.update(notebook=notebook, parameters=parameters, **kwargs)
        return NotebookRun("r1", "0", "exp", "nb.ipynb", Path("out.ipynb"), {})

    monkeypatch.setattr(workbench.execute, "run_notebook", fake)
    with pytest.raises(SystemExit) as info:
        main(
            ["run", "nb.ipynb", "-p", "C", "0.5", "-p", "n", "3", "-r", "tag", "007",
             "--output", "o.ipynb", "--cwd", "work", "--experiment", "e"]
        )  # fmt: skip
    assert info.value.code == 0
    assert seen["notebook"] == Path("nb.ipynb")
    # -p texts are typed later, by the notebook's defaults; -r strings are kept as they are
    assert seen["parameters"] == Overrides({"C": "0.5", "n": "3"}, {"tag": "007"})
    assert (seen["output"], seen["cwd"], seen["experiment"]) == (Path("o.ipynb"), Path("work"), "e")
    assert capsys.readouterr().out.startswith("run r1 FINISHED (experiment 'exp')")
    assert lean_calls == [1]  # the slow optional import is skipped before papermill loads


def test_lean_start_up_blocks_only_a_module_not_yet_imported() -> None:
    from workbench.execute.lean import skip_slow_optional_imports

    name = "rfc3987_syntax"
    saved = sys.modules.pop(name, None)
    try:
        skip_slow_optional_imports()
        assert sys.modules[name] is None
        with pytest.raises(ImportError):
            importlib.import_module(name)
        marker = types.ModuleType(name)
        sys.modules[name] = marker
        skip_slow_optional_imports()
        assert sys.modules[name] is marker  # an already imported module is left alone
    finally:
        sys.modules.pop(name, None)
        if saved is not None:
            sys.modules[name] = saved
