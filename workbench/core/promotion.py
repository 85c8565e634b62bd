"""The promotion record: the file a promotion writes into a production overlay once every image
there is pinned by digest, and whose presence alone lets Argo CD deploy that overlay.

One name for its writer (`workbench set-image`, workbench.kustomize.promotion) and its reader
(the production ApplicationSet's git files generator, workbench.emit.gitops.argocd), which may
not import each other.
"""

from __future__ import annotations

PROMOTED_FILE = "promoted.json"
# overlays/ENV folders whose images are pinned by digest only and deployed only once promoted
GATED_ENVIRONMENTS = ("production",)
