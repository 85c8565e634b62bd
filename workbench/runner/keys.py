"""Cache-key material for each step, recomputed from the files on disk.

- code: the step module text plus the helper code it reaches (`workbench.spec.digest`), read
  from `steps/NAME/STEP.py` and the helpers module now, not taken from the spec: editing a
  generated file or re-productionizing invalidates exactly the steps whose code changed;
- lock: requirements.txt beside the steps;
- inputs: the recorded sha256 of each upstream output;
- params: the canonical texts of the parameters the step uses (`workbench.spec.params.param_text`).

Data files are not step artifacts, so their content is added by one documented rule: when a
parameter's value names an existing local file (absolute, or relative to the project root) or an
object-storage URI (`scheme://...`) that exists, the key material of every step using that
parameter gains an input `file:<param>` = the file's sha256 (local) or its ETag/checksum
(object storage). One changed byte in the data therefore re-runs the loading step, and everything
downstream re-runs because its inputs' digests change. Argo's memoization key is built from the
template parameters only (it cannot read the file), so in the cluster a changed file at an
unchanged path is a cache hit: the Argo side versions data by path or disables memoization for
steps that read data parameters (see the Argo emitter).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.core.datafiles import is_remote_uri, local_data_file
from workbench.core.hashing import sha256_file, sha256_text
from workbench.spec.digest import helper_closure, lock_digest, step_code_digest
from workbench.spec.model import PipelineSpec, StepSpec

TRACKING_MODULES = ("mlflow", "workbench.tracking")


def module_path(root: Path, module: str) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


class CodeDigests:
    """Code and lock digests of a pipeline's files, each file read once per run."""

    def __init__(self, root: Path, spec: PipelineSpec) -> None:
        self.root = root
        self.spec = spec
        helpers = spec.helpers_module or f"steps.{spec.name}._helpers"
        self.helpers_text = _read(module_path(root, helpers))
        self.lock = lock_digest(_read(root / "steps" / spec.name / "requirements.txt"))
        self._modules: dict[str, str] = {}

    def module_text(self, step: StepSpec) -> str:
        """The step module's text, read from disk once per run (the key and the tracking check
        both need it)."""
        if step.name not in self._modules:
            path = module_path(self.root, step.module)
            if not path.is_file():
                from workbench.core.errors import WorkbenchError

                raise WorkbenchError(
                    f"step {step.name}: module file {path} is missing; "
                    "re-run `workbench productionize`"
                )
            self._modules[step.name] = path.read_text(encoding="utf-8")
        return self._modules[step.name]

    def code(self, step: StepSpec) -> str:
        return step_code_digest(self.module_text(step), self.helpers_text, step.helpers)

    def uses_tracking(self, step: StepSpec) -> bool:
        """Whether the step's code (or a helper it uses) refers to mlflow / workbench.tracking.

        Only such steps wait for their MLflow child run before they start; the others start at
        once and get their child run recorded afterwards.
        """
        texts = [self.module_text(step), *helper_closure(self.helpers_text, step.helpers)]
        return any(_refers_to_tracking(text) for text in texts)


def _refers_to_tracking(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return True  # cannot tell: be safe and give the step its run
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(TRACKING_MODULES):
                    aliases.add(alias.asname or alias.name.split(".")[0])
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith(TRACKING_MODULES)
        ):
            aliases.update(a.asname or a.name for a in node.names)
    if not aliases:
        return False
    return any(isinstance(n, ast.Name) and n.id in aliases for n in ast.walk(tree))


def data_file_digest(root: Path, text: str) -> str | None:
    """Content digest of the file a parameter value names, or None when it names no file
    (the rule itself is `workbench.core.datafiles`, shared with `productionize --record`)."""
    if is_remote_uri(text):
        return _remote_digest(text)
    path = local_data_file(root, text)
    if path is None:
        return None
    try:
        stat = path.stat()
        return _local_digest(str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return None


@lru_cache(maxsize=256)
def _local_digest(path: str, mtime_ns: int, size: int) -> str:
    # keyed by (path, mtime, size) so a long-lived process rehashes only changed files
    return sha256_file(path)


def _remote_digest(uri: str) -> str | None:
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(uri)
        info: Mapping[str, Any] = fs.info(path)
    except (OSError, ValueError, ImportError):
        return None
    if info.get("type") != "file":
        return None
    tag = info.get("ETag") or info.get("etag") or info.get("checksum") or info.get("md5")
    if tag:
        return f"etag:{str(tag).strip(chr(34))}"
    return "info:" + sha256_text(repr(sorted((k, str(v)) for k, v in info.items())))
