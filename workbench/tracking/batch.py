"""Buffered params, metrics and tags, sent with as few `MlflowClient.log_batch` calls as allowed.

One MLflow call per value costs a database round trip each (about 3 ms on SQLite); one batch per
run costs about the same as a single call. The buffer keeps values in logging order and splits
them at MLflow's per-call limits when it is flushed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from workbench.core.clock import now_ms
from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact_param

# MLflow's per-request limits (mlflow.utils.validation): a larger batch is rejected outright.
MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ENTITIES = 1000
MAX_PARAM_LENGTH = 6000  # MLflow's limit on a parameter value
# Flush on its own once this many values wait, so a long training loop never holds much memory.
AUTO_FLUSH_AT = 5000


class BatchClient(Protocol):
    """The one MlflowClient method the buffer needs (a spy in tests)."""

    def log_batch(
        self, run_id: str, metrics: Any = ..., params: Any = ..., tags: Any = ...
    ) -> Any: ...


@dataclass(frozen=True)
class Chunk:
    """The payload of one log_batch call: (key, value, timestamp ms, step) metrics."""

    metrics: tuple[tuple[str, float, int, int], ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    tags: tuple[tuple[str, str], ...] = ()


def split_batches(
    metrics: list[tuple[str, float, int, int]],
    params: list[tuple[str, str]],
    tags: list[tuple[str, str]],
) -> Iterator[Chunk]:
    """Cut the buffered values into chunks each within every MLflow limit (pure)."""
    m, p, t = 0, 0, 0
    while m < len(metrics) or p < len(params) or t < len(tags):
        n_params = min(MAX_PARAMS, len(params) - p)
        n_tags = min(MAX_TAGS, len(tags) - t, MAX_ENTITIES - n_params)
        n_metrics = min(MAX_METRICS, len(metrics) - m, MAX_ENTITIES - n_params - n_tags)
        yield Chunk(
            metrics=tuple(metrics[m : m + n_metrics]),
            params=tuple(params[p : p + n_params]),
            tags=tuple(tags[t : t + n_tags]),
        )
        m, p, t = m + n_metrics, p + n_params, t + n_tags


@dataclass
class LogBuffer:
    """Values waiting to be sent for one run."""

    run_id: str
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # Params already sent stay known, so a conflicting re-log is still caught at the user's line.
    sent_params: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)

    def add_param(self, key: str, value: Any) -> None:
        text = redact_param(key, value)  # a credential never reaches MLflow's params table
        known = self.params.get(key, self.sent_params.get(key))
        if known is not None and known != text:
            # MLflow params are immutable; fail here, at the user's line, not at flush time.
            raise WorkbenchError(
                f"run {self.run_id}: param {key!r} logged twice with different values "
                f"({known!r}, then {text!r}); params cannot change, use a metric or a tag"
            )
        self.params[key] = text

    def add_metric(self, key: str, value: Any, step: int | None) -> None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WorkbenchError(
                f"run {self.run_id}: metric {key!r} must be a number, got {value!r}"
            ) from None
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise WorkbenchError(f"run {self.run_id}: metric {key!r} step must be an int")
        self.metrics.append((key, number, now_ms(), step or 0))

    def add_tag(self, key: str, value: Any) -> None:
        self.tags[key] = redact_param(key, value)

    def add_metrics(self, values: Mapping[str, Any], step: int | None) -> None:
        for key, value in values.items():
            self.add_metric(key, value, step)

    def flush(self, client: BatchClient) -> int:
        """Send everything buffered; return the number of log_batch calls made."""
        if not len(self):
            return 0
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException

        metrics, params, tags = self.metrics, list(self.params.items()), list(self.tags.items())
        # Cleared before sending: after a rejected batch, the flush on context exit must not
        # send the same values again and mask the first error.
        self.sent_params.update(self.params)
        self.metrics, self.params, self.tags = [], {}, {}
        calls = 0
        for chunk in split_batches(metrics, params, tags):
            try:
                client.log_batch(
                    self.run_id,
                    metrics=[Metric(k, v, ts, s) for k, v, ts, s in chunk.metrics],
                    params=[Param(k, v) for k, v in chunk.params],
                    tags=[RunTag(k, v) for k, v in chunk.tags],
                )
            except MlflowException as exc:
                raise WorkbenchError(
                    f"run {self.run_id}: MLflow rejected logged values: {exc.message}"
                ) from exc
            calls += 1
        return calls


def log_params_batched(client: Any, run_id: str, params: Mapping[str, str]) -> None:
    """Log string params in as few `log_batch` calls as MLflow's limits allow (sorted, each
    value cut to MLflow's maximum length): for managers that log a whole parameter set at once."""
    from mlflow.entities import Param

    items = [(k, redact_param(k, params[k])[:MAX_PARAM_LENGTH]) for k in sorted(params)]
    for chunk in split_batches([], items, []):
        client.log_batch(run_id, params=[Param(k, v) for k, v in chunk.params])
