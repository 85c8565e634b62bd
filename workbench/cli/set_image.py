"""`workbench set-image DIR IMAGE...`: kustomize's `edit set image` on DIR's kustomization.

A production overlay (`.../overlays/production[/...]`) takes digests only, with no way around
it: production runs, byte for byte, the images staging tested (`NAME=NEWNAME@sha256:...`, what
the CI's promotion step writes); a tag there could be moved to other bytes after the tests
passed.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="set-image")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.argument("images", nargs=-1, required=True)
def command(folder: Path, images: tuple[str, ...]) -> None:
    """Set image names, tags or digests in FOLDER/kustomization.yaml.

    IMAGES: NAME=NEWNAME:TAG, NAME=NEWNAME@DIGEST, NAME=NEWNAME, NAME:TAG or NAME@DIGEST;
    `*` as the new name, tag or digest keeps the file's value. On overlays/production only
    digests are accepted (NAME=NEWNAME@sha256:<64 hex>), never a tag, and once every image
    there is pinned FOLDER/promoted.json records them: Argo CD deploys production only then.
    """
    from workbench.kustomize import set_image

    path = set_image(folder, list(images))
    click.echo(f"updated {path}")
