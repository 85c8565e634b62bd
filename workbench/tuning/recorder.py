"""The Optuna callback that turns finished trials into nested MLflow runs, in batches.

Optuna calls it in the thread that ran the trial (several threads when n_jobs > 1), so the
buffer is guarded by a lock. Trials are written every `batch_size` trials or `flush_seconds`,
whichever comes first, and once more when the study stops: a crash loses at most one batch of
*tracking*, never trials (those live in the Optuna storage).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from workbench.core import clock
from workbench.tracking.tuning_log import TrialRun, TrialWriter
from workbench.tracking.tuning_runs import STUDY_TAG

# Optuna state name -> MLflow run status; a pruned trial was stopped early, like a killed run
STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
ERROR_ATTR = "workbench.error"


def _ms(moment: datetime | None) -> int:
    return int((moment.timestamp() if moment else clock.now()) * 1000)


def trial_run(trial: Any, study_name: str, metric: str) -> TrialRun:
    """The MLflow view of one finished Optuna trial (pure: reads the FrozenTrial only)."""
    state = trial.state.name
    start, end = _ms(trial.datetime_start), _ms(trial.datetime_complete)
    metrics = [
        ("intermediate_value", float(v), int(step), end)
        for step, v in sorted(trial.intermediate_values.items())
    ]
    if trial.value is not None:
        metrics.append((metric, float(trial.value), 0, end))
    tags = {
        STUDY_TAG: study_name,
        "optuna.trial_number": str(trial.number),
        "optuna.state": state,
    }
    error = trial.user_attrs.get(ERROR_ATTR)
    if error:
        tags[ERROR_ATTR] = str(error)[:5000]
    return TrialRun(
        name=f"trial {trial.number}",
        start_time=start,
        end_time=end,
        status=STATUS.get(state, "FAILED"),
        params={k: str(v) for k, v in trial.params.items()},
        tags=tags,
        metrics=metrics,
    )


class TrialRecorder:
    def __init__(
        self,
        writer: TrialWriter,
        experiment_id: str,
        parent_run_id: str,
        study_name: str,
        metric: str = "value",
        batch_size: int = 50,
        flush_seconds: float = 5.0,
    ) -> None:
        self.writer = writer
        self.experiment_id = experiment_id
        self.parent_run_id = parent_run_id
        self.study_name = study_name
        self.metric = metric
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.written = 0
        self._pending: list[TrialRun] = []
        self._lock = threading.Lock()
        self._last_flush = clock.monotonic()

    def __call__(self, study: Any, trial: Any) -> None:
        self.record(trial)

    def record(self, trial: Any, error: str | None = None) -> None:
        """Buffer one finished trial's run; `error` says why when the trial itself could not
        (a trial failed for its dead worker by another process's heartbeat check)."""
        run = trial_run(trial, self.study_name, self.metric)
        if error:
            run.tags[ERROR_ATTR] = error[:5000]
        with self._lock:
            self._pending.append(run)
            due = (
                len(self._pending) >= self.batch_size
                or clock.monotonic() - self._last_flush >= self.flush_seconds
            )
        if due:
            self.flush()

    def flush(self) -> None:
        """Write everything buffered, in one transaction on SQL stores."""
        with self._lock:
            batch, self._pending = self._pending, []
            self._last_flush = clock.monotonic()
            if batch:
                self.writer.write(self.experiment_id, self.parent_run_id, batch)
                self.written += len(batch)
