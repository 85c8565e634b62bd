"""The pipeline's MLflow run structure in Argo (hera objects): as the local runner makes it.

A first task `lineage` creates the workflow's parent run (experiment `pipeline-NAME`, the
workflow parameters as params) and outputs its id; every step task receives it, and its
container runs the local runner's exact step command under `workbench.tracking.pod_lineage
step`, which makes the step's child run and starts the command with `MLFLOW_RUN_ID` = that run.
The two lineage templates come after the step templates (the overlays patch those by index) and
keep the base resources: they only talk to the tracking server.
The workflow's `onExit` template ends the parent run with `{{workflow.status}}` (also when a
step failed), and any child run a killed pod left RUNNING.
"""

from __future__ import annotations

from hera.workflows import Container, Parameter, RetryStrategy, Task
from hera.workflows.models import ValueFrom

from workbench.core.hashing import sha256_text
from workbench.emit.argo import pods
from workbench.emit.argo.cachekey import CACHE_KEY_PARAM
from workbench.emit.argo.options import OUTPUTS_DIR, ArgoOptions, Names, image_ref
from workbench.spec.model import PipelineSpec

TASK = "lineage"
START_TEMPLATE = "lineage-start"
END_TEMPLATE = "lineage-end"
PARENT_PARAM = "parent-run-id"
MODULE = "workbench.tracking.pod_lineage"


def parent_argument() -> Parameter:
    """A step task's argument: the parent run id the `lineage` task output."""
    return Parameter(
        name=PARENT_PARAM, value=f"{{{{tasks.{TASK}.outputs.parameters.{PARENT_PARAM}}}}}"
    )


def wrap_step(step: str, command: list[str], cached: bool) -> list[str]:
    """The step container's command: the local runner's `command` as the step's child run."""
    key = ["--cache-key", f"{{{{inputs.parameters.{CACHE_KEY_PARAM}}}}}"] if cached else []
    return [
        "python", "-m", MODULE, "step",
        "--parent", f"{{{{inputs.parameters.{PARENT_PARAM}}}}}", "--step", step, *key, "--",
        *command,
    ]  # fmt: skip


def _container(name: str, args: list[str], spec: PipelineSpec, options: ArgoOptions,
               **extra: object) -> Container:  # fmt: skip
    names = Names.of(spec.name)
    return Container(
        name=name,
        image=image_ref(spec.name, options),
        image_pull_policy=options.image_pull_policy,
        command=["python", "-m", MODULE],
        args=args,
        env=pods.environment(names, options),
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        retry_strategy=RetryStrategy(limit=options.retry_limit, retry_policy="OnError"),
        active_deadline_seconds=300,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": name},
        **extra,  # type: ignore[arg-type]
    )


def start_template(spec: PipelineSpec, options: ArgoOptions) -> Container:
    args = ["start", "--pipeline", spec.name, "--workflow", "{{workflow.name}}"]
    for p in spec.parameters:
        args += ["--param", f"{p.name}={{{{workflow.parameters.{p.name}}}}}"]
    args += ["--tag", f"workbench.spec_digest={sha256_text(spec.to_json())}"]
    args += ["--tag", f"workbench.notebook={spec.notebook}"]
    args += ["--output", f"{OUTPUTS_DIR}/{PARENT_PARAM}"]
    output = Parameter(
        name=PARENT_PARAM, value_from=ValueFrom(path=f"{OUTPUTS_DIR}/{PARENT_PARAM}")
    )
    return _container(START_TEMPLATE, args, spec, options, outputs=[output])


def end_template(spec: PipelineSpec, options: ArgoOptions) -> Container:
    args = ["end", "--pipeline", spec.name, "--workflow", "{{workflow.name}}"]
    return _container(END_TEMPLATE, [*args, "--status", "{{workflow.status}}"], spec, options)


def start_task() -> Task:
    return Task(name=TASK, template=START_TEMPLATE)
