"""A model identical to the champion's is linked to, never registered again.

A pipeline re-run (a changed parameter that the model ignores, `--no-cache`, a scheduled run on
unchanged data) usually refits the very same model. Registering it again would add a version per
run, each one a "challenger" equal to the champion. So before registering, the model's store
digest (the sha256 of its cloudpickle bytes, the `workbench.sha256` tag) is compared with the
champion's: when equal, the run's model is logged unregistered, the run is tagged with the
champion's version, and that version is returned. The promotion gate then finds the candidate
already holding `champion` and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.models.store import SHA256_TAG

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

CHAMPION = "champion"  # workbench.tracking.promotion.CHAMPION (not imported: no import cycle)
VERSION_TAG = "workbench.model_version"  # on the run: "NAME/VERSION" it produced or reused
REUSED_TAG = "workbench.model_reused"  # on the run: why no new version was registered


def champion_twin(name: str, digest: str) -> ModelVersion | None:
    """The champion version of `name` when its recorded model digest equals `digest`."""
    from workbench.tracking.config import tracking_client
    from workbench.tracking.registry import get_alias

    champion = get_alias(tracking_client(), name, CHAMPION)
    if champion is None or dict(champion.tags or {}).get(SHA256_TAG) != digest:
        return None
    return champion


def link_run(run_id: str, version: ModelVersion, digest: str) -> str:
    """Tag the run with the reused version; return the line that says so."""
    from workbench.tracking.config import tracking_client

    client = tracking_client()
    client.set_tag(run_id, VERSION_TAG, f"{version.name}/{version.version}")
    client.set_tag(run_id, REUSED_TAG, f"identical to champion v{version.version}")
    return (
        f"model {version.name!r}: identical to champion v{version.version} "
        f"(sha256 {digest[:12]}): no new version registered, reusing v{version.version}"
    )
