"""An image without a Docker engine: what `steps/NAME/Dockerfile` (or a target of
`steps/NAME/serving.Dockerfile`) says, built here.

The Dockerfiles are ours, so their instructions are a small known set, read in order:
`FROM` starts a stage (`FROM stage AS name` continues an earlier one: `--target` picks the
stage); `ENV`, `WORKDIR`, `USER` are kept; `COPY` lays the project files into a staging folder
(only those, nothing else of the project); `RUN pip install -r FILE [-c FILE]` or `pip install
SPEC...` becomes a virtualenv layer built with uv (reused by the digest of the requirement
files and specs); `RUN pip install --no-deps /app/src && rm -rf /app/src` installs workbench
from the copied source into that virtualenv; `RUN apt-get install PKG...` records the Debian
packages the image adds (the host's system folders stand in for them: they must be installed
here, and the same packages are hidden from images that do not install them, see HIDEABLE).
Any other instruction or command is refused by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.fs import COMPLETE as COMPLETE  # the marker a finished venv holds
from workbench.core.fs import built_in_place
from workbench.core.hashing import tree_sha256

BASE_PYTHON = "/usr/bin/python3.11"  # the Debian interpreter, the minor of python:3.11-slim
BASE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"  # python:3.11-slim
BASE_ENV = {"LANG": "C.UTF-8", "PATH": BASE_PATH}  # the base image's ENV
# Debian packages python:3.11-slim lacks but this machine may have: a pod whose image does not
# `apt-get install` one gets its programs hidden (`sandbox`), so a missing package fails here too
HIDEABLE = ("git", "openssh-client")


@dataclass(frozen=True)
class Install:
    """One `pip install`: `-r requirement [-c constraint]`, or package specs."""

    requirement: str | None = None  # container path
    constraint: str | None = None  # container path
    specs: tuple[str, ...] = ()


@dataclass
class Image:
    """The parts of a built image a pod sees."""

    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = ""
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    installs: list[Install] = field(default_factory=list)
    self_install: str = ""  # the folder `pip install --no-deps` installs (workbench)
    apt: list[str] = field(default_factory=list)  # Debian packages `apt-get install` adds

    def copy(self) -> Image:
        return Image(dict(self.env), self.workdir, self.user, list(self.copies),
                     list(self.installs), self.self_install, list(self.apt))  # fmt: skip


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def read_dockerfile(path: Path, target: str | None = None) -> Image:
    """The image the Dockerfile builds: its last stage, or the stage named `target`."""
    stages: dict[str, Image] = {}
    image = Image(env=dict(BASE_ENV))
    for line in _logical_lines(path.read_text(encoding="utf-8")):
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            base, *alias = re.split(r"\s+as\s+", rest.strip(), flags=re.I)
            parent = stages.get(base)
            image = parent.copy() if parent is not None else Image(env=dict(BASE_ENV))
            if alias:
                stages[alias[0]] = image
            continue
        if word in ("ARG", "LABEL", "ENTRYPOINT", "CMD", "EXPOSE"):
            continue
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                image.env[key] = value
        elif word == "WORKDIR":
            image.workdir = rest.strip()
        elif word == "USER":
            image.user = rest.strip()
        elif word == "COPY":
            *sources, dest = _copy_arguments(rest, path)
            image.copies.append((sources, dest))
        elif word == "RUN":
            _read_run(image, shlex.split(rest), path)
        else:
            raise WorkbenchError(f"{path}: instruction {word} is not modelled by the rehearsal")
    if target is None:
        return image
    if target not in stages:
        raise WorkbenchError(f"{path}: no stage {target!r} (have: {sorted(stages)})")
    return stages[target]


def _copy_arguments(rest: str, path: Path) -> list[str]:
    """COPY's sources and destination, in the shell form or the JSON (exec) form that paths with
    spaces need (`COPY ["my notebook.ipynb", "/app/notebooks/"]`)."""
    text = rest.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkbenchError(f"{path}: COPY {text}: not a JSON array ({exc})") from None
        if not (isinstance(items, list) and all(isinstance(i, str) for i in items)):
            raise WorkbenchError(f"{path}: COPY {text}: expected a JSON array of strings")
    else:
        items = shlex.split(text)
    if len(items) < 2:
        raise WorkbenchError(f"{path}: COPY {text}: needs a source and a destination")
    return list(items)


def _read_run(image: Image, argv: list[str], path: Path) -> None:
    """One RUN line: its `&&`-chained commands, each of a known kind."""
    command: list[str] = []
    for word in [*argv, "&&"]:
        if word != "&&":
            command.append(word)
            continue
        _read_command(image, command, path)
        command = []


def _read_command(image: Image, argv: list[str], path: Path) -> None:
    refused = WorkbenchError(f"{path}: RUN {' '.join(argv)!r} is not modelled by the rehearsal")
    if argv[:2] == ["apt-get", "update"] and len(argv) == 2:
        return  # the package lists: nothing a pod sees
    if argv[:2] == ["apt-get", "install"]:
        image.apt += [a for a in argv[2:] if not a.startswith("-")]
        return
    if argv[:2] == ["rm", "-rf"] and argv[2:]:
        for target in argv[2:]:
            if target != image.self_install and not target.startswith("/var/lib/apt/lists"):
                raise refused
        return
    if argv[:2] != ["pip", "install"]:
        raise refused
    args = [a for a in argv[2:] if a != "--no-cache-dir"]
    if "-r" in args:
        req = args[args.index("-r") + 1]
        constraint = args[args.index("-c") + 1] if "-c" in args else None
        image.installs.append(Install(req, constraint))
    elif args[:1] == ["--no-deps"] and len(args) == 2:
        image.self_install = args[1]
    elif args and not any(a.startswith("-") for a in args):
        image.installs.append(Install(specs=tuple(args)))
    else:
        raise refused


def stage_files(image: Image, project: Path, staging: Path) -> None:
    """COPY every source the Dockerfile names (and nothing else) under `staging` + dest."""
    if staging.exists():
        shutil.rmtree(staging)
    for sources, dest in image.copies:
        for source in sources:
            src = project / source
            if not src.exists():
                raise WorkbenchError(f"Dockerfile COPY {source}: no such file in {project}")
            target = staging / dest.lstrip("/")
            if dest.endswith("/"):
                target = target / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(
                    src,
                    target,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                shutil.copy2(src, target)


def venv_digest(image: Image, staging: Path, layers: int) -> str:
    """The venv's content address: the interpreter, the first `layers` installs' requirement
    and constraint files and specs, and the workbench source the image installs into it."""
    digest = hashlib.sha256(BASE_PYTHON.encode())
    for layer in image.installs[:layers]:
        for name in (layer.requirement, layer.constraint):
            if name:
                digest.update((staging / name.lstrip("/")).read_bytes())
        digest.update(json.dumps(layer.specs).encode())
    if image.self_install:
        source = tree_sha256(staging / image.self_install.lstrip("/"))
        digest.update(f"\0self-install\0{source}".encode())
    return digest.hexdigest()[:16]


def venv_cache(project_state: Path) -> Path:
    """Where image venvs are kept: `WORKBENCH_REHEARSAL_VENVS` (one folder shared by several
    projects or test runs: every venv in it is content-addressed), else the project's own."""
    given = os.environ.get("WORKBENCH_REHEARSAL_VENVS")
    return Path(given) if given else project_state / "venvs"


def build_venv(image: Image, staging: Path, cache: Path, layers: int) -> Path:
    """The image's site-packages: the first `layers` pip installs, then workbench (no deps).

    Built once per content address (`venv_digest`) and never changed afterwards: pods of other
    rehearsals, in other processes, may be using it. A venv is not relocatable (its scripts name
    its path, and pods see it at that path), so it is built at its final path under an exclusive
    file lock; only the `.complete` marker, written last, makes it usable: a build that died
    half-way is removed and redone by the next one."""
    return built_in_place(
        cache / venv_digest(image, staging, layers),
        lambda venv: _build(image, staging, venv, layers),
    )


def uv_binary() -> str | None:
    """The `uv` beside this interpreter (the project's test dependency: `make install` puts it
    in the venv, whose bin/ need not be on PATH), else the one on PATH; None: neither."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else shutil.which("uv")


def _build(image: Image, staging: Path, venv: Path, layers: int) -> None:
    uv = uv_binary()
    if uv is None:
        raise WorkbenchError("the rehearsal builds image virtualenvs with uv: pip install uv")
    _uv([uv, "venv", "-q", "-p", BASE_PYTHON, str(venv)], venv)
    python = str(venv / "bin/python")
    for layer in image.installs[:layers]:
        cmd = [uv, "pip", "install", "-q", "-p", python, *layer.specs]
        if layer.requirement:
            cmd += ["-r", str(staging / layer.requirement.lstrip("/"))]
        if layer.constraint:
            cmd += ["-c", str(staging / layer.constraint.lstrip("/"))]
        _uv(cmd, venv)
    if image.self_install:
        # from a copy: the build backend writes its build/ and *.egg-info beside the sources,
        # which would change the staged tree (and so the next venv's digest) under our feet
        with tempfile.TemporaryDirectory(prefix="workbench-src-") as tmp:
            source = Path(tmp) / "src"
            shutil.copytree(staging / image.self_install.lstrip("/"), source)
            _uv([uv, "pip", "install", "-q", "--no-deps", "-p", python, str(source)], venv)
    # bytecode as `pip install` compiles it in the image, so a pod's imports cost what they
    # cost there, not a compile per process (PYTHONDONTWRITEBYTECODE); shared between venvs
    compile_bytecode(Path(python), bytecode_store(venv.parent), site_packages(venv))


def site_packages(venv: Path) -> Path:
    """The venv's site-packages (the base interpreter's minor version)."""
    return venv / "lib" / f"python{BASE_PYTHON.rsplit('python', 1)[1]}" / "site-packages"


def bytecode_store(cache: Path) -> Path:
    """The compiled files shared by the venvs in `cache` (see `bytecode`)."""
    return cache / ".bytecode"


def compile_bytecode(python: Path, store: Path, *roots: Path) -> None:
    """Compile every module under `roots` with `python` (its own magic number), taking each
    file the store already holds (`workbench.deploy.rehearse.bytecode`, run as a script: it
    needs only the standard library, which every venv has)."""
    from workbench.deploy.rehearse import bytecode

    cmd = [str(python), "-I", bytecode.__file__, str(store), *map(str, roots)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise WorkbenchError(f"compiling the bytecode of {roots[0]} failed: {out.stderr.strip()}")


def drop_sources(image: Image, staging: Path) -> None:
    """`&& rm -rf /app/src`: after the workbench install(s), the copied source is gone."""
    if image.self_install:
        shutil.rmtree(staging / image.self_install.lstrip("/"), ignore_errors=True)


def _uv(cmd: list[str], venv: Path) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise WorkbenchError(f"building the image virtualenv {venv} failed: {out.stderr.strip()}")


def system_packages(image: Image, dockerfile: Path) -> tuple[str, ...]:
    """The programs to hide from this image's pods (HIDEABLE packages it does not install);
    refuses a Debian package it installs that this machine lacks (its folders stand in)."""
    missing = [p for p in image.apt if not _installed(p)]
    if missing:
        raise WorkbenchError(
            f"{dockerfile}: the image installs {', '.join(missing)} (apt-get); the rehearsal "
            f"uses this machine's system folders instead: apt-get install {' '.join(missing)}"
        )
    hidden: list[str] = []
    for package in HIDEABLE:
        if package not in image.apt and _installed(package):
            hidden += _programs(package)
    return tuple(hidden)


def _installed(package: str) -> bool:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return out.returncode == 0 and out.stdout.strip().endswith(" installed")


def _programs(package: str) -> list[str]:
    """The package's commands in /usr/bin (what a PATH lookup would find)."""
    out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    return sorted(
        line for line in out.stdout.splitlines() if line.startswith("/usr/bin/") and
        Path(line).is_file()
    )  # fmt: skip
