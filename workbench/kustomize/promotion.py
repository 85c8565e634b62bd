"""The promotion record of a production overlay (`promoted.json`, see core.promotion).

Before CI's first promotion a production overlay lists its images without digests, so it builds
with the base's development tags. Argo CD's production ApplicationSet generates the production
Application only from this file, so production is deployed only once every image the overlay
lists is pinned by digest; an overlay that lists an image without one loses the file again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.core.fs import atomic_write_text
from workbench.core.promotion import PROMOTED_FILE

SHA256_HEX = 64


def pinned_images(doc: Any) -> dict[str, str] | None:
    """NAME -> NEWNAME@sha256:... for every entry of the kustomization's `images`, or None when
    an entry has a tag, no digest, or a digest that is not sha256."""
    images = doc.get("images") if isinstance(doc, dict) else None
    if not isinstance(images, list) or not images:
        return None
    out: dict[str, str] = {}
    for entry in images:
        if not isinstance(entry, dict) or entry.get("newTag"):
            return None
        name, digest = str(entry.get("name", "")), str(entry.get("digest", ""))
        algo, _, hex_ = digest.partition(":")
        if not name or algo != "sha256" or len(hex_) != SHA256_HEX:
            return None
        out[name] = f"{entry.get('newName') or name}@{digest}"
    return dict(sorted(out.items()))


def record_promotion(folder: Path, doc: Any) -> Path | None:
    """Write FOLDER/promoted.json when every image is pinned (the digests, sorted, for the
    reader), remove a stale one otherwise; the written path or None."""
    path = folder / PROMOTED_FILE
    images = pinned_images(doc)
    if images is None:
        path.unlink(missing_ok=True)
        return None
    atomic_write_text(path, json.dumps({"images": images}, indent=2) + "\n", fsync=False)
    return path
