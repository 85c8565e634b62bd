"""The pipeline's MLflow lineage in the cluster: the local runner's run structure, pod by pod.

Locally the runner (through `workbench.tracking.lineage`) makes one parent run per pipeline run
in experiment `pipeline-NAME` and a child run per step, and starts a step with `MLFLOW_RUN_ID` =
its child run. In Argo there is no runner process, so the WorkflowTemplate does it:

    python -m workbench.tracking.pod_lineage start --pipeline P --workflow {{workflow.name}} \\
        [--param NAME=VALUE]... [--tag KEY=VALUE]... --output /tmp/outputs/parent-run-id
    python -m workbench.tracking.pod_lineage step --parent RUN_ID --step S [--cache-key K] \\
        -- python -m steps.P.S --input ... --output ... --param ...    (the local runner's command)
    python -m workbench.tracking.pod_lineage end --pipeline P --workflow {{workflow.name}} \\
        --status {{workflow.status}}                                   (the workflow's onExit)

`step` runs the step's command as its child process, exactly as the runner does (its
environment plus `MLFLOW_RUN_ID`), passes SIGTERM/SIGHUP on (a stopped pod), and ends the child
run FINISHED, FAILED or KILLED from the exit code, with the runner's tags. A lineage write that
fails is a warning, never the step's failure (as `--lineage` locally).
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workbench.core import clock
from workbench.core.clock import now_ms
from workbench.tracking.lineage import PARENT_TAG, experiment_name

WORKFLOW_TAG = "workbench.argo.workflow"
# Argo's workflow.status -> MLflow run status
_STATUS = {"Succeeded": "FINISHED", "Failed": "FAILED", "Error": "FAILED"}
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _client() -> Any:
    from mlflow import MlflowClient

    return MlflowClient()


def _pairs(items: Sequence[str]) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in items)


def start(pipeline: str, workflow: str, params: Mapping[str, str], tags: Mapping[str, str]) -> str:
    """Create the workflow's parent run; its id."""
    from workbench.core.redact import redact_param
    from workbench.tracking.batch import log_params_batched
    from workbench.tracking.config import configure

    experiment_id = configure(experiment_name(pipeline)) or "0"
    client = _client()
    all_tags = {**tags, "workbench.pipeline": pipeline, WORKFLOW_TAG: workflow}
    all_tags["mlflow.source.type"] = "JOB"
    run = client.create_run(experiment_id, tags=all_tags, run_name=f"{pipeline} {workflow}")
    log_params_batched(client, run.info.run_id, {k: redact_param(k, v) for k, v in params.items()})
    return str(run.info.run_id)


def _outputs(command: Sequence[str]) -> dict[str, str]:
    """NAME -> sha256 of each `--output NAME=PATH` the step wrote (the runner's output tags)."""
    found = {}
    for flag, value in itertools.pairwise(command):
        if flag == "--output":
            name, _, path = value.partition("=")
            digest = Path(path) / "sha256"
            if digest.is_file():
                found[name] = digest.read_text(encoding="utf-8").strip()
    return found


def step(parent: str, name: str, cache_key: str, command: Sequence[str]) -> int:
    """Run `command` as the step's child run of `parent`; its exit code."""
    client, run_id = None, ""
    try:
        client = _client()
        experiment_id = client.get_run(parent).info.experiment_id
        tags = {PARENT_TAG: parent, "workbench.step": name, "workbench.cache": "miss"}
        if cache_key:
            tags["workbench.cache_key"] = cache_key
        run_id = client.create_run(experiment_id, tags=tags, run_name=name).info.run_id
    except Exception as exc:  # lineage is evidence: the step still runs
        print(f"warning: no MLflow child run for step {name}: {exc}", file=sys.stderr)
    env = {**os.environ, "WORKBENCH_STEP": name}
    if run_id:
        env["MLFLOW_RUN_ID"] = run_id
    started = clock.monotonic()
    proc = subprocess.Popen(list(command), env=env)
    forward = {s: signal.signal(s, lambda n, _f: proc.send_signal(n)) for s in _STOP}
    try:
        code = proc.wait()
    finally:
        for sig, handler in forward.items():
            signal.signal(sig, handler)
    if client is not None and run_id:
        from mlflow.entities import Metric, RunTag

        stopped = -code in _STOP or code - 128 in _STOP  # killed by, or exited on, a stop signal
        status = "FINISHED" if code == 0 else ("KILLED" if stopped else "FAILED")
        end = now_ms()
        end_tags = [RunTag("workbench.exit_code", str(code))]
        end_tags += [
            RunTag(f"workbench.output.{k}", v) for k, v in sorted(_outputs(command).items())
        ]
        try:
            client.log_batch(
                run_id,
                metrics=[Metric("duration_s", clock.monotonic() - started, end, 0)],
                tags=end_tags,
            )
            client.set_terminated(run_id, status, end_time=end)
        except Exception as exc:
            print(f"warning: step {name}'s MLflow run not ended: {exc}", file=sys.stderr)
    return 128 - code if code < 0 else code  # killed by signal N: the shell's 128 + N


_STOP = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def end(pipeline: str, workflow: str, argo_status: str) -> str:
    """End the workflow's parent run (and any child a killed pod left RUNNING)."""
    if not _DNS.match(workflow):
        raise SystemExit(f"--workflow {workflow!r}: not an Argo workflow name")
    client = _client()
    experiment = client.get_experiment_by_name(experiment_name(pipeline))
    if experiment is None:
        raise SystemExit(f"no MLflow experiment {experiment_name(pipeline)!r}")
    parents = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`{WORKFLOW_TAG}` = '{workflow}'"
    )
    if not parents:
        raise SystemExit(f"no parent run tagged {WORKFLOW_TAG}={workflow}")
    parent = parents[0].info.run_id
    status = _STATUS.get(argo_status, "FAILED")
    children = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`{PARENT_TAG}` = '{parent}'"
    )
    for child in children:
        if child.info.status == "RUNNING":
            client.set_terminated(child.info.run_id, "KILLED")
    client.set_tag(parent, "workbench.argo.status", argo_status)
    client.set_terminated(parent, status)
    return str(parent)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.tracking.pod_lineage")
    sub = parser.add_subparsers(dest="op", required=True)
    p_start = sub.add_parser("start")
    p_start.add_argument("--pipeline", required=True)
    p_start.add_argument("--workflow", required=True)
    p_start.add_argument("--param", action="append", default=[])
    p_start.add_argument("--tag", action="append", default=[])
    p_start.add_argument("--output", required=True)
    p_step = sub.add_parser("step")
    p_step.add_argument("--parent", required=True)
    p_step.add_argument("--step", required=True)
    p_step.add_argument("--cache-key", default="")
    p_step.add_argument("command", nargs=argparse.REMAINDER)
    p_end = sub.add_parser("end")
    p_end.add_argument("--pipeline", required=True)
    p_end.add_argument("--workflow", required=True)
    p_end.add_argument("--status", required=True)
    args = parser.parse_args(argv)
    if args.op == "start":
        run_id = start(args.pipeline, args.workflow, _pairs(args.param), _pairs(args.tag))
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(run_id, encoding="utf-8")
        print(f"parent run {run_id}")
        return 0
    if args.op == "step":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("step: the step's command follows `--`")
        return step(args.parent, args.step, args.cache_key, command)
    print(f"parent run {end(args.pipeline, args.workflow, args.status)} ended ({args.status})")
    return 0


if __name__ == "__main__":  # pragma: no cover - the pods' entry point
    os.environ.pop("MLFLOW_RUN_ID", None)
    raise SystemExit(main())
