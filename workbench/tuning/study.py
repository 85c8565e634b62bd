"""`tune`: an Optuna study tracked in MLflow as one parent run with a nested run per trial.

The study lives in an Optuna RDB storage (default `<project>/optuna.db`), so calling `tune`
again with the same `study_name` resumes it, and several processes can optimise one study at
once. The first process to *create* the study (Optuna's unique study name makes that atomic)
creates the parent MLflow run and records its id as a study user attribute; the others wait
for that attribute, so a shared study has exactly one parent run.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core import clock
from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact
from workbench.core.settings import settings
from workbench.core.sqlstore import with_installed_driver
from workbench.tuning.heartbeat import (
    DEFAULT_HEARTBEAT,
    Heartbeat,
    StaleTrials,
    storage_arguments,
)
from workbench.tuning.identity import (
    SPACE_ATTR,
    check_resume,
    check_resume_flag,
    default_study_name,
    signature,
)
from workbench.tuning.recorder import ERROR_ATTR, TrialRecorder
from workbench.tuning.space import suggest, validate_space

RUN_ATTR = "workbench.mlflow_run_id"
EXPERIMENT_ATTR = "workbench.mlflow_experiment_id"
METRIC_ATTR = "workbench.metric"
PARENT_WAIT_SECONDS = 60.0
MEMORY = ("memory", ":memory:")


def default_storage() -> str:
    """`sqlite:///<project>/optuna.db`: beside the tracking store, whatever the working dir."""
    return f"sqlite:///{settings().root / 'optuna.db'}"


def _storage(storage: Any, stale: StaleTrials | None = None) -> Any:
    """An Optuna storage for `storage`; an RDB URL gets the heartbeat of `stale` (if any)."""
    import optuna

    if storage is None:
        storage = default_storage()
    if isinstance(storage, str) and storage in MEMORY:
        return optuna.storages.InMemoryStorage()
    if isinstance(storage, str):
        if "://" not in storage:
            raise WorkbenchError(
                f"storage {storage!r}: expected an Optuna RDB URL such as sqlite:///optuna.db, "
                "'memory', or None for the project's optuna.db"
            )
        for attempt in range(3):
            try:
                # `postgresql://` means the installed driver (psycopg 3 from the team extra)
                extra = {} if stale is None else storage_arguments(stale.heartbeat, stale)
                with warnings.catch_warnings():  # the heartbeat arguments are "experimental"
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    return optuna.storages.RDBStorage(with_installed_driver(storage), **extra)
            except Exception as exc:  # bad driver, unreachable server, ...
                # two processes creating a fresh database race on its schema version row;
                # the loser finds the schema in place on its next attempt
                if attempt == 2:
                    raise WorkbenchError(f"storage {redact(storage)}: {redact(str(exc))}") from exc
                time.sleep(0.5 * (attempt + 1))
    return storage


def _objective(
    objective: Callable[..., float], space: Mapping[str, Any] | None
) -> Callable[[Any], float]:
    """Adapt objective(trial) or objective(params[, trial]) to Optuna; record exceptions."""
    parsed = validate_space(space) if space is not None else None
    wants_trial = False
    if parsed is not None:
        try:
            wants_trial = len(inspect.signature(objective).parameters) >= 2
        except (TypeError, ValueError):
            wants_trial = False

    def run(trial: Any) -> float:
        import optuna

        try:
            if parsed is None:
                return objective(trial)
            params = suggest(trial, parsed)
            return objective(params, trial) if wants_trial else objective(params)
        except optuna.TrialPruned:
            raise
        except Exception as exc:
            # kept on the trial so the MLflow run says why it failed
            trial.set_user_attr(ERROR_ATTR, f"{type(exc).__name__}: {exc}")
            raise

    return run


def _open_study(
    name: str, storage: Any, direction: str, sampler: Any, pruner: Any
) -> tuple[Any, bool]:
    """(study, created_here): create atomically, or load the existing study of that name."""
    import optuna

    try:
        study = optuna.create_study(
            study_name=name,
            storage=storage,
            direction=direction,  # type: ignore[arg-type]  # checked by tune
            sampler=sampler,
            pruner=pruner,
        )
        return study, True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    wanted = optuna.study.StudyDirection[direction.upper()]
    if study.direction != wanted:
        raise WorkbenchError(
            f"direction {direction!r}: study {name!r} already exists with direction "
            f"{study.direction.name.lower()}; an Optuna study's direction cannot change "
            "(not even with resume='force'): pick another study_name"
        )
    return study, False


def _wait_for_parent(study: Any) -> tuple[str, str]:
    deadline = clock.monotonic() + PARENT_WAIT_SECONDS
    while True:
        attrs = study.user_attrs
        if RUN_ATTR in attrs:
            return str(attrs[EXPERIMENT_ATTR]), str(attrs[RUN_ATTR])
        if clock.monotonic() > deadline:
            raise WorkbenchError(
                f"study {study.study_name!r}: no parent MLflow run recorded after "
                f"{PARENT_WAIT_SECONDS:.0f} s; did the process that created it crash?"
            )
        time.sleep(0.2)


def tune(
    objective: Callable[..., float],
    space: Mapping[str, Any] | None = None,
    n_trials: int | None = 20,
    *,
    experiment: str | None = None,
    storage: Any = None,
    n_jobs: int = 1,
    timeout: float | None = None,
    pruner: Any = None,
    sampler: Any = None,
    direction: str = "maximize",
    study_name: str | None = None,
    metric: str = "value",
    batch_size: int = 50,
    resume: bool | str = True,
    heartbeat: Heartbeat | None = DEFAULT_HEARTBEAT,
    max_complete: int | None = None,
) -> Any:
    """Optimise `objective` and track the study in MLflow; return the `optuna.Study`.

    objective: `objective(trial) -> float` (Optuna style) when `space` is None; with a dict
        `space` (see workbench.tuning.space) `objective(params) -> float`, or
        `objective(params, trial)` to report intermediate values for pruning.
    experiment: MLflow experiment of the parent and trial runs (default: the study name).
    storage: Optuna RDB URL, an Optuna storage, "memory", or None for `<project>/optuna.db`.
    metric: the MLflow metric name of each trial's value (e.g. "roc_auc", so trials line up
        with ordinary training runs in `workbench.compare`).
    study_name: default `<experiment or objective name>-<digest of space and direction>`, so
        another search space is another study (workbench.tuning.identity).
    resume: True continues an existing study of that name only if its search space and
        direction are the same; False refuses any existing study; "force" resumes even with
        another space (the direction of an Optuna study can never change).
    heartbeat: on an RDB storage URL, running trials send Optuna heartbeats; a trial whose
        process died (no heartbeat for `grace_period` s) is failed by the next worker to start
        a trial, recorded in MLflow as FAILED with the reason, and re-queued with the same
        parameters (workbench.tuning.heartbeat). None: no heartbeat.
    max_complete: stop once the study holds this many COMPLETE trials (from every process),
        whatever `n_trials` this call still had: a re-started worker then only makes up for
        what is missing.
    A trial that raises is recorded as failed (with the error as a tag) and the study goes on.
    """

    from workbench.tracking.config import configure
    from workbench.tracking.tuning_log import open_trial_writer
    from workbench.tracking.tuning_runs import (
        create_study_run,
        finish_study_run,
        reopen_study_run,
    )

    if direction not in ("maximize", "minimize"):
        raise WorkbenchError(f"direction {direction!r}: use 'maximize' or 'minimize'")
    if n_trials is not None and n_trials < 0:
        raise WorkbenchError(f"n_trials {n_trials}: must be >= 0")
    if max_complete is not None and max_complete < 1:
        raise WorkbenchError(f"max_complete {max_complete}: must be >= 1")
    if not callable(objective):
        raise WorkbenchError("objective: expected a callable")
    check_resume_flag(resume)
    wrapped = _objective(objective, space)
    parsed = validate_space(space) if space is not None else None
    configure()  # this project's store, whatever an earlier call pointed MLflow at
    base = str(experiment or getattr(objective, "__name__", None) or "study")
    name = study_name or default_study_name(base, parsed, direction, objective)
    # the experiment stays the same across search spaces: the studies sit side by side in it
    experiment = experiment or study_name or base
    if storage is None:
        storage = default_storage()
    stale = StaleTrials(heartbeat) if heartbeat is not None else None
    rdb = _storage(storage, stale)
    study, created = _open_study(name, rdb, direction, sampler, pruner)
    if created:
        study.set_user_attr(SPACE_ATTR, signature(parsed, direction))
    else:
        check_resume(study, parsed, direction, resume)
    call = {
        "workbench.n_trials": str(n_trials),
        "workbench.timeout": str(timeout),
        "workbench.n_jobs": str(n_jobs),
    }
    if RUN_ATTR in study.user_attrs:  # resuming a tracked study
        experiment_id, parent = (
            str(study.user_attrs[EXPERIMENT_ATTR]),
            str(study.user_attrs[RUN_ATTR]),
        )
        reopen_study_run(parent, call)
    elif created or not _is_rdb(rdb) or study.get_trials(deepcopy=False):
        # ours to track: created here, private storage, or a study made with plain Optuna
        experiment_id, parent = create_study_run(
            experiment, name, _settings(study, storage, metric)
        )
        reopen_study_run(parent, call)
        study.set_user_attr(EXPERIMENT_ATTR, experiment_id)
        study.set_user_attr(RUN_ATTR, parent)
        study.set_user_attr(METRIC_ATTR, metric)
    else:  # another process created it a moment ago and is creating the parent run
        experiment_id, parent = _wait_for_parent(study)
        reopen_study_run(parent, call)

    from workbench.tracking.config import current_tracking_uri

    recorder = TrialRecorder(
        open_trial_writer(current_tracking_uri()), experiment_id, parent, name, metric, batch_size
    )
    if stale is not None:
        stale.recorder = recorder  # a stale trial this process fails gets its MLflow run here
        if _is_rdb(rdb):  # now, too: a re-started worker may find the study already done
            _fail_stale(study)
    callbacks: list[Any] = [recorder]
    if max_complete is not None:
        import optuna

        complete = (optuna.trial.TrialState.COMPLETE,)
        callbacks.append(optuna.study.MaxTrialsCallback(max_complete, states=complete))
        if len(study.get_trials(deepcopy=False, states=complete)) >= max_complete:
            n_trials = 0  # already there: run nothing (optimize would run one first)
    status = "FAILED"
    try:
        study.optimize(
            wrapped,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=(Exception,),
            callbacks=callbacks,
            gc_after_trial=False,
        )
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        try:
            recorder.flush()
            _finish(study, parent, status, finish_study_run)
        finally:
            if _is_rdb(rdb):
                # the pool's idle connections closed now: a notebook's kernel would otherwise
                # hold them (a PostgreSQL backend each) until it exits, where psycopg warns
                # (ResourceWarning); reading the returned study later reconnects
                rdb.engine.dispose()
    return study


def _settings(study: Any, storage: Any, metric: str) -> dict[str, str]:
    return {
        "study_name": study.study_name,
        "direction": study.direction.name.lower(),
        "sampler": type(study.sampler).__name__,
        "pruner": type(study.pruner).__name__,
        "storage": redact(storage) if isinstance(storage, str) else type(storage).__name__,
        "metric": metric,
    }


def _fail_stale(study: Any) -> None:
    """Optuna's own stale-trial check (it also runs before each trial `optimize` starts)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def close_storage(study: Any) -> None:
    """Close the pooled connections of `study`'s RDB storage now (it reconnects if read again).

    Optuna keeps them until its engine is garbage collected, where psycopg warns
    (ResourceWarning); a worker that is done with its study closes them itself.
    """
    storage: Any = getattr(study, "_storage", None)  # Optuna wraps RDB storage in _CachedStorage
    storage = getattr(storage, "_backend", storage)
    if _is_rdb(storage):
        storage.engine.dispose()


def _is_rdb(storage: Any) -> bool:
    import optuna

    return isinstance(storage, optuna.storages.RDBStorage)


def _finish(study: Any, parent: str, status: str, finish: Callable[..., None]) -> None:
    import optuna

    trials = study.get_trials(deepcopy=False)
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = study.best_trial if complete else None
    finish(
        parent,
        best_value=None if best is None else best.value,
        best_params={} if best is None else best.params,
        best_trial=None if best is None else best.number,
        counts=counts,
        status=status,
    )
