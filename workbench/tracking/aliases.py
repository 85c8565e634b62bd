"""Which version of a registered model holds an alias, for `workbench deploy`.

Unlike registry.get_alias (None for any MLflow error), a model that is not registered at all is
an error here: deploying from a misspelt model name must stop, not report "nothing to do".
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import ConfigError

REASON_TAG = "workbench.promotion.reason"


@dataclass(frozen=True)
class AliasedVersion:
    version: int
    reason: str  # the promotion gate's reason (tag), "" when the alias was set by hand


def alias_version(model: str, alias: str) -> AliasedVersion | None:
    """The version of `model` holding `alias`; None when no version holds it."""
    from mlflow.exceptions import MlflowException

    from workbench.tracking.config import tracking_client

    client = tracking_client()
    try:
        client.get_registered_model(model)
    except MlflowException as exc:
        raise ConfigError(
            f"model {model!r} is not registered in the tracking store ({exc.error_code})"
        ) from exc
    try:
        mv = client.get_model_version_by_alias(model, alias)
    except MlflowException:
        return None
    return AliasedVersion(version=int(mv.version), reason=str((mv.tags or {}).get(REASON_TAG, "")))
