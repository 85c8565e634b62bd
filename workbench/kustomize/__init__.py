"""Edits of kustomization files that keep the rest of the file (comments included) as it was."""

from workbench.kustomize.set_image import ImageEdit, parse_image_edit, set_image

__all__ = ["ImageEdit", "parse_image_edit", "set_image"]
