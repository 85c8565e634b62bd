"""The environment a pipeline is pinned to: Python major.minor and the distributions (with the
versions installed here) that provide the top-level modules the steps and helpers import."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from workbench import DISTRIBUTION

# The image installs workbench itself from the build context (--no-deps), so the distributions
# its imported subpackages need at run time are pinned here instead.
WORKBENCH_NEEDS = {
    "": ("cloudpickle", "fsspec", "joblib"),  # workbench.runtime, imported by every step
    # s3fs: in the cluster data lives in object storage (the scheduled runs read s3:// URIs)
    "data": ("fsspec", "pandas", "pyarrow", "s3fs"),
    "tracking": ("mlflow",),
    "models": ("joblib",),
}
# The notebook templates run `workbench run NOTEBOOK` in the steps image, which imports these on
# top of what the steps need: click (workbench.cli), nbformat, papermill and jupyter-client
# (workbench.execute), mlflow (execute.run, tracking.config); ipykernel is the kernel papermill
# starts. tests/compiler/test_notebook_image.py checks the list against those modules' imports.
# optuna: the tuning fan-out's pods (emit/argo/tune.py) run workbench.tuning.worker in this image.
NOTEBOOK_RUNTIME = (
    "click", "ipykernel", "jupyter-client", "mlflow", "nbformat", "optuna", "papermill",
)  # fmt: skip
# The shared study's PostgreSQL driver (the `team` extra): pinned when installed here, so a
# team's image reaches its Optuna storage; a solo project without the extra goes without.
TEAM_DRIVERS = ("psycopg", "psycopg-binary")
# A value of these distributions' types is stored as parquet, which needs pyarrow.
PARQUET_USERS = ("pandas",)


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@lru_cache(maxsize=1)
def _module_distributions() -> dict[str, list[str]]:
    """Every module -> distributions map: complete, but slow (it reads each wheel's RECORD when
    there is no top_level.txt), so only the last resort of `_providers`."""
    from importlib.metadata import packages_distributions

    return {k: sorted(set(v)) for k, v in packages_distributions().items()}


def _from_record(top: str) -> list[str]:
    """Distributions whose RECORD lists files of `top`, looked up only in the folder `top` is
    imported from (a text search: far cheaper than parsing every RECORD into paths)."""
    import importlib.util
    from importlib.metadata import PathDistribution

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    locations = list(spec.submodule_search_locations or [])
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        locations.append(str(Path(spec.origin).parent if not locations else spec.origin))
    names: set[str] = set()
    for location in locations:
        site = Path(location).parent if spec.submodule_search_locations else Path(location)
        for info in sorted(site.glob("*.dist-info")):
            try:
                record = "\n" + (info / "RECORD").read_text(encoding="utf-8")
            except OSError:
                continue
            if f"\n{top}/" in record or f"\n{top}." in record:
                names.add(PathDistribution(info).metadata["Name"])
        if names:
            break
    return sorted(names)


@cache
def _providers(top: str) -> list[str]:
    """The distributions that provide the top-level module `top`: a distribution of the same
    name, else the RECORD of the folder it is imported from, else the full index."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return [distribution(top).metadata["Name"]]
    except PackageNotFoundError:
        pass
    named = _from_record(top)
    return named or _module_distributions().get(top, [])


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def resolve_packages(modules: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """({distribution: version}, modules no installed distribution provides).

    `modules` are dotted import paths; stdlib modules are dropped. Distribution names are
    normalised to lower case with dashes, so the pins are stable across metadata spellings.
    """
    found: dict[str, str] = {}
    unknown: list[str] = []
    wanted: set[str] = set()
    for module in sorted(set(modules)):
        top = module.split(".")[0]
        if not top or top in sys.stdlib_module_names or top in ("__future__", "steps"):
            continue
        if top == "workbench":
            parts = module.split(".")
            wanted.update(WORKBENCH_NEEDS[""])
            wanted.update(WORKBENCH_NEEDS.get(parts[1] if len(parts) > 1 else "", ()))
            continue
        dists = _providers(top)
        if not dists:
            unknown.append(top)
            continue
        wanted.update(dists)
    if not wanted.isdisjoint(PARQUET_USERS) or "pandas" in wanted:
        wanted.add("pyarrow")
    for dist in sorted(wanted):
        version = _version(dist)
        name = dist.lower().replace("_", "-").replace(".", "-")
        if version is None:
            unknown.append(dist)
        elif name not in ("workbench", DISTRIBUTION):
            found[name] = version
    return dict(sorted(found.items())), sorted(set(unknown))


def notebook_runtime_packages() -> dict[str, str]:
    """{distribution: version} of NOTEBOOK_RUNTIME as installed here, for the image's notebook
    layer; a WorkbenchError naming what is missing (nothing can be pinned to an absent version)."""
    from workbench.core.errors import WorkbenchError

    found: dict[str, str] = {}
    missing: list[str] = []
    for dist in NOTEBOOK_RUNTIME:
        version = _version(dist)
        if version is None:
            missing.append(dist)
        else:
            found[dist] = version
    for dist in TEAM_DRIVERS:
        version = _version(dist)
        if version is not None:
            found[dist] = version
    if missing:
        raise WorkbenchError(
            f"cannot pin the notebook image's {', '.join(missing)}: not installed in this "
            f"environment; pip install {' '.join(missing)}"
        )
    return dict(sorted(found.items()))
