"""The pipeline's last task: `workbench deploy`, after every other step (hera objects).

Emitted when the notebook names its registered model with a `model_name` parameter. The task
runs in the deploy image (serving image + git), reads where the environment's serving overlay
lives from the `<pipeline>-gitops` ConfigMap (written by that environment's serving overlay),
the tracking URI from the pipeline ConfigMap, and git credentials from a Secret reference only.
With a step output `model_version` (the version this run registered) it passes that as
`--candidate-from`, so the overlay changes only when this run's promotion moved `champion`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hera.workflows import (
    Artifact,
    ConfigMapEnv,
    Container,
    Env,
    Parameter,
    RetryStrategy,
    SecretEnv,
    Task,
)

from workbench.emit.argo import pods
from workbench.emit.argo.options import INPUTS_DIR, ArgoOptions, Names, dns_name
from workbench.spec.model import PipelineSpec

MODEL_PARAM = "model_name"  # the parameter naming the registered model
VERSION_OUTPUT = "model_version"  # the output holding the version the run registered
TASK = "deploy"
GITOPS_SECRET = "workbench-gitops-credentials"  # keys: username, password (optional)
GITOPS_ENV = (("GITOPS_REPO", "repo"), ("GITOPS_BRANCH", "branch"), ("GITOPS_PATH", "path"))


@dataclass(frozen=True)
class DeployStep:
    template: Container
    task: Task


def deploy_image(spec: PipelineSpec, options: ArgoOptions) -> str:
    """workbench/<pipeline>-deploy: the `deploy` target of steps/NAME/serving.Dockerfile."""
    return f"workbench/{dns_name(spec.name)}-deploy"


def has_deploy(spec: PipelineSpec) -> bool:
    """Whether the pipeline registers a model (its notebook has a `model_name` parameter)."""
    return MODEL_PARAM in {p.name for p in spec.parameters}


def deploy_images(spec: PipelineSpec, options: ArgoOptions) -> tuple[str, ...]:
    """The deploy image, when the pipeline has a deploy task (the overlays retag it)."""
    return (deploy_image(spec, options),) if has_deploy(spec) else ()


def gitops_config_map(pipeline: str) -> str:
    """`<pipeline>-gitops`: written by each serving overlay, read by the deploy task."""
    return f"{dns_name(pipeline)}-gitops"


def deploy_step(spec: PipelineSpec, options: ArgoOptions) -> DeployStep | None:
    if not has_deploy(spec):
        return None
    names = Names.of(spec.name)
    source = next((s for s in spec.steps if VERSION_OUTPUT in s.outputs), None)
    args = ["$(GITOPS_PATH)", "--model", f"{{{{inputs.parameters.{MODEL_PARAM}}}}}"]
    args += ["--repo", "$(GITOPS_REPO)", "--branch", "$(GITOPS_BRANCH)"]
    inputs: list[Parameter | Artifact] = [Parameter(name=MODEL_PARAM)]
    arguments: list[Parameter | Artifact] = [
        Parameter(name=MODEL_PARAM, value=f"{{{{workflow.parameters.{MODEL_PARAM}}}}}")
    ]
    if source is not None:
        path = f"{INPUTS_DIR}/{VERSION_OUTPUT}"
        args += ["--candidate-from", path]
        inputs.append(Artifact(name=VERSION_OUTPUT, path=path))
        task = Names.task(source.name)
        arguments.append(
            Artifact(
                name=VERSION_OUTPUT,
                from_=f"{{{{tasks.{task}.outputs.artifacts.{VERSION_OUTPUT}}}}}",
            )
        )
    env: list[Env | ConfigMapEnv | SecretEnv] = [
        *pods.environment(names, options),
        *(
            ConfigMapEnv(name=var, config_map_name=gitops_config_map(spec.name), config_map_key=key)
            for var, key in GITOPS_ENV
        ),
        SecretEnv(
            name="GIT_USERNAME", secret_name=GITOPS_SECRET, secret_key="username", optional=True
        ),
        SecretEnv(
            name="GIT_PASSWORD", secret_name=GITOPS_SECRET, secret_key="password", optional=True
        ),
    ]
    template = Container(
        name=TASK,
        image=f"{deploy_image(spec, options)}:{options.image_tag}",
        command=["workbench", "deploy"],
        args=args,
        inputs=inputs,
        env=env,
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        retry_strategy=RetryStrategy(limit=options.retry_limit, retry_policy="OnError"),
        active_deadline_seconds=600,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": TASK},
    )
    leaves = sorted(
        Names.task(s.name)
        for s in spec.steps
        if not any(s.name in o.depends_on for o in spec.steps)
    )
    return DeployStep(
        template=template,
        task=Task(
            name=TASK, template=TASK, depends=" && ".join(leaves) or None, arguments=arguments
        ),
    )
