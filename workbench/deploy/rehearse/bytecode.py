"""Bytecode for a freshly installed virtualenv, compiled once per source file content.

Why: an image's `pip install` compiles every module it installs, so a pod imports scikit-learn,
pandas and MLflow from `.pyc` files; the rehearsal must give its pods the same, and compiling
a ~900 MB site-packages takes ~30 s of CPU, about ten times the install itself. The rehearsal
builds several venvs that hold mostly the same files (the steps' layer, every layer, the deploy
and serving images, a changed requirement file), so each compiled file is kept in a store
under the digest of its source and hard-linked into every later venv that holds that source.

The files are hash-based pycs (PEP 552, `unchecked-hash`): their header names the source's
content rather than its mtime (which differs between venvs when a file is copied rather than
linked), and the import system does not re-check the source, which is safe because these venvs
are never modified once built (`image.build_venv`). A pyc does not depend on where its source
lives: the loader sets the code's file name to the importing path (`_imp._fix_co_filename`).

Run by the venv's own interpreter (`python bytecode.py STORE SITE...`, standard library only),
so the magic number is the one the pods' python expects.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import py_compile
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH


def sources(roots: Iterable[Path]) -> Iterator[Path]:
    """Every `.py` file under `roots`, in a stable order."""
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    yield Path(folder, name)


def key(source: bytes) -> str:
    """The store's name for the compiled `source` under this interpreter."""
    tag = f"{importlib.util.MAGIC_NUMBER.hex()}\0{sys.flags.optimize}\0".encode()
    return hashlib.sha256(tag + source).hexdigest()


def _compile(job: tuple[str, str]) -> bool:
    """Compile `source` into the store entry `target` (atomically: two builders may race);
    False for a file that is not valid Python of this version, which `compileall` (as pip
    and uv run it) skips too."""
    source, target = job
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
    os.close(fd)
    try:
        py_compile.compile(source, cfile=tmp, doraise=True, invalidation_mode=MODE)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        return True
    except (py_compile.PyCompileError, SyntaxError, ValueError, UnicodeDecodeError):
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _place(entry: Path, source: Path) -> None:
    """Hard-link the store's `entry` as `source`'s pyc (a copy across file systems)."""
    pyc = Path(importlib.util.cache_from_source(str(source)))
    pyc.parent.mkdir(exist_ok=True)
    pyc.unlink(missing_ok=True)
    try:
        os.link(entry, pyc)
    except OSError:
        tmp = pyc.with_suffix(".tmp")
        tmp.write_bytes(entry.read_bytes())
        os.replace(tmp, pyc)


def compile_into(store: Path, roots: Iterable[Path], jobs: int | None = None) -> tuple[int, int]:
    """Give every source under `roots` its pyc, from `store` where it holds one, compiling
    the others into it; returns (pycs placed, store entries compiled now)."""
    entries: dict[Path, Path] = {}
    missing: dict[Path, Path] = {}
    for source in sources(roots):
        name = key(source.read_bytes())
        entry = store / name[:2] / f"{name}.pyc"
        entries[source] = entry
        if not entry.is_file():
            missing.setdefault(entry, source)
    compiled: set[Path] = set()
    if missing:
        work = [(str(src), str(entry)) for entry, src in missing.items()]
        workers = jobs or os.cpu_count() or 1
        if workers > 1 and len(work) > 200:
            with ProcessPoolExecutor(workers) as pool:
                done = list(pool.map(_compile, work, chunksize=64))
        else:
            done = [_compile(job) for job in work]
        compiled = {Path(entry) for (_, entry), ok in zip(work, done, strict=True) if ok}
    placed = 0
    for source, entry in entries.items():
        if entry.is_file():
            _place(entry, source)
            placed += 1
    return placed, len(compiled)


def main(argv: list[str]) -> int:
    store, *roots = argv
    placed, compiled = compile_into(Path(store), [Path(r) for r in roots])
    print(f"bytecode: {placed} pycs placed, {compiled} compiled now", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
