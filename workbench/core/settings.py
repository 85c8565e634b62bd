"""Where things live: project root, tracking store, artifact, cache and model stores, data folder.

Precedence for every setting: environment variable, then `[tool.workbench]` in the project's
pyproject.toml, then the embedded default. Relative paths are resolved against the project root,
never the working directory, so a notebook run from `notebooks/` and a CLI run from the root
share one store (MLflow's own default, `sqlite:///mlflow.db`, depends on the working directory).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError

PROJECT_ENV = "WORKBENCH_PROJECT"

# setting name -> (environment variable, default relative to the project root)
_DEFAULTS: dict[str, tuple[str, str]] = {
    "tracking_uri": ("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"),
    "registry_uri": ("MLFLOW_REGISTRY_URI", ""),
    "artifact_root": ("WORKBENCH_ARTIFACT_ROOT", "mlartifacts"),
    "artifact_store": ("WORKBENCH_ARTIFACT_STORE", ".workbench/artifacts"),
    "cache_dir": ("WORKBENCH_CACHE_DIR", ".workbench/cache"),
    "model_store": ("WORKBENCH_MODEL_STORE", "models"),
    "data_dir": ("WORKBENCH_DATA_DIR", "data"),
    "steps_dir": ("WORKBENCH_STEPS_DIR", "steps"),
    "manifests_dir": ("WORKBENCH_MANIFESTS_DIR", "manifests"),
    # the promotion gate's lock when tracking goes through an HTTP server: its PostgreSQL URL
    "lock_uri": ("WORKBENCH_LOCK_URI", ""),
}


@dataclass(frozen=True)
class Settings:
    """Resolved locations. URIs stay strings; local folders are absolute Paths."""

    root: Path
    tracking_uri: str
    registry_uri: str
    artifact_root: str
    artifact_store: str
    cache_dir: Path
    model_store: str
    data_dir: Path
    steps_dir: Path
    manifests_dir: Path
    lock_uri: str = ""


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding a pyproject.toml; else `start` itself."""
    env = os.environ.get(PROJECT_ENV)
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


def _read_table(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.workbench]: {exc}") from exc
    table = doc.get("tool", {}).get("workbench", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.workbench] must be a table")
    unknown = sorted(set(table) - set(_DEFAULTS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.workbench]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_DEFAULTS))})"
        )
    return table


def _is_url(value: str) -> bool:
    return "://" in value


def _is_server(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("http://", "https://", "databricks"))


def _absolute_uri(value: str, root: Path) -> str:
    """Make `sqlite:///relative.db` and plain relative paths absolute against the root."""
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        return "sqlite:///" + str(root / value[len("sqlite:///") :])
    if value and not _is_url(value):
        return str((root / value).resolve())
    return value


def load_settings(start: Path | None = None) -> Settings:
    root = find_project_root(start)
    table = _read_table(root)
    values: dict[str, str] = {}
    for name, (env, default) in _DEFAULTS.items():
        raw = os.environ.get(env) or table.get(name) or default
        if name == "artifact_root" and raw is default and _is_server(values["tracking_uri"]):
            # a tracking server decides where artifacts go (proxied `mlflow-artifacts:` or its
            # S3 root); a project folder would be a path on the client's disk, e.g. /app in a pod
            raw = ""
        if not isinstance(raw, str):
            raise ConfigError(
                f"{root / 'pyproject.toml'}: [tool.workbench] {name} must be a string"
            )
        values[name] = _absolute_uri(raw, root)
    return Settings(
        root=root,
        tracking_uri=values["tracking_uri"],
        registry_uri=values["registry_uri"] or values["tracking_uri"],
        artifact_root=values["artifact_root"],
        artifact_store=values["artifact_store"],
        cache_dir=Path(values["cache_dir"]),
        model_store=values["model_store"],
        data_dir=Path(values["data_dir"]),
        steps_dir=Path(values["steps_dir"]),
        manifests_dir=Path(values["manifests_dir"]),
        lock_uri=values["lock_uri"],
    )


@lru_cache(maxsize=8)
def _cached(start: str, env_key: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(Path(start))


def settings() -> Settings:
    """Settings for the current working directory, cached per (cwd, relevant environment)."""
    env_key = tuple(
        (env, os.environ.get(env, "")) for env, _ in (*_DEFAULTS.values(), (PROJECT_ENV, ""))
    )
    return _cached(str(Path.cwd()), env_key)
