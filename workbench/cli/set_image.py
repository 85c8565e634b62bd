"""`workbench set-image DIR IMAGE...`: kustomize's `edit set image` on DIR's kustomization.

A production overlay (`.../overlays/production[/...]`) takes digests only: production runs,
byte for byte, the images staging tested (`NAME=NEWNAME@sha256:...`, what the CI's promotion
step writes); a tag there could be moved to other bytes after the tests passed.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import click

DIGEST_ONLY = ("production",)


def digest_only(folder: Path) -> bool:
    """Whether FOLDER is (inside) an overlay whose images must be pinned by digest."""
    parts = folder.resolve().parts
    return any(a == "overlays" and b in DIGEST_ONLY for a, b in pairwise(parts))


@click.command(name="set-image")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("images", nargs=-1, required=True)
@click.option(
    "--allow-tag", is_flag=True, help="Accept a tag on a production overlay (digests otherwise)."
)
def command(folder: Path, images: tuple[str, ...], allow_tag: bool) -> None:
    """Set image names, tags or digests in FOLDER/kustomization.yaml.

    IMAGES: NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST, NAME=NEWNAME, NAME:TAG or NAME@DIGEST;
    `*` as the new name, tag or digest keeps the file's value. On overlays/production only
    digests (sha256) are accepted unless --allow-tag.
    """
    from workbench.core.errors import WorkbenchError
    from workbench.kustomize import parse_image_edit, set_image

    if digest_only(folder) and not allow_tag:
        for arg in images:
            edit = parse_image_edit(arg)
            if not edit.digest.startswith("sha256:"):
                raise WorkbenchError(
                    f"{folder}: production images are pinned by digest, what staging tested; "
                    f"{arg!r} has none (expected NAME=NEWNAME@sha256:DIGEST, or --allow-tag)"
                )
    path = set_image(folder, list(images))
    click.echo(f"updated {path}")
