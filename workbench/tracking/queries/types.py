"""The records a run query returns and the protocol both run sources implement (no mlflow)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

SortKind = Literal["metric", "param", "attribute"]
# the tags each row carries (the rest are read only for the diff view)
DEFAULT_TAGS = ("mlflow.parentRunId", "optuna.trial_number", "optuna.state", "workbench.study")


@dataclass(frozen=True)
class SortKey:
    """Server-side order: a metric (latest value), a param (as text) or a run attribute."""

    kind: SortKind
    key: str
    ascending: bool = False


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str


@dataclass(frozen=True)
class RunRecord:
    """One row of the comparison table: latest metric values, params, a few tags."""

    run_id: str
    name: str
    experiment_id: str
    status: str
    start_time: int
    end_time: int | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunPage:
    records: list[RunRecord]
    total: int  # runs matching the filter, of which `records` is the first page
    fetched_at_ms: int  # watermark for `changed_since`


@dataclass(frozen=True)
class RunChanges:
    records: list[RunRecord]  # new or updated runs matching the filter
    removed: set[str]  # runs deleted since the watermark
    fetched_at_ms: int


@dataclass(frozen=True)
class RunDetails:
    """Everything the diff view shows for one run."""

    run_id: str
    name: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    datasets: list[tuple[str, str]]  # (name, digest)
    cell_source: str | None


class RunSource(Protocol):
    """What the comparison views need from a tracking store; see `open_run_source`."""

    experiments: list[Experiment]
    uri: str

    def keys(self) -> tuple[list[str], list[str]]: ...

    def search(
        self, filter_string: str = "", order: SortKey | None = None, limit: int | None = None
    ) -> RunPage: ...

    def changed_since(
        self, filter_string: str, since_ms: int, running: Iterable[str] = ()
    ) -> RunChanges: ...

    def metric_extremes(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[str, dict[str, tuple[float, float]]]: ...

    def metrics_at_step(
        self, run_ids: Sequence[str], keys: Sequence[str], step: int
    ) -> dict[str, dict[str, float]]: ...

    def metric_history(
        self, run_ids: Sequence[str], key: str
    ) -> dict[str, list[tuple[int, float]]]: ...
