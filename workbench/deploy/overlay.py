"""Read and set the served model of a serving overlay: the `champion=models:/NAME/VERSION`
literal of its ConfigMap generator (workbench.emit.serving.kustomize writes it).

The edit is a ruamel round trip, so comments, key order and quoting survive, and the file is
replaced atomically (temp file + rename): a failure leaves it as it was.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.fs import atomic_write_text
from workbench.kustomize.set_image import find_kustomization, round_trip_yaml

ROLE = "champion"
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")


@dataclass(frozen=True)
class ServedModel:
    path: Path  # the kustomization file
    uri: str  # what the overlay serves now: models:/NAME/VERSION or models:/NAME@ALIAS
    version: int | None  # None while the overlay names an alias


def _literal(doc: Any, model: str, source: Path) -> tuple[Any, int]:
    """(the literals list, index) of the `champion=models:/<model>...` literal; exactly one."""
    gens = doc.get("configMapGenerator") if isinstance(doc, dict) else None
    found: list[tuple[Any, int]] = []
    for gen in gens if isinstance(gens, list) else []:
        literals = gen.get("literals") if isinstance(gen, dict) else None
        for i, text in enumerate(literals if isinstance(literals, list) else []):
            key, _, value = str(text).partition("=")
            m = _URI.match(value.strip())
            if key.strip() == ROLE and m and m.group("name") == model:
                found.append((literals, i))
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise ConfigError(
            f"{source}: {what} configMapGenerator literal `{ROLE}=models:/{model}/...` "
            "(expected exactly one: the serving overlay written by `workbench productionize`)"
        )
    return found[0]


def _load(path: Path) -> tuple[Any, Any]:
    text = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml(text)
    try:
        return yaml, yaml.load(text)
    except Exception as exc:  # ruamel raises many types; all mean "not readable YAML"
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def served_model(folder: Path, model: str) -> ServedModel:
    path = _kustomization(folder)
    _, doc = _load(path)
    literals, i = _literal(doc, model, path)
    uri = str(literals[i]).partition("=")[2].strip()
    m = _URI.match(uri)
    version = int(m.group("version")) if m and m.group("version") else None
    return ServedModel(path=path, uri=uri, version=version)


def set_served_version(folder: Path, model: str, version: int) -> ServedModel:
    """Pin the overlay's champion to models:/<model>/<version>; atomic."""
    path = _kustomization(folder)
    yaml, doc = _load(path)
    literals, i = _literal(doc, model, path)
    uri = f"models:/{model}/{version}"
    literals[i] = f"{ROLE}={uri}"  # same index: a comment on the item stays with it
    buf = io.StringIO()
    yaml.dump(doc, buf)
    atomic_write_text(path, buf.getvalue())
    return ServedModel(path=path, uri=uri, version=version)


def _kustomization(folder: Path) -> Path:
    if folder.is_file():
        return folder
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such serving overlay folder")
    try:
        return find_kustomization(folder)
    except Exception as exc:
        raise ConfigError(str(exc)) from exc
