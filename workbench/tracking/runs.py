"""The notebook API: `set_experiment` and `start_run`, a context manager yielding a TrackedRun.

    import workbench.tracking as wbt
    wbt.set_experiment("breast-cancer")
    with wbt.start_run(run_name="train") as run:
        run.log_params({"C": 1.0})
        run.log_metric("loss", 0.3, step=1)

Params, metrics and tags are buffered and sent with `log_batch` (see batch.py). The run is also
MLflow's active fluent run inside the block, so plain `mlflow.*` calls and `mlflow.sklearn`
log into it too.

Managed runs: `workbench run` and the pipeline runner create the run themselves and pass its id in
`MLFLOW_RUN_ID`. `start_run()` then attaches to that run and never ends it; the manager does.
MLflow's fluent API reads the same variable, so plain `mlflow.log_metric` lands there as well.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError
from workbench.tracking.batch import AUTO_FLUSH_AT, LogBuffer
from workbench.tracking.config import tracking_client
from workbench.tracking.context import (
    CELL_ARTIFACT_DIR,
    CELL_TAG,
    cell_tag,
    context_tags,
    current_cell,
)
from workbench.tracking.registry import LoggedModelInfo

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

RUN_ID_ENV = "MLFLOW_RUN_ID"


def managed_run_id() -> str | None:
    """The run a manager (workbench run, the pipeline runner) opened for this process."""
    return os.environ.get(RUN_ID_ENV) or None


def set_experiment(name: str) -> str:
    """Make `name` the active experiment (created under the project's artifact root if new).

    Inside a managed run the manager already chose the experiment: the managed run's experiment
    stays active, so attaching to it cannot fail on MLflow's experiment-mismatch check.
    """
    import mlflow

    from workbench.tracking.config import configure

    if not name or not isinstance(name, str):
        raise WorkbenchError(
            f"set_experiment: experiment name must be a non-empty string, got {name!r}"
        )
    managed = managed_run_id()
    if managed is None:
        experiment_id = configure(name)
        assert experiment_id is not None
        return experiment_id
    client = tracking_client()
    experiment_id = _get_run(client, managed).info.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    log.info("managed run %s: keeping its experiment %s (asked: %r)", managed, experiment_id, name)
    return str(experiment_id)


def _get_run(client: MlflowClient, run_id: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        raise WorkbenchError(f"run {run_id!r} not found in the tracking store") from None


def start_run(
    run_name: str | None = None,
    *,
    run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    nested: bool = False,
) -> TrackedRun:
    """A tracked run, to be used as `with start_run(...) as run:`.

    - no run_id: attach to the managed run (MLFLOW_RUN_ID) or the active MLflow run if there is
      one, else open a new run (a child of the active run with nested=True);
    - run_id: resume that run; it is ended on exit unless it is the managed run.
    """
    return TrackedRun(run_name=run_name, run_id=run_id, tags=dict(tags or {}), nested=nested)


class TrackedRun:
    """One MLflow run with buffered logging. Open it with `start_run`."""

    def __init__(
        self, *, run_name: str | None, run_id: str | None, tags: dict[str, Any], nested: bool
    ) -> None:
        self._run_name = run_name
        self._requested_id = run_id
        self._user_tags = {k: str(v) for k, v in tags.items()}
        self._nested = nested
        self._client: MlflowClient | None = None
        self._buffer: LogBuffer | None = None
        self._owner = False  # we end the run on exit
        self._pushed = False  # we put it on MLflow's fluent run stack
        self._reported: dict[str, float] = {}  # metrics logged since the last flush

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> TrackedRun:
        import mlflow
        from mlflow.exceptions import MlflowException

        client = self._client = tracking_client()
        active = mlflow.active_run()
        active_id = active.info.run_id if active is not None else None
        managed = managed_run_id()
        target = self._requested_id
        if target is None and not self._nested:
            target = managed or active_id
        cell = current_cell()
        try:
            if target is None:
                run_id = self._open_new(active_id, managed)
            else:
                if target != active_id:
                    _get_run(client, target)  # a clear error for an unknown id
                self._owner = target not in (managed, active_id)
                if target != active_id:
                    # keep MLFLOW_RUN_ID: mlflow.end_run of a resumed run would unset it
                    mlflow.start_run(run_id=target, nested=active_id is not None)
                    self._pushed = True
                run_id = target
        except MlflowException as exc:
            raise WorkbenchError(
                f"cannot start run {target or run_name_text(self._run_name)}: {exc.message}"
            ) from exc
        self._buffer = LogBuffer(run_id)
        if target is not None:
            # attached or resumed: context tags go with the first batch, user tags too
            extra = context_tags() if target == managed and self._requested_id is None else {}
            self._buffer.tags.update({**extra, **self._user_tags})
        if cell is not None:
            if self._requested_id is None:  # the tag names the cell that opened the run
                self._buffer.tags[CELL_TAG] = cell_tag(cell[1], cell[0])
            client.log_text(run_id, cell[1], f"{CELL_ARTIFACT_DIR}/cell_{cell[0]}.py")
        return self

    def _open_new(self, active_id: str | None, managed: str | None) -> str:
        import mlflow

        tags = {**context_tags(), **self._user_tags}
        parent = experiment_id = None
        if self._nested and active_id is None and managed is not None:
            # a child of the managed run that is not (yet) MLflow's active run
            parent = managed
            experiment_id = _get_run(self.client, managed).info.experiment_id
        # mlflow.start_run without run_id would attach to MLFLOW_RUN_ID instead of creating a run
        saved = os.environ.pop(RUN_ID_ENV, None)
        try:
            run = mlflow.start_run(
                run_name=self._run_name,
                tags=tags,
                nested=active_id is not None,
                parent_run_id=parent,
                experiment_id=experiment_id,
            )
        finally:
            if saved is not None:
                os.environ[RUN_ID_ENV] = saved
        self._owner = self._pushed = True
        return str(run.info.run_id)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.flush()
        except Exception:
            if exc is None:
                self._end("FAILED")
                raise
            log.exception("run %s: could not flush logged values", self.run_id)
        # Ctrl-C, and SIGTERM/SIGHUP through core.signals, end the run KILLED, not FAILED
        killed = isinstance(exc, KeyboardInterrupt)
        self._end("FINISHED" if exc is None else "KILLED" if killed else "FAILED")

    def _end(self, status: str) -> None:
        import mlflow

        if not self._pushed:
            return
        if self._owner:
            saved = os.environ.get(RUN_ID_ENV)
            mlflow.end_run(status)
            if saved is not None:  # mlflow.end_run unsets it; the managed run still lives
                os.environ[RUN_ID_ENV] = saved
        # a managed run we attached to stays MLflow's active run: its manager ends it

    # -- logging ---------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._buf.run_id

    @property
    def _buf(self) -> LogBuffer:
        if self._buffer is None:
            raise WorkbenchError("this run is not open; use `with wbt.start_run() as run:`")
        return self._buffer

    @property
    def client(self) -> MlflowClient:
        assert self._client is not None
        return self._client

    def _maybe_flush(self) -> None:
        if len(self._buf) >= AUTO_FLUSH_AT:
            self.flush()

    def log_param(self, key: str, value: Any) -> None:
        self._buf.add_param(key, value)
        self._maybe_flush()

    def log_params(self, params: Mapping[str, Any]) -> None:
        for key, value in params.items():
            self._buf.add_param(key, value)
        self._maybe_flush()

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        self._buf.add_metric(key, value, step)
        self._reported[key] = value
        self._maybe_flush()

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._buf.add_metrics(metrics, step)
        self._reported.update(metrics)
        self._maybe_flush()

    def set_tag(self, key: str, value: Any) -> None:
        self._buf.add_tag(key, value)
        self._maybe_flush()

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self._buf.add_tag(key, value)
        self._maybe_flush()

    def flush(self) -> int:
        """Send buffered params, metrics and tags now; return the number of log_batch calls."""
        calls = self._buf.flush(self.client)
        if self._reported:  # the last value of each metric, for `pipeline run`'s summary
            from workbench.core.step_report import report

            report("metrics", run_id=self.run_id, experiment_id=self._experiment_id(),
                   metrics={k: float(v) for k, v in sorted(self._reported.items())})  # fmt: skip
            self._reported.clear()
        return calls

    def _experiment_id(self) -> str:
        import mlflow

        active = mlflow.active_run()
        if active is not None and active.info.run_id == self.run_id:
            return str(active.info.experiment_id)
        return str(self.client.get_run(self.run_id).info.experiment_id)

    # -- artifacts, datasets, models (sent immediately) ------------------------------------
    def log_artifact(self, local_path: str | Path, artifact_path: str | None = None) -> None:
        path = Path(local_path)
        if not path.exists():
            raise WorkbenchError(f"log_artifact: {path} does not exist")
        if path.is_dir():
            self.client.log_artifacts(self.run_id, str(path), artifact_path)
        else:
            self.client.log_artifact(self.run_id, str(path), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        self.client.log_text(self.run_id, text, artifact_file)

    def log_dict(self, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        self.client.log_dict(self.run_id, dict(dictionary), artifact_file)

    def log_dataset(
        self,
        df: pd.DataFrame,
        name: str,
        *,
        source: str | None = None,
        context: str = "training",
    ) -> str:
        """Record `df` as an input of this run with a full-content digest; return the sha256."""
        import mlflow
        from mlflow.data.pandas_dataset import from_pandas

        from workbench.tracking.datasets import DIGEST_CHARS, SHA256_INPUT_TAG, frame_sha256

        self.flush()
        sha = frame_sha256(df)
        where = {"source": source} if source else {}  # no source: MLflow records this code
        with warnings.catch_warnings():
            # MLflow registers its local-file source twice and then warns that a path "can be
            # interpreted in multiple ways" although both readings are the same class
            warnings.filterwarnings("ignore", message=".*can be interpreted in multiple ways")
            dataset = from_pandas(df, name=name, digest=sha[:DIGEST_CHARS], **where)
        self._require_active()
        mlflow.log_input(dataset, context=context, tags={SHA256_INPUT_TAG: sha})
        return sha

    def log_model(
        self,
        model: Any,
        name: str = "model",
        *,
        input_example: Any = None,
        signature: Any = None,
        register: str | None = None,
    ) -> LoggedModelInfo:
        """Log a scikit-learn model (signature inferred from input_example); register it if named.

        A registered version is also written to the model store with its sha256 as a tag.
        """
        from workbench.tracking.registry import log_sklearn_model

        self.flush()
        self._require_active()
        return log_sklearn_model(
            model,
            self.run_id,
            name,
            input_example=input_example,
            signature=signature,
            register=register,
        )

    def _require_active(self) -> None:
        import mlflow

        active = mlflow.active_run()
        if active is None or active.info.run_id != self.run_id:
            raise WorkbenchError(
                f"run {self.run_id} is not MLflow's active run here (another run was started "
                "inside it); log inside the innermost `with start_run()` block"
            )


def run_name_text(name: str | None) -> str:
    return repr(name) if name else "(new run)"
