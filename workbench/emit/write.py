"""The only disk I/O of productionize: swap generated folders in atomically, or diff them.

Generated files are grouped by the folder that owns them (`steps/NAME/`, `tests/steps/NAME/`,
`manifests/NAME/`); single files above those folders (`steps/__init__.py`) are written on their
own. Each folder is built complete in a sibling temp folder, then swapped in with two renames,
so a failure leaves the previous output in place. Recorded fixtures (`tests/steps/NAME/fixtures/`)
are carried over unless new ones are given; they and `__pycache__` are not compared by --check.

Overlays (`manifests/NAME/overlays/`) belong to GitOps after their first write: CI retags them
(`workbench set-image`), people patch them per environment. So a generated overlay file is
written only when it is missing, every existing file under `overlays/` (generated or added by
hand) is carried over byte for byte, and --check reports only a generated overlay file that is
missing, never a difference inside an existing one. Deleting an overlay file is how to get the
generated version back.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fs import atomic_write_text

KEEP = ("fixtures",)  # sub-folders of a generated folder that productionize never regenerates
SEEDED = ("overlays",)  # top-level sub-folders whose files are written only when missing
IGNORED = ("__pycache__", ".pytest_cache", *KEEP)


def _seeded(rel: str) -> bool:
    """Whether `rel` (relative to its generated folder) lies in a write-once sub-folder."""
    return rel.split("/", 1)[0] in SEEDED


def owned_folders(files: dict[str, str], name: str) -> list[str]:
    """The generated folders these files live in (project-relative, POSIX)."""
    from workbench.emit import owned_folders as registered

    return [f for f in registered(name) if any(p.startswith(f + "/") for p in files)]


def _folder_of(path: str, folders: list[str]) -> str | None:
    return next((f for f in folders if path.startswith(f + "/")), None)


def _existing(root: Path, folder: str) -> dict[str, Path]:
    base = root / folder
    found: dict[str, Path] = {}
    if not base.is_dir():
        return found
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not set(rel.parts) & set(IGNORED) and not _seeded(rel.as_posix()):
            found[f"{folder}/{rel.as_posix()}"] = path
    return found


def diff_outputs(root: Path, files: dict[str, str], name: str) -> str:
    """A unified diff from the files on disk to the generated ones ("" when identical)."""
    folders = owned_folders(files, name)
    on_disk: dict[str, Path] = {}
    for folder in folders:
        on_disk.update(_existing(root, folder))
    for path in files:
        if _folder_of(path, folders) is None and (root / path).is_file():
            on_disk[path] = root / path
    kept = {p for p in files if _is_seeded(p, folders) and (root / p).is_file()}
    chunks: list[str] = []
    for path in sorted((set(files) | set(on_disk)) - kept):
        old = ""
        if path in on_disk:
            try:
                old = on_disk[path].read_text(encoding="utf-8")
            except UnicodeDecodeError:
                old = "<binary>\n"
        new = files.get(path, "")
        if old == new and path in on_disk and path in files:
            continue
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{path}" if path in on_disk else "/dev/null",
                tofile=f"b/{path}" if path in files else "/dev/null",
            )
        )
    return "".join(chunks)


def _is_seeded(path: str, folders: list[str]) -> bool:
    folder = _folder_of(path, folders)
    return folder is not None and _seeded(path[len(folder) + 1 :])


def write_outputs(
    root: Path, files: dict[str, str], name: str, fixtures: Path | None = None
) -> None:
    """Write every generated file (overlay files only when missing); `fixtures` (a folder)
    replaces tests/steps/NAME/fixtures."""
    folders = owned_folders(files, name)
    staged: list[tuple[Path, Path]] = []
    try:
        for folder in folders:
            target = root / folder
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
            temp.chmod(_folder_mode())  # mkdtemp makes 0700; generated folders are ordinary
            staged.append((temp, target))
            for path, text in files.items():
                if _folder_of(path, folders) == folder:
                    out = temp / path[len(folder) + 1 :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_text(text, encoding="utf-8", newline="\n")
            for keep in KEEP:
                source = (
                    fixtures
                    if (fixtures is not None and folder.startswith("tests/"))
                    else (target / keep)
                )
                if source.is_dir():
                    shutil.copytree(source, temp / keep)
            for seed in SEEDED:  # existing files win over the generated ones, extra files stay
                if (target / seed).is_dir():
                    shutil.copytree(target / seed, temp / seed, dirs_exist_ok=True)
    except OSError as exc:
        for temp, _ in staged:
            shutil.rmtree(temp, ignore_errors=True)
        raise WorkbenchError(f"cannot write generated files: {exc}") from exc
    for temp, target in staged:
        _swap(temp, target)
    for path, text in files.items():
        if _folder_of(path, folders) is None:
            atomic_write_text(root / path, text, mode=_folder_mode() & 0o666)


def _folder_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _swap(temp: Path, target: Path) -> None:
    """Replace `target` with `temp`: two renames, the old folder removed only afterwards."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    try:
        temp.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
