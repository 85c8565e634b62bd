"""`kustomize edit set image`, in Python, on a ruamel round trip of DIR/kustomization.yaml.

Argument forms, as kustomize parses them:
    NAME=NEWNAME:TAG   NAME=NEWNAME@DIGEST   NAME=NEWNAME   NAME:TAG   NAME@DIGEST
An entry for NAME is replaced as a whole, again as kustomize does: fields the argument does not
give are dropped, except that `*` as the new name, tag or digest keeps the file's value. The
`images` list ends up sorted by name. Everything else in the file stays byte for byte.

A production overlay (`.../overlays/production[/...]`) takes digests only, with no way around
it: production runs, byte for byte, the images staging tested (`NAME=NEWNAME@sha256:...`, what
the CI's promotion step writes); a tag there could be moved to other bytes after the tests
passed. There, once every listed image is pinned, the edit also writes the overlay's promotion
record (`promoted.json`, kustomize.promotion): what lets Argo CD deploy production at all.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.fs import atomic_write_text
from workbench.core.promotion import GATED_ENVIRONMENTS
from workbench.kustomize.promotion import record_promotion

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
PRESERVE = "*"
_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*|\*)$")
FORMS = "NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST, NAME=NEWNAME, NAME:TAG or NAME@DIGEST"
FIELDS = ("newName", "newTag", "digest")
DIGEST_ONLY = GATED_ENVIRONMENTS
SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ImageEdit:
    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""


def _split(text: str, with_name: bool) -> tuple[str, str, str] | None:
    """(image, tag, digest) of `IMAGE@DIGEST`, `IMAGE:TAG` or (with_name) a bare `IMAGE`."""
    if "@" in text:
        image, _, digest = text.partition("@")
        return image, "", digest
    m = _TAG.match(text)
    if m:
        return m.group(1), m.group(2), ""
    if text and with_name:
        return text, "", ""
    return None


def parse_image_edit(arg: str) -> ImageEdit:
    """One command-line argument -> the edit; a WorkbenchError naming the accepted forms."""
    if arg.count("=") == 1:
        name, _, target = arg.partition("=")
        parts = _split(target, with_name=True)
        if name and parts:
            return ImageEdit(name=name, new_name=parts[0], new_tag=parts[1], digest=parts[2])
    elif "=" not in arg:
        parts = _split(arg, with_name=False)
        if parts and parts[0]:
            return ImageEdit(name=parts[0], new_tag=parts[1], digest=parts[2])
    raise WorkbenchError(f"image {arg!r}: expected one of {FORMS}")


def digest_only(folder: Path) -> bool:
    """Whether FOLDER is (inside) an overlay whose images must be pinned by digest."""
    parts = folder.resolve().parts
    return any(a == "overlays" and b in DIGEST_ONLY for a, b in pairwise(parts))


def check_digest_only(folder: Path, args: list[str], edits: list[ImageEdit]) -> None:
    """On a production overlay every edit must pin a sha256 digest and carry no tag."""
    if not digest_only(folder):
        return
    for arg, edit in zip(args, edits, strict=True):
        if edit.new_tag or not SHA256.match(edit.digest):
            raise WorkbenchError(
                f"{folder}: production images are pinned by digest, what staging tested; "
                f"{arg!r} is not one (expected NAME=NEWNAME@sha256:<64 hex digits>)"
            )


def find_kustomization(folder: Path) -> Path:
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    raise WorkbenchError(f"{folder}: no kustomization file ({', '.join(KUSTOMIZATION_FILES)})")


def _sequence_offset(text: str) -> int:
    """How far the file indents `- ` items under their key (0 or 2 in practice), so the
    untouched lists keep their layout."""
    lines = text.splitlines()
    for above, line in pairwise(lines):
        if line.lstrip().startswith("- ") and above.rstrip().endswith(":"):
            return max(0, (len(line) - len(line.lstrip())) - (len(above) - len(above.lstrip())))
    return 2


def round_trip_yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, key order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 4096
    offset = _sequence_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _entry(existing: Any, edit: ImageEdit) -> dict[str, str]:
    """The new entry's fields: the edit's, with `*` taking the existing entry's value."""
    given = {"newName": edit.new_name, "newTag": edit.new_tag, "digest": edit.digest}
    out: dict[str, str] = {}
    for key in FIELDS:
        value = given[key]
        if value == PRESERVE:
            value = str(existing.get(key, "")) if existing is not None else ""
        if value:
            out[key] = value
    return out


def apply_edits(doc: Any, edits: list[ImageEdit], source: str) -> None:
    """Update `doc` (a ruamel CommentedMap of a kustomization) in place."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(doc, dict):
        raise WorkbenchError(f"{source}: not a kustomization (expected a mapping)")
    images = doc.get("images")
    if images is None:
        images = CommentedSeq()
        doc["images"] = images
    if not isinstance(images, list):
        raise WorkbenchError(f"{source}: `images` must be a list")
    for edit in edits:
        match = next(
            (i for i in images if isinstance(i, dict) and i.get("name") == edit.name), None
        )
        fields = _entry(match, edit)
        if match is None:
            match = CommentedMap(name=edit.name)
            images.append(match)
        for key in FIELDS:  # replaced as a whole, as kustomize does
            if key in match:
                del match[key]
        for key in FIELDS:
            if key in fields:
                match[key] = fields[key]
    ordered = sorted(images, key=lambda i: str(i.get("name", "")) if isinstance(i, dict) else "")
    images[:] = ordered


def set_image(folder: str | Path, args: list[str]) -> Path:
    """Apply `args` to FOLDER's kustomization file; atomic, nothing written on any error."""
    if not args:
        raise WorkbenchError(f"no image given; expected one of {FORMS}")
    edits = [parse_image_edit(a) for a in args]
    check_digest_only(Path(folder), args, edits)
    path = find_kustomization(Path(folder))
    text = path.read_text(encoding="utf-8")
    yaml = round_trip_yaml(text)
    try:
        doc = yaml.load(text)
    except Exception as exc:  # ruamel raises many types; all mean "not readable YAML"
        raise WorkbenchError(f"{path}: not valid YAML: {exc}") from exc
    apply_edits(doc, edits, str(path))
    buf = io.StringIO()
    yaml.dump(doc, buf)
    atomic_write_text(path, buf.getvalue(), fsync=False)
    if digest_only(Path(folder)):
        record_promotion(Path(folder), doc)
    return path
