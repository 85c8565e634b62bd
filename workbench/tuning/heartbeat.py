"""Trials of a worker that died mid-trial: Optuna's heartbeat finds them, they are retried.

Without a heartbeat a trial whose process is killed (an evicted pod, an OOM kill, a closed
laptop) stays RUNNING in the shared study forever. With one, each running trial records a
heartbeat every `interval` seconds; any worker starting a trial fails those silent for longer
than `grace_period` and calls the stale-trial callback here, which

- re-queues the trial (Optuna's retry callback: a WAITING trial with the same parameters, which
  the next `study.ask()` of any worker takes, at most `max_retry` times per original trial), and
- records the failed trial in MLflow as a FAILED nested run saying why, so the study's every
  trial is in MLflow once and none is left looking alive.

Optuna 4.9 renamed `failed_trial_callback`/`RetryFailedTrialCallback` to
`heartbeat_stale_trial_callback`/`RetryHeartbeatStaleTrialCallback` (the old names still work
until 6.0 with a warning); `storage_arguments` uses whichever the installed Optuna has.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Protocol

STALE_ERROR = (
    "no heartbeat for {grace} s: its worker stopped mid-trial (the trial is re-queued with the "
    "same parameters, up to max_retry times)"
)


class StaleRecorder(Protocol):
    def record(self, trial: Any, error: str | None = None) -> None: ...


@dataclass(frozen=True)
class Heartbeat:
    """interval: seconds between heartbeats of a running trial; grace_period: silence after
    which another worker declares it dead (Optuna's default is 2 x interval); max_retry: how
    often one original trial is re-run."""

    interval: int = 30
    grace_period: int = 90
    max_retry: int = 2

    def __post_init__(self) -> None:
        from workbench.core.errors import WorkbenchError

        if self.interval < 1 or self.grace_period <= self.interval or self.max_retry < 0:
            raise WorkbenchError(
                f"heartbeat interval={self.interval}, grace_period={self.grace_period}, "
                f"max_retry={self.max_retry}: need interval >= 1 s, a grace period longer than "
                "the interval, and max_retry >= 0"
            )


def _retry_callback(max_retry: int) -> Any:
    import optuna

    with warnings.catch_warnings():  # experimental in every Optuna so far
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        cls = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        if cls is None:  # Optuna < 4.9
            cls = optuna.storages.RetryFailedTrialCallback
        return cls(max_retry=max_retry)


class StaleTrials:
    """The storage's stale-trial callback: re-queue, then record (once a recorder is set)."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        self.heartbeat = heartbeat
        self.retry = _retry_callback(heartbeat.max_retry)
        self.recorder: StaleRecorder | None = None
        self.seen: list[int] = []  # numbers of the trials this process failed

    def __call__(self, study: Any, trial: Any) -> None:
        self.seen.append(int(trial.number))
        self.retry(study, trial)
        if self.recorder is not None:
            self.recorder.record(trial, STALE_ERROR.format(grace=self.heartbeat.grace_period))


def storage_arguments(heartbeat: Heartbeat, callback: StaleTrials) -> dict[str, Any]:
    """RDBStorage keyword arguments for the heartbeat, in the installed Optuna's names."""
    import inspect

    import optuna

    params = inspect.signature(optuna.storages.RDBStorage.__init__).parameters
    name = (
        "heartbeat_stale_trial_callback"
        if "heartbeat_stale_trial_callback" in params
        else "failed_trial_callback"
    )
    return {
        "heartbeat_interval": heartbeat.interval,
        "grace_period": heartbeat.grace_period,
        name: callback,
    }


DEFAULT_HEARTBEAT = Heartbeat()
