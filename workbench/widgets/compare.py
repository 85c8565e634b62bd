"""`workbench.compare`: the comparison view over one or more experiments, or an Optuna study."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.widgets.state import CompareState, StudyInfo
from workbench.widgets.view import CompareView, PromoteFn, RegisterFn


def _study_info(study: Any) -> tuple[StudyInfo, str | None]:
    from workbench.tuning import summarize_study

    summary = summarize_study(study)
    info = StudyInfo(
        name=summary.name,
        direction=summary.direction,
        metric=summary.metric,
        numbers=summary.numbers,
        values=summary.values,
        best_so_far=summary.best_so_far,
        importances=summary.importances,
    )
    return info, summary.experiment_id


def compare(
    experiment: str | Sequence[str] | None = None,
    *,
    metric: str | None = None,
    filter: str | None = None,  # MLflow's own word for it
    runs: Sequence[str] | None = None,
    max_runs: int = 2000,
    study: Any = None,
    page_size: int = 100,
    directions: dict[str, str] | None = None,
    base_url: str | None = None,
    model_name: str = "",
    promote_data: tuple[Any, Any] | None = None,
    register: RegisterFn | None = None,
    promote: PromoteFn | None = None,
) -> CompareView:
    """Compare runs in the notebook: a sortable, filterable table, charts, diff and promotion.

    experiment: a name or id, a list of them, or None for every active experiment.
    metric: the metric the table and charts lead with (default: the study's, else the first).
    filter: MLflow search syntax, e.g. "params.C = '1.0' and metrics.roc_auc > 0.9".
    runs: restrict to these run ids. max_runs: load at most this many (the best by `metric`).
    study: an Optuna study from `workbench.tune`: adds its experiment (or, with no
        `experiment`, shows just its trials) and the optimisation-history and importance charts.
    directions: metric -> "min"/"max" where the name does not tell (loss, error: min).
    base_url: the MLflow UI the run links open (default $WORKBENCH_UI_URL, else the URL
        `workbench ui` recorded in the project's .workbench/ui.json, else http://127.0.0.1:5000).
    promote_data: (X, y) on which the promotion gate scores the selected run's model.
    register, promote: replace the default register/promote calls (tests, custom gates).
    """
    from workbench.core.settings import settings
    from workbench.core.ui_url import resolve_ui_url
    from workbench.tracking.queries import open_run_source
    from workbench.tracking.tuning_runs import PARENT_TAG, study_filter

    filters: list[str] = []  # added for a study; the user's own filter stays in the box
    info = None
    experiments: list[str] | None = None
    if experiment is not None:
        experiments = [experiment] if isinstance(experiment, str) else list(experiment)
    if study is not None:
        info, study_experiment = _study_info(study)
        if study_experiment is None:
            raise WorkbenchError(
                f"study {info.name!r}: not tracked by workbench.tune (no MLflow experiment recorded)"
            )
        if experiments is None:
            experiments = [study_experiment]
            filters.append(study_filter(info.name))
        elif study_experiment not in experiments:
            experiments.append(study_experiment)
        filters.append(f"tags.`{PARENT_TAG}` IS NULL")  # the study's own run is not a trial
    source = open_run_source(experiments)
    state = CompareState(
        source,
        metric=metric,
        filter_string=filter or "",
        base_filter=" AND ".join(filters),  # MLflow's syntax has AND only
        run_ids=runs,
        max_runs=max_runs,
        page_size=page_size,
        directions=directions,
        base_url=resolve_ui_url(settings().root, base_url),
        study=info,
    )
    return CompareView(
        state, register=register, promote=promote, promote_data=promote_data, model_name=model_name
    )
