"""Run a pipeline spec locally: one process per step, the container's exact command.

    python -m <step module> --input NAME=URI ... --output NAME=URI ... --param NAME=TEXT ...

with cwd = the project root, started by a launcher strategy (`workbench.runner.launch`: forked
from a preloading server by default, a fresh interpreter with `--isolate`). A single-threaded scheduler starts every step whose upstream steps
are done (at most `jobs` at a time), and skips the process entirely on a cache hit. A failing step
blocks only its dependants; independent branches finish and their outputs stay cached, so the next
run resumes. Step processes get a parent-death signal: a runner killed with SIGKILL takes its
running steps with it, and no orphan keeps writing into the store.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workbench.core import clock
from workbench.core.clock import now_ms
from workbench.core.errors import ArtifactError, WorkbenchError
from workbench.core.git import head_commit
from workbench.core.hashing import cache_key, sha256_text
from workbench.core.redact import param_secrets, redact_param, scrub
from workbench.core.settings import Settings, settings
from workbench.core.step_report import REPORT_ENV
from workbench.runner.keys import CodeDigests, data_file_digest
from workbench.runner.launch import (
    FreshLauncher,
    Launcher,
    StepProcess,
    default_launcher,
    make_launcher,
)
from workbench.runner.plan import Plan, RunOptions, plan_run, step_param_texts
from workbench.runner.store import ArtifactStore, EntryRejected
from workbench.spec.model import PipelineSpec, StepSpec, load_spec
from workbench.tracking.lineage import Lineage, RecorderLineage, experiment_name

# step states, in the order a step goes through them
PENDING, RUNNING, CACHED, DONE, FAILED, BLOCKED = (
    "pending",
    "running",
    "cached",
    "done",
    "failed",
    "blocked",
)
POLL_SECONDS = 0.01
TICK_SECONDS = 0.5


@dataclass
class StepRun:
    """One step's state in one pipeline run."""

    name: str
    status: str = PENDING
    key: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    started: float = 0.0
    seconds: float = 0.0
    start_ms: int = 0
    exit_code: int | None = None
    note: str = ""  # e.g. why a cache entry was not trusted
    log: Path | None = None
    report: Path | None = None  # what the step logged (workbench.core.step_report)
    error: str = ""
    proc: StepProcess | None = None
    log_handle: IO[bytes] | None = None

    @property
    def cached(self) -> bool:
        return self.status == CACHED


@dataclass
class RunResult:
    pipeline: str
    steps: dict[str, StepRun]
    status: str
    log_dir: Path
    parent_run_id: str | None = None
    lineage_error: str = ""
    experiment_id: str = ""  # of the parent run, when the recorder answered in time
    notebook: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "FINISHED"

    @property
    def executed(self) -> list[str]:
        return [s.name for s in self.steps.values() if s.status in (DONE, FAILED)]


Observer = Callable[[StepRun], None]


def step_env(cfg: Settings, spec: PipelineSpec) -> dict[str, str]:
    """The environment every step process of this pipeline shares (no per-step run id yet)."""
    env = dict(os.environ)
    env.pop("MLFLOW_RUN_ID", None)
    env.update(
        MLFLOW_TRACKING_URI=cfg.tracking_uri,
        MLFLOW_REGISTRY_URI=cfg.registry_uri,
        WORKBENCH_PROJECT=str(cfg.root),
        WORKBENCH_MODEL_STORE=cfg.model_store,
        WORKBENCH_ARTIFACT_STORE=cfg.artifact_store,
        WORKBENCH_NOTEBOOK=spec.notebook,
        WORKBENCH_PIPELINE=spec.name,
        PYTHONUNBUFFERED="1",
    )
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(cfg.root) + (os.pathsep + path if path else "")
    return env


class Scheduler:
    """Walks the spec's steps in topological order; all the I/O of a run happens here."""

    def __init__(
        self,
        spec: PipelineSpec,
        plan: Plan,
        cfg: Settings,
        *,
        jobs: int,
        lineage: Lineage,
        log_dir: Path,
        env: Mapping[str, str],
        observer: Observer | None = None,
        launcher: Launcher | None = None,
        first_wait: Callable[[], None] | None = None,
    ) -> None:
        self.spec = spec
        # once, after the first steps started (or when the run needs none): work that can
        # overlap their start-up instead of delaying it
        self.first_wait = first_wait
        self.launcher = launcher or FreshLauncher()
        self.plan = plan
        self.cfg = cfg
        self.jobs = max(1, jobs)
        self.lineage = lineage
        self.log_dir = log_dir
        self.observer = observer or (lambda run: None)
        self.store = ArtifactStore(cfg.artifact_store)
        self.code = CodeDigests(cfg.root, spec)
        self.env = dict(env)
        self.runs = {name: StepRun(name) for name in plan.steps}
        self._file_digests: dict[str, str | None] = {}
        # credentials among the parameters: masked in every step log once the step ends
        self.secrets = param_secrets(plan.param_texts)

    # -- keys ------------------------------------------------------------------------------
    def _file_digest(self, param: str) -> str | None:
        if param not in self._file_digests:
            text = self.plan.param_texts[param]
            self._file_digests[param] = data_file_digest(self.cfg.root, text)
        return self._file_digests[param]

    def key_for(self, step: StepSpec, run: StepRun) -> str:
        inputs: dict[str, str] = {}
        for name in step.inputs:
            source = step.input_sources.get(name)
            if source is None or name not in self.runs[source].outputs:
                raise WorkbenchError(
                    f"step {step.name}: no producer for input {name!r} in the spec"
                )
            inputs[name] = self.runs[source].outputs[name]
        run.inputs = dict(inputs)
        for dep in step.after:  # ordered after a step without data: its key is part of ours
            if dep in self.runs and self.runs[dep].key:
                inputs[f"after:{dep}"] = self.runs[dep].key
        run.params = step_param_texts(self.plan, step.params)
        for param in step.params:
            digest = self._file_digest(param)
            if digest is not None:
                inputs[f"file:{param}"] = digest
        return cache_key(
            code_digest=self.code.code(step),
            lock_digest=self.code.lock,
            input_digests=inputs,
            params=run.params,
        )

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        try:
            while True:
                self._advance()
                running = [r for r in self.runs.values() if r.status == RUNNING]
                if self.first_wait is not None:
                    first_wait, self.first_wait = self.first_wait, None
                    first_wait()
                if not running and not any(r.status == PENDING for r in self.runs.values()):
                    return
                self._reap(running)
        except BaseException:
            self._kill_running()
            raise

    def _advance(self) -> None:
        """Resolve cache hits and start ready steps until nothing more can move now."""
        for step in self.spec.steps:
            run = self.runs.get(step.name)
            if run is None or run.status != PENDING:
                continue
            upstream = [self.runs[d] for d in step.depends_on if d in self.runs]
            if any(u.status in (FAILED, BLOCKED) for u in upstream):
                run.status = BLOCKED
                run.error = "an upstream step failed"
                self._finished(run)
                continue
            if not all(u.status in (DONE, CACHED) for u in upstream):
                continue
            if not run.key:  # once per step: a ready step may wait for a free job slot
                run.key = self.key_for(step, run)
                if step.name not in self.plan.forced:
                    try:
                        entry = self.store.lookup(self.spec.name, step.name, run.key, step.outputs)
                    except EntryRejected as exc:  # changed data: dropped, the step re-runs
                        entry, run.note = None, str(exc)
                    if entry is not None:
                        run.status, run.outputs = CACHED, dict(entry.outputs)
                        run.start_ms = now_ms()
                        self._finished(run)
                        continue
            if step.name in self.plan.required_cached:
                raise WorkbenchError(
                    f"--only {self.plan.steps[-1]}: upstream step {step.name} has no cached "
                    "outputs for the current code, data and parameters; run the pipeline "
                    f"(or `--from {step.name}`) first"
                )
            if sum(r.status == RUNNING for r in self.runs.values()) >= self.jobs:
                continue
            self._start(step, run)

    def _start(self, step: StepSpec, run: StepRun) -> None:
        env = self.env
        run.start_ms = now_ms()
        self.launcher.prepare()  # the fork server's imports overlap the wait for a run id
        if self.code.uses_tracking(step):
            run_id = self.lineage.child_run(step.name, run.start_ms)
            if run_id:
                env = {**env, "MLFLOW_RUN_ID": run_id}
        run.report = self.log_dir / f"{step.name}.report.jsonl"
        env = {**env, "WORKBENCH_STEP": step.name, REPORT_ENV: str(run.report)}
        cmd = [sys.executable, "-m", step.module]
        for name in step.inputs:
            source = step.input_sources[name]
            uri = self.store.output_uri(self.spec.name, source, self.runs[source].key, name)
            cmd += ["--input", f"{name}={uri}"]
        for name in step.outputs:
            cmd += [
                "--output",
                f"{name}={self.store.output_uri(self.spec.name, step.name, run.key, name)}",
            ]
        cmd += [arg for p in step.params for arg in ("--param", f"{p}={run.params[p]}")]
        run.log = self.log_dir / f"{step.name}.log"
        run.log_handle = open(run.log, "wb")  # noqa: SIM115 - closed when the step ends
        run.started = clock.monotonic()
        run.proc = self.launcher.start(cmd, cwd=self.cfg.root, env=env, stdout=run.log_handle)
        run.status = RUNNING
        self.observer(run)

    def _reap(self, running: list[StepRun]) -> None:
        """Wait until at least one running step ends, then record how it ended."""
        next_tick = clock.monotonic() + TICK_SECONDS
        while True:
            ended = [r for r in running if r.proc is not None and r.proc.poll() is not None]
            if ended:
                break
            if clock.monotonic() >= next_tick:  # let a live display show elapsed time
                next_tick += TICK_SECONDS
                for run in running:
                    self.observer(run)
            self.launcher.idle(POLL_SECONDS)
        for run in ended:
            assert run.proc is not None and run.log_handle is not None
            run.exit_code = run.proc.returncode
            run.seconds = clock.monotonic() - run.started
            run.log_handle.close()
            run.proc = run.log_handle = None
            if self.secrets and run.log is not None:
                _scrub_log(run.log, self.secrets)
            step = self.spec.step(run.name)
            if run.exit_code == 0:
                try:
                    entry = self.store.commit(
                        self.spec.name, run.name, run.key, step.outputs, run.seconds
                    )
                    run.status, run.outputs = DONE, dict(entry.outputs)
                except ArtifactError as exc:
                    run.status, run.error = FAILED, str(exc)
            else:
                run.status = FAILED
                run.error = f"exit code {run.exit_code}"
            self._finished(run)

    def _finished(self, run: StepRun) -> None:
        self.observer(run)
        status = {DONE: "FINISHED", CACHED: "FINISHED", FAILED: "FAILED"}.get(run.status, "KILLED")
        tags: dict[str, Any] = {
            "workbench.cache": "hit" if run.cached else ("miss" if run.status != BLOCKED else "-"),
            "workbench.status": run.status,
            "workbench.cache_key": run.key,
            **{f"workbench.input.{k}": v for k, v in run.inputs.items()},
            **{f"workbench.output.{k}": v for k, v in run.outputs.items()},
            **{f"workbench.param.{k}": redact_param(k, v) for k, v in run.params.items()},
        }
        if run.exit_code is not None:
            tags["workbench.exit_code"] = run.exit_code
        if run.note:
            tags["workbench.note"] = run.note
        start = run.start_ms or now_ms()
        self.lineage.step_done(
            {
                "step": run.name,
                "status": status,
                "start_ms": start,
                "end_ms": start + int(run.seconds * 1000),
                "tags": tags,
                "log": str(run.log) if run.log else None,
            }
        )

    def _kill_running(self) -> None:
        for run in self.runs.values():
            if run.proc is not None and run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
                run.status, run.error = FAILED, "interrupted"
            if run.log_handle is not None:
                run.log_handle.close()
                if self.secrets and run.log is not None:
                    _scrub_log(run.log, self.secrets)


def _scrub_log(path: Path, secrets: set[str]) -> None:
    """Rewrite a step log with every parameter credential masked (the step may have printed it)."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
        clean = scrub(text, secrets)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
    except OSError:  # the log is evidence, not a result: a failed rewrite must not fail the run
        pass


def _start_lineage(
    spec: PipelineSpec, plan: Plan, cfg: Settings, env: Mapping[str, str], mode: str, log_dir: Path
) -> Lineage:
    if mode == "off":
        return Lineage()
    if mode not in ("wait", "background"):
        raise WorkbenchError(f"--lineage {mode!r}: expected wait, background or off")
    tags = {
        "workbench.pipeline": spec.name,
        # pipeline.json is written as spec.to_json(): the same digest without reading it again
        "workbench.spec_digest": sha256_text(spec.to_json()),
        "workbench.notebook": spec.notebook,
        "mlflow.source.type": "LOCAL",
    }
    commit = head_commit(cfg.root) or ""
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return RecorderLineage(
        experiment=experiment_name(spec.name),
        run_name=f"{spec.name} {time.strftime('%Y-%m-%d %H:%M:%S')}",
        params={name: redact_param(name, text) for name, text in plan.param_texts.items()},
        tags=tags,
        log_path=log_dir / "lineage.log",
        env=env,
        wait=mode == "wait",
    )


def _new_log_dir(parent: Path) -> Path:
    """A log folder of this run's own, named by time and process: two runs started in the same
    second by one process (a notebook re-running a cell) get `-2`, `-3`... rather than sharing
    one folder and overwriting each other's step logs."""
    parent.mkdir(parents=True, exist_ok=True)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    for n in range(1, 1000):
        folder = parent / (base if n == 1 else f"{base}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise WorkbenchError(f"{parent}: no free log folder for {base}")


def _first_wait(while_starting: Callable[[], None] | None, lineage: Lineage) -> None:
    if while_starting is not None:
        while_starting()
    lineage.start()


def run_pipeline(
    name: str,
    options: RunOptions | None = None,
    *,
    observer: Observer | None = None,
    while_starting: Callable[[], None] | None = None,
) -> RunResult:
    """Run `steps/NAME/pipeline.json` with the cache; see the module docstring.

    `while_starting` is called once the first steps have started (or, when none runs, before
    the run ends): the CLI's staleness check then overlaps the fork server's imports instead of
    coming before them. The MLflow recorder starts right after it, for the same reason.
    """
    options = options or RunOptions()
    cfg = settings()
    spec = load_spec(cfg.steps_dir / name / "pipeline.json")
    plan = plan_run(spec, options)
    log_dir = _new_log_dir(cfg.cache_dir / "logs" / spec.name)
    env = step_env(cfg, spec)
    lineage = _start_lineage(spec, plan, cfg, env, options.lineage, log_dir)
    launcher = make_launcher(
        "fresh" if options.isolate else default_launcher(), cfg.root, spec, env, log_dir
    )
    scheduler = Scheduler(
        spec,
        plan,
        cfg,
        jobs=options.jobs or os.cpu_count() or 1,
        lineage=lineage,
        log_dir=log_dir,
        env=env,
        observer=observer,
        launcher=launcher,
        first_wait=lambda: _first_wait(while_starting, lineage),
    )
    status = "FAILED"
    try:
        scheduler.run()
        runs = scheduler.runs.values()
        status = "FAILED" if any(r.status in (FAILED, BLOCKED) for r in runs) else "FINISHED"
    finally:
        launcher.close()
        runs = scheduler.runs.values()
        metrics = {
            "steps_cached": float(sum(r.status == CACHED for r in runs)),
            "steps_run": float(sum(r.status in (DONE, FAILED) for r in runs)),
            "steps_failed": float(sum(r.status == FAILED for r in runs)),
        }
        parent = lineage.finish(status, metrics)
    return RunResult(
        spec.name,
        scheduler.runs,
        status,
        log_dir,
        parent,
        lineage.error,
        experiment_id=lineage.experiment_id,
        notebook=spec.notebook,
    )
