"""MLflow lineage of pipeline runs: a parent run per pipeline run, a child run per step.

Importing mlflow and opening its store costs seconds, longer than a fully cached pipeline run.
So the runner never imports mlflow: it starts a *recorder* process
(`python -m workbench.tracking.lineage`) and sends it one JSON line per event. The recorder
imports mlflow while the first steps already run, uses one MlflowClient and one `log_batch` per
run. Only a step whose code uses mlflow waits, for its child run id (it runs with
MLFLOW_RUN_ID set to it); the child runs of the other steps are created when they end, with their
real start and end times.

Protocol (runner -> recorder on stdin; replies on stdout, one JSON object a line):
    {"op": "start", "experiment", "run_name", "params", "tags", "start_ms"}
                                                        -> {"run_id", "experiment_id"}
    {"op": "child", "step", "start_ms"}                                     -> {"run_id"}
    {"op": "step", "step", "status", "cached", "start_ms", "end_ms", "tags", "log"}
    {"op": "end", "status", "end_ms", "metrics"}                            -> {"run_id"}
End of input without "end" (the runner was killed) marks the open runs KILLED.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from workbench.core.clock import now_ms

PARENT_TAG = "mlflow.parentRunId"


def experiment_name(pipeline: str) -> str:
    return f"pipeline-{pipeline}"


class Lineage:
    """No lineage (`--lineage off`), and the interface the recorder client implements."""

    parent_run_id: str | None = None
    experiment_id: str = ""  # of the parent run, once the recorder has answered
    error: str = ""

    def child_run(self, step: str, start_ms: int) -> str | None:
        return None

    def step_done(self, event: Mapping[str, Any]) -> None:
        return None

    def finish(self, status: str, metrics: Mapping[str, float]) -> str | None:
        return None

    def start(self) -> None:
        """Begin recording now if not yet (the runner calls it once its first steps started)."""
        return None


class RecorderLineage(Lineage):
    """Talks to a recorder process; `wait=False` lets it finish after the runner exits."""

    def __init__(
        self,
        *,
        experiment: str,
        run_name: str,
        params: Mapping[str, str],
        tags: Mapping[str, str],
        log_path: Path,
        env: Mapping[str, str],
        wait: bool,
    ) -> None:
        _reap_unwaited()
        self.wait = wait
        self.log_path = log_path
        self.env = dict(env)
        self._proc: subprocess.Popen[str] | None = None
        self._unstartable = False
        # sent when the recorder starts: the parent run (its start time the run's, not the
        # recorder's), then the steps that ended before (cache hits)
        self._pending: list[dict[str, Any]] = [
            {
                "op": "start",
                "experiment": experiment,
                "run_name": run_name,
                "params": dict(params),
                "tags": dict(tags),
                "start_ms": now_ms(),
            }
        ]
        self._started = False

    def start(self) -> None:
        """Start the recorder process (once) and send it what waited for it.

        Deferred from the constructor to the runner's `start()` call once its first steps are
        under way, or to the first message that needs an answer (a tracking step's run id, the
        end): the recorder's `import mlflow` (~1 s of CPU) would otherwise share the cores with
        the fork server's preload, which every step waits for, while it can just as well
        overlap the steps themselves. A recorder that cannot start is a warning (`error`),
        never the run's failure."""
        if self._proc is not None or self._unstartable:
            return
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "ab") as log:  # the recorder keeps its own copy
                # its own session: Ctrl-C in the terminal stops the runner, and the recorder
                # still marks the runs as it sees its input end
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "workbench.tracking.lineage"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=self.env,
                    text=True,
                    start_new_session=True,
                )
        except OSError as exc:
            self._unstartable = True
            self.error = f"MLflow lineage was not recorded: cannot start its recorder: {exc}"
            return
        pending, self._pending = self._pending, []
        for message in pending:
            self._send(message)

    @property
    def proc(self) -> subprocess.Popen[str]:
        """The recorder process, started if it was not yet."""
        self.start()
        assert self._proc is not None, self.error
        return self._proc

    def _send(self, message: Mapping[str, Any]) -> bool:
        self.start()
        if self._proc is None or self._proc.stdin is None:
            return False
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def _reply(self) -> dict[str, Any] | None:
        if self._proc is None or self._proc.stdout is None:
            return None
        line = self._proc.stdout.readline()
        try:
            reply: dict[str, Any] = json.loads(line)
            return reply
        except ValueError:
            return None

    def _ensure_parent(self) -> None:
        self.start()
        if not self._started:
            self._started = True
            reply = self._reply()
            self.parent_run_id = reply.get("run_id") if reply else None
            self.experiment_id = str(reply.get("experiment_id") or "") if reply else ""

    def child_run(self, step: str, start_ms: int) -> str | None:
        self._ensure_parent()
        if not self._send({"op": "child", "step": step, "start_ms": start_ms}):
            return None
        reply = self._reply()
        return str(reply["run_id"]) if reply and reply.get("run_id") else None

    def step_done(self, event: Mapping[str, Any]) -> None:
        """Sent, or kept until the recorder starts: cache hits end before the first step
        starts, and must not start the recorder ahead of the fork server."""
        if self._proc is None and not self._unstartable:
            self._pending.append({"op": "step", **event})
            return
        self._send({"op": "step", **event})

    def finish(self, status: str, metrics: Mapping[str, float]) -> str | None:
        self._send({"op": "end", "status": status, "end_ms": now_ms(), "metrics": dict(metrics)})
        if self._proc is None:
            return None
        if self.wait:
            self._ensure_parent()
            self._reply()
        self.close()
        if self.wait and self._proc.wait() != 0:
            self.error = f"MLflow lineage was not fully recorded; see {self.log_path}"
        if self._proc.poll() is None:
            _unwaited.append(self._proc)
        return self.parent_run_id

    def close(self) -> None:
        """Close this side's pipes (the recorder sees its input end); no wait.

        A recorder left to finish on its own writes its last replies to a closed pipe, which it
        ignores; its log is its own copy of the file.
        """
        if self._proc is None:
            return
        for pipe in (self._proc.stdin, self._proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass  # a broken pipe's buffered line cannot be flushed


# recorders the runner did not wait for (`--lineage on`): referenced until they end, so that
# none is garbage collected while it still runs (Popen warns); the ended ones are reaped here
_unwaited: list[subprocess.Popen[str]] = []


def _reap_unwaited() -> None:
    _unwaited[:] = [proc for proc in _unwaited if proc.poll() is None]


# -- the recorder process (the only code here that imports mlflow) -------------------------------


@contextmanager
def _init_lock() -> Iterator[None]:
    """Serialise store initialisation: two recorders creating one SQLite store race on its
    schema migration (alembic), e.g. a second pipeline run started while the first's recorder
    still sets up a fresh project's mlflow.db."""
    import fcntl

    from workbench.core.settings import settings

    folder = settings().cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "mlflow-init.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Recorder:
    """The recorder's state: one MlflowClient, the parent run, a child run per step."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.client: Any = None
        self.parent = ""
        self.experiment_id = ""
        self.children: dict[str, str] = {}
        self.ended = False

    def reply(self, message: Mapping[str, Any]) -> None:
        try:
            self.out.write(json.dumps(message) + "\n")
            self.out.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the runner did not wait for us: keep recording

    def child(self, step: str, start_ms: int) -> str:
        if step not in self.children:
            run = self.client.create_run(
                self.experiment_id,
                start_time=start_ms,
                tags={PARENT_TAG: self.parent, "workbench.step": step},
                run_name=step,
            )
            self.children[step] = run.info.run_id
        return self.children[step]

    def handle(self, msg: Mapping[str, Any]) -> None:
        from mlflow.entities import Metric, RunTag

        op = msg["op"]
        if op == "start":
            import mlflow

            from workbench.tracking.batch import log_params_batched
            from workbench.tracking.config import configure

            with _init_lock():
                self.experiment_id = configure(msg["experiment"]) or ""
            self.client = mlflow.MlflowClient()
            run = self.client.create_run(
                self.experiment_id,
                start_time=msg["start_ms"],
                tags=msg["tags"],
                run_name=msg["run_name"],
            )
            self.parent = run.info.run_id
            log_params_batched(self.client, self.parent, msg["params"])
            self.reply({"run_id": self.parent, "experiment_id": self.experiment_id})
        elif op == "child":
            self.reply({"run_id": self.child(msg["step"], msg["start_ms"])})
        elif op == "step":
            run_id = self.child(msg["step"], msg["start_ms"])
            seconds = max(0, msg["end_ms"] - msg["start_ms"]) / 1000
            self.client.log_batch(
                run_id,
                metrics=[Metric("duration_s", seconds, msg["end_ms"], 0)],
                tags=[RunTag(k, str(v)[:5000]) for k, v in sorted(msg["tags"].items())],
            )
            if msg.get("log") and Path(msg["log"]).is_file():
                self.client.log_artifact(run_id, msg["log"])
            self.client.set_terminated(run_id, msg["status"], end_time=msg["end_ms"])
        elif op == "end":
            metrics = [Metric(k, float(v), msg["end_ms"], 0) for k, v in msg["metrics"].items()]
            self.client.log_batch(self.parent, metrics=metrics)
            self.client.set_terminated(self.parent, msg["status"], end_time=msg["end_ms"])
            self.ended = True
            self.reply({"run_id": self.parent})

    def close(self) -> None:
        """End of input without "end" (the runner died): nothing open may stay RUNNING."""
        if self.client is None or self.ended:
            return
        for run_id in [*self.children.values(), self.parent]:
            if self.client.get_run(run_id).info.status == "RUNNING":
                self.client.set_terminated(run_id, "KILLED", end_time=now_ms())


def serve(lines: IO[str], out: IO[str]) -> int:
    """Record the events read from `lines`; return 1 if any could not be recorded."""
    recorder = _Recorder(out)
    failures = 0
    for line in lines:
        msg = json.loads(line)
        try:
            recorder.handle(msg)
        except Exception:  # one failed write must not lose the rest, nor hang the runner
            failures += 1
            traceback.print_exc()
            if msg["op"] in ("start", "child", "end"):
                recorder.reply({"run_id": None})
    recorder.close()
    return 1 if failures else 0


def _reply_channel() -> IO[str]:
    """The pipe to the runner, and nothing else on it: file descriptor 1 is moved to the log
    (stderr), because MLflow prints to stdout ("View run ... at: http://..." whenever a run ends
    on a tracking server), and such a line read as the answer to "child" left the step without
    its MLflow run: its metrics went to a new run in the Default experiment."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    return channel


if __name__ == "__main__":  # pragma: no cover - exercised through RecorderLineage
    os.environ.pop("MLFLOW_RUN_ID", None)
    raise SystemExit(serve(sys.stdin, _reply_channel()))
