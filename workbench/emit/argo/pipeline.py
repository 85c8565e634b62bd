"""PipelineSpec -> the pipeline's WorkflowTemplate: a DAG with one container template per step.

Each step template runs exactly the local runner's command,
    python -m <step.module> --input NAME=/tmp/inputs/NAME … --output NAME=/tmp/outputs/NAME …
                            --param NAME={{inputs.parameters.NAME}} …
Artifacts are key-only S3 artifacts resolved against the artifact repository ConfigMap named by
`artifactRepositoryRef` (MinIO in the cluster, S3 in the cloud: only that ConfigMap changes).
They are stored unarchived, so an output's S3 folder holds data.<fmt>, sha256 and meta.json under
<prefix>/<pipeline>/<step>/<cache key>/<output>: the local runner's store layout.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import (
    DAG,
    Artifact,
    Container,
    NoneArchiveStrategy,
    Parameter,
    RetryStrategy,
    S3Artifact,
    Task,
    WorkflowTemplate,
)
from hera.workflows.models import (
    ArtifactRepositoryRef,
    Cache,
    DAGTask,
    LocalObjectReference,
    Memoize,
    PodGC,
    TTLStrategy,
    ValueFrom,
)

from workbench.core.errors import WorkbenchError
from workbench.emit.argo import lineage, pods
from workbench.emit.argo.cachekey import CACHE_KEY_PARAM, cache_key_expression, reads_data_file
from workbench.emit.argo.deploy import deploy_step
from workbench.emit.argo.options import (
    INPUTS_DIR,
    OUTPUTS_DIR,
    ArgoOptions,
    Names,
    image_ref,
)
from workbench.spec.model import PipelineSpec, StepSpec

ENTRYPOINT = "main"
ARTIFACT_REPOSITORY_KEY = "s3"


def step_command(step: StepSpec) -> tuple[list[str], list[str]]:
    """(command, args) of a step container: the same command line as the local runner."""
    args: list[str] = []
    for name in step.inputs:
        args += ["--input", f"{name}={INPUTS_DIR}/{name}"]
    for name in step.outputs:
        args += ["--output", f"{name}={OUTPUTS_DIR}/{name}"]
    for name in step.params:
        args += ["--param", f"{name}={{{{inputs.parameters.{name}}}}}"]
    return ["python", "-m", step.module], args


def artifact_key(names: Names, options: ArgoOptions, step: str, output: str, cached: bool) -> str:
    """<prefix>/<pipeline>/<step>/<cache key>/<output>, the local store's layout; a step that
    reads a data file is not memoized, and its outputs go under the workflow's uid instead."""
    key = f"{{{{inputs.parameters.{CACHE_KEY_PARAM}}}}}" if cached else "run-{{workflow.uid}}"
    return f"{options.artifact_prefix}/{names.pipeline}/{step}/{key}/{output}"


def step_template(spec: PipelineSpec, step: StepSpec, options: ArgoOptions) -> Container:
    names = Names.of(spec.name)
    command, args = step_command(step)
    cached = not reads_data_file(spec, step)
    inputs: list[Parameter | Artifact] = [Parameter(name=CACHE_KEY_PARAM)] if cached else []
    inputs.append(Parameter(name=lineage.PARENT_PARAM))
    inputs += [Parameter(name=p) for p in step.params]
    inputs += [Artifact(name=i, path=f"{INPUTS_DIR}/{i}") for i in step.inputs]
    outputs: list[Parameter | Artifact] = []
    for out in step.outputs:
        outputs.append(
            S3Artifact(
                name=out,
                path=f"{OUTPUTS_DIR}/{out}",
                key=artifact_key(names, options, step.name, out, cached),
                archive=NoneArchiveStrategy(),
            )
        )
        outputs.append(
            Parameter(
                name=Names.digest_param(out),
                value_from=ValueFrom(path=f"{OUTPUTS_DIR}/{out}/sha256"),
            )
        )
    return Container(
        name=Names.step_template(step.name),
        image=image_ref(spec.name, options),
        image_pull_policy=options.image_pull_policy,
        command=lineage.wrap_step(step.name, command, cached),
        args=args,
        inputs=inputs,
        outputs=outputs or None,
        env=pods.environment(names, options),
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        retry_strategy=RetryStrategy(limit=options.retry_limit, retry_policy="OnError"),
        active_deadline_seconds=options.step_deadline_seconds,
        memoize=Memoize(
            key=f"{{{{inputs.parameters.{CACHE_KEY_PARAM}}}}}",
            max_age=options.cache_max_age,
            cache=Cache(config_map=LocalObjectReference(name=names.cache_config_map(step.name))),
        )
        if cached
        else None,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": Names.task(step.name)},
    )


def step_task(spec: PipelineSpec, step: StepSpec) -> Task:
    arguments: list[Parameter | Artifact] = []
    if not reads_data_file(spec, step):
        arguments.append(Parameter(name=CACHE_KEY_PARAM, value=cache_key_expression(spec, step)))
    arguments.append(lineage.parent_argument())
    arguments += [Parameter(name=p, value=f"{{{{workflow.parameters.{p}}}}}") for p in step.params]
    for name in step.inputs:
        source = Names.task(step.input_sources[name])
        arguments.append(
            Artifact(name=name, from_=f"{{{{tasks.{source}.outputs.artifacts.{name}}}}}")
        )
    # a first step waits for the parent run; the others get its id through their upstream
    depends = " && ".join(Names.task(d) for d in sorted(step.depends_on)) or lineage.TASK
    return Task(
        name=Names.task(step.name),
        template=Names.step_template(step.name),
        depends=depends,
        arguments=arguments,
    )


def workflow_parameters(spec: PipelineSpec) -> list[Parameter]:
    """The `parameters` cell: each default as its canonical text (ParamSpec.text, from
    workbench.spec.params), data files as their object-storage URI (cron.cluster_default)."""
    from workbench.emit.argo.cron import cluster_default

    return [
        Parameter(name=p.name, value=cluster_default(spec, p, p.text), description=f"{p.type}")
        for p in spec.parameters
    ]


def workflow_template(spec: PipelineSpec, options: ArgoOptions) -> WorkflowTemplate:
    """The pipeline as a WorkflowTemplate (hera object; `.to_yaml()` gives the manifest)."""
    names = Names.of(spec.name)
    _check(spec)
    tasks: list[Task | DAGTask] = [lineage.start_task(), *(step_task(spec, s) for s in spec.steps)]
    templates: list[Container] = [step_template(spec, s, options) for s in spec.steps]
    deploy = deploy_step(spec, options)  # last, after the step templates the overlays patch
    if deploy is not None:
        tasks.append(deploy.task)
        templates.append(deploy.template)
    templates += [lineage.start_template(spec, options), lineage.end_template(spec, options)]
    dag = DAG(name=ENTRYPOINT, tasks=tasks)
    return WorkflowTemplate(
        name=names.workflow_template,
        namespace=options.namespace,
        labels={"app.kubernetes.io/part-of": "workbench", "workbench.io/pipeline": names.base},
        entrypoint=ENTRYPOINT,
        arguments=workflow_parameters(spec),
        templates=[dag, *templates],
        on_exit=lineage.END_TEMPLATE,
        **workflow_settings(names, options),
    )


def workflow_settings(names: Names, options: ArgoOptions) -> dict[str, Any]:
    """Workflow-level settings every workbench WorkflowTemplate shares (pipeline and notebook):
    the dedicated ServiceAccount, pod security, scratch and model-store volumes, the artifact
    repository, deadlines and clean-up."""
    return {
        "service_account_name": names.service_account,
        "security_context": pods.pod_security_context(options),
        "volumes": pods.volumes(options),
        "artifact_repository_ref": ArtifactRepositoryRef(
            config_map=names.artifact_repository, key=ARTIFACT_REPOSITORY_KEY
        ),
        "active_deadline_seconds": options.workflow_deadline_seconds,
        "ttl_strategy": TTLStrategy(seconds_after_completion=7 * 24 * 3600),
        "pod_gc": PodGC(strategy="OnPodSuccess"),  # failed pods stay for their logs
    }


def _check(spec: PipelineSpec) -> None:
    """Name clashes Argo would only report at submit time."""
    seen: dict[str, str] = {}
    for step in spec.steps:
        task = Names.task(step.name)
        if task in seen:
            raise WorkbenchError(
                f"pipeline {spec.name}: steps {seen[task]!r} and {step.name!r} both become "
                f"Argo task {task!r}; rename one"
            )
        seen[task] = step.name
        for name in step.inputs:
            if name not in step.input_sources:
                raise WorkbenchError(
                    f"pipeline {spec.name}: step {step.name} input {name!r} has no source step"
                )
