"""The promotion gate: a candidate version takes the `champion` alias only if it beats it.

    decision = wbt.promote("breast-cancer", 3, metric="roc_auc", X=X_test, y=y_test)

Both versions are scored on the same (X, y). The candidate becomes champion when it is better by
more than `min_delta` (or when there is no champion yet); otherwise it gets the `challenger`
alias. A NaN or missing score never wins. The champion is re-read and the alias moved under a
per-model lock (promotion_lock.py), so concurrent gates behave like a compare-and-set. A direction
that contradicts the metric's own (`--lower-is-better` on roc_auc) is refused unless forced. The decision and both values are recorded as tags on the candidate version, so the
registry shows why each version is, or is not, in production.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.step_report import report

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_PREFIX = "workbench.promotion."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of one promotion check."""

    model_name: str
    candidate_version: int
    champion_version: int | None
    metric: str
    candidate_value: float
    champion_value: float | None
    promoted: bool
    reason: str

    def __str__(self) -> str:
        verdict = "PROMOTED to champion" if self.promoted else "not promoted"
        return f"{self.model_name} v{self.candidate_version}: {verdict}; {self.reason}"

    def tags(self) -> dict[str, str]:
        """The model-version tags recording this decision."""
        return {
            f"{TAG_PREFIX}decision": "promoted" if self.promoted else "rejected",
            f"{TAG_PREFIX}metric": self.metric,
            f"{TAG_PREFIX}candidate_value": repr(self.candidate_value),
            f"{TAG_PREFIX}champion_value": _text(self.champion_value),
            f"{TAG_PREFIX}champion_version": _text(self.champion_version),
            f"{TAG_PREFIX}reason": self.reason,
        }


def _text(value: float | int | None) -> str:
    return "none" if value is None else repr(value)


def is_better(
    candidate: float, champion: float, *, greater_is_better: bool, min_delta: float
) -> bool:
    """Strictly better by more than min_delta in the metric's direction; NaN never wins."""
    if math.isnan(candidate):
        return False
    if math.isnan(champion):
        return True
    if greater_is_better:
        return candidate > champion + min_delta
    return candidate < champion - min_delta


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def decide(
    *,
    model_name: str,
    candidate_version: int,
    candidate_value: float,
    champion_version: int | None,
    champion_value: float | None,
    metric: str,
    greater_is_better: bool,
    min_delta: float,
) -> PromotionDecision:
    """The decision itself, a pure function of the two scores.

    A missing or NaN candidate score never wins, not even against no champion (a model that
    cannot be scored is not known to work); a missing or NaN champion score loses to any real one.
    """
    direction = "higher" if greater_is_better else "lower"
    rule = f"{direction} is better, min_delta {min_delta:g}"
    if _missing(candidate_value):
        promoted = False
        reason = f"{metric} of the candidate is {candidate_value}: a missing score never wins"
    elif champion_version is None:
        promoted = True
        reason = f"first champion ({metric} {candidate_value:.6g}; no version held champion)"
    elif _missing(champion_value):
        promoted = True
        reason = (
            f"{metric} {candidate_value:.6g} replaces champion v{champion_version}, whose "
            f"score is {champion_value} ({rule})"
        )
    else:
        assert champion_value is not None
        promoted = is_better(
            candidate_value,
            champion_value,
            greater_is_better=greater_is_better,
            min_delta=min_delta,
        )
        verb = "beats" if promoted else "does not beat"
        reason = (
            f"{metric} {candidate_value:.6g} {verb} champion v{champion_version}'s "
            f"{champion_value:.6g} ({rule})"
        )
    return PromotionDecision(
        model_name=model_name,
        candidate_version=candidate_version,
        champion_version=champion_version,
        metric=metric,
        candidate_value=candidate_value,
        champion_value=champion_value,
        promoted=promoted,
        reason=reason,
    )


def check_direction(metric: str, known: bool, requested: bool | None, force: bool) -> bool:
    """The direction to use: the metric's own unless the caller insists (force) on the other."""
    if requested is None or requested == known:
        return known
    if not force:
        said = "--greater-is-better" if requested else "--lower-is-better"
        own = "higher" if known else "lower"
        raise WorkbenchError(
            f"{said} contradicts {metric}'s known direction ({own} is better): the gate would "
            f"promote worse models; pass force_direction=True (--force-direction) to insist"
        )
    log.warning("promotion on %s with the direction reversed (forced)", metric)
    return requested


def promote(
    model_name: str,
    version: int | str | None = None,
    *,
    metric: str,
    X: Any,
    y: Any,
    greater_is_better: bool | None = None,
    min_delta: float = 0.0,
    force_direction: bool = False,
) -> PromotionDecision:
    """Compare `version` (default: the latest) of `model_name` with the champion; move aliases.

    The candidate is scored first; then, holding the model's promotion lock
    (workbench.tracking.promotion_lock), the champion is read again, scored, the decision made
    and recorded: a compare-and-set, so two gates at once cannot leave the worse model champion.
    """
    decision = _promote(
        model_name,
        version,
        metric=metric,
        X=X,
        y=y,
        greater_is_better=greater_is_better,
        min_delta=min_delta,
        force_direction=force_direction,
    )
    # for `pipeline run`'s summary (nothing happens outside the local runner)
    report("promotion", model=model_name, version=decision.candidate_version,
           promoted=decision.promoted, text=str(decision))  # fmt: skip
    return decision


def _promote(
    model_name: str,
    version: int | str | None,
    *,
    metric: str,
    X: Any,
    y: Any,
    greater_is_better: bool | None,
    min_delta: float,
    force_direction: bool,
) -> PromotionDecision:
    from workbench.tracking.config import tracking_client
    from workbench.tracking.promotion_lock import promotion_lock
    from workbench.tracking.registry import get_alias, get_version, load_version_model
    from workbench.tracking.scoring import evaluate, get_metric

    spec = get_metric(metric)
    if not isinstance(min_delta, int | float) or math.isnan(min_delta) or min_delta < 0:
        raise WorkbenchError(f"min_delta must be a number >= 0, got {min_delta!r}")
    higher = check_direction(metric, spec.greater_is_better, greater_is_better, force_direction)
    client = tracking_client()
    candidate = get_version(client, model_name, version)
    cand_v = int(candidate.version)
    cand_value = evaluate(
        spec, load_version_model(candidate), X, y, what=f"model {model_name!r} version {cand_v}"
    )
    import mlflow

    with promotion_lock(mlflow.get_registry_uri(), model_name):
        champion = get_alias(client, model_name, CHAMPION)  # read again, under the lock
        if champion is not None and int(champion.version) == cand_v:
            return PromotionDecision(
                model_name=model_name,
                candidate_version=cand_v,
                champion_version=cand_v,
                metric=metric,
                candidate_value=cand_value,
                champion_value=cand_value,
                promoted=False,
                reason=f"v{cand_v} already holds champion; nothing changed ({metric} {cand_value:.6g})",
            )
        champ_v = champ_value = None
        if champion is not None:
            champ_v = int(champion.version)
            champ_value = evaluate(
                spec,
                load_version_model(champion),
                X,
                y,
                what=f"champion of {model_name!r} (version {champ_v})",
            )
        decision = decide(
            model_name=model_name,
            candidate_version=cand_v,
            candidate_value=cand_value,
            champion_version=champ_v,
            champion_value=champ_value,
            metric=metric,
            greater_is_better=higher,
            min_delta=float(min_delta),
        )
        _record(client, decision)
    return decision


def _record(client: Any, decision: PromotionDecision) -> None:
    """Tags first, then the alias: a crash in between leaves a decision without its effect,
    never an alias move nobody can explain. A candidate without a score gets no alias."""
    name, version = decision.model_name, str(decision.candidate_version)
    for key, value in decision.tags().items():
        client.set_model_version_tag(name, version, key, value)
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
        challenger = _alias_version(client, name, CHALLENGER)
        if challenger == version:  # the challenger won: it no longer challenges
            client.delete_registered_model_alias(name, CHALLENGER)
    elif not _missing(decision.candidate_value):
        client.set_registered_model_alias(name, CHALLENGER, version)


def _alias_version(client: Any, name: str, alias: str) -> str | None:
    from workbench.tracking.registry import get_alias

    found = get_alias(client, name, alias)
    return None if found is None else str(found.version)
