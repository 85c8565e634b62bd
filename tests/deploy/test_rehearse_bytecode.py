"""Image venvs get their bytecode from a store shared between builds: each source compiled
once, hard-linked into every later venv holding the same file, and imported from there as if
compiled in place."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from workbench.deploy.rehearse import bytecode


def _tree(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "__init__.py").write_text("")  # same content: one store entry
    (root / "pkg" / "mod.py").write_text("def where():\n    return __file__\n\nVALUE = 42\n")
    (root / "pkg" / "py2.py").write_text("print 'not python 3'\n")  # skipped, as compileall does
    return root


def _flags(pyc: Path) -> int:
    return int.from_bytes(pyc.read_bytes()[4:8], "little")


def test_each_source_is_compiled_once_and_linked_into_later_trees(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = _tree(tmp_path / "one")
    assert bytecode.compile_into(store, [first], jobs=1) == (3, 2)  # the two empty files: one entry
    second = _tree(tmp_path / "two")
    assert bytecode.compile_into(store, [second], jobs=1) == (3, 0)  # all from the store
    pyc = Path(importlib.util.cache_from_source(str(second / "pkg" / "mod.py")))
    entry = store / (name := bytecode.key((second / "pkg" / "mod.py").read_bytes()))[:2]
    assert os.path.samefile(pyc, entry / f"{name}.pyc")
    assert _flags(pyc) == 0b01  # hash-based, source not checked (PEP 552)
    assert not Path(importlib.util.cache_from_source(str(second / "pkg" / "py2.py"))).exists()
    # a different source is a different entry: nothing stale is ever linked
    (second / "pkg" / "mod.py").write_text("VALUE = 43\n")
    assert bytecode.compile_into(store, [second], jobs=1) == (3, 1)


def test_the_linked_pyc_is_what_the_import_runs_under_its_own_path(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bytecode.compile_into(store, [_tree(tmp_path / "one")], jobs=1)
    second = _tree(tmp_path / "two")
    (second / "pkg" / "mod.py").write_text("def where():\n    return __file__\n\nVALUE = 42\n")
    run = [sys.executable, "-I", bytecode.__file__, str(store), str(second)]
    done = subprocess.run(run, capture_output=True, text=True, check=True)
    assert "3 pycs placed, 0 compiled now" in done.stderr
    # the source is made unreadable as Python: only the pyc can give VALUE = 42
    (second / "pkg" / "mod.py").write_text("VALUE = (\n")
    probe = (
        "import pkg.mod as m, sys; print(m.VALUE, m.__spec__.cached, m.where.__code__.co_filename)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(second)!r}); {probe}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    ).stdout.split()
    assert out[0] == "42"
    assert out[1].startswith(str(second)) and out[2] == str(second / "pkg" / "mod.py")


def test_the_parallel_compile_gives_the_same_store(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for k in range(250):
        (root / f"m{k}.py").write_text(f"X = {k}\n")
    assert bytecode.compile_into(tmp_path / "a", [root], jobs=2) == (250, 250)
    assert bytecode.compile_into(tmp_path / "b", [root], jobs=1) == (250, 250)
    names = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.pyc"))
    assert names == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.pyc"))
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
