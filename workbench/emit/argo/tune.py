"""Tuning across machines: N Optuna worker pods on one shared study, then promote the best trial.

    worker (withSequence count = workers) -> promote (worker.AnySucceeded)

Every worker pod runs `python -m workbench.tuning.worker optimize --objective MODULE --study
NAME --trials K`: the same objective against the same study in the Optuna storage named by the
`WORKBENCH_OPTUNA_STORAGE` Secret key (a PostgreSQL URL with its password: only ever a
secretKeyRef here), tracked on the team's MLflow server like every other pod. `workbench.tune`
makes the shared study one parent MLflow run with each trial nested under it exactly once. The
final pod fits the best trial's model, registers it and runs the promotion gate
(`workbench.tuning.worker promote`); AnySucceeded, as in the sweep, so one lost worker does not
hide the trials the others ran. Same pods as every template (workbench.emit.argo.pods).
"""

from __future__ import annotations

from hera.workflows import DAG, Container, Parameter, SecretEnv, Task
from hera.workflows import WorkflowTemplate as HeraWorkflowTemplate
from hera.workflows.models import IntOrString, Sequence, ValueFrom

from workbench.emit.argo import pods
from workbench.emit.argo.options import OUTPUTS_DIR, ArgoOptions, Names, image_ref
from workbench.emit.argo.pipeline import workflow_settings
from workbench.spec.model import PipelineSpec

STORAGE_ENV = "WORKBENCH_OPTUNA_STORAGE"  # workbench.tuning.worker.STORAGE_ENV
STORAGE_KEY = "url"
WORKER = "tune-worker"
PROMOTE = "tune-promote"
PROMOTION = f"{OUTPUTS_DIR}/promotion.json"
WORKERS_PARAM = "workers"
TRIALS_PARAM = "trials-per-worker"


def _param(name: str) -> str:
    return f"{{{{workflow.parameters.{name}}}}}"


def model_name(spec: PipelineSpec) -> str:
    """The notebook's `model_name` default when it has one (the name its runs register)."""
    for p in spec.parameters:
        if p.name == "model_name" and isinstance(p.default, str) and p.default:
            return p.default
    return Names.of(spec.name).base


def _container(spec: PipelineSpec, options: ArgoOptions, name: str, args: list[str],
               outputs: list[Parameter]) -> Container:  # fmt: skip
    names = Names.of(spec.name)
    storage = SecretEnv(
        name=STORAGE_ENV, secret_name=options.optuna_secret, secret_key=STORAGE_KEY
    )  # required: a worker without the shared study must fail, not tune a private one
    return Container(
        name=name,
        image=image_ref(spec.name, options),
        image_pull_policy=options.image_pull_policy,
        command=["python"],
        args=["-m", "workbench.tuning.worker", *args],
        outputs=outputs,
        env=[*pods.environment(names, options), storage],
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        active_deadline_seconds=options.step_deadline_seconds,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": name},
    )


def tune_template(spec: PipelineSpec, options: ArgoOptions) -> HeraWorkflowTemplate:
    names = Names.of(spec.name)
    common = ["--objective", _param("objective"), "--study", _param("study-name")]
    worker = _container(spec, options, WORKER, [
        "optimize", *common, "--trials", _param(TRIALS_PARAM),
        "--experiment", _param("experiment"), "--metric", _param("metric"),
        "--direction", _param("direction"),
    ], [])  # fmt: skip
    promote = _container(spec, options, PROMOTE, [
        "promote", *common, "--model-name", _param("model-name"),
        "--promote-metric", _param("promote-metric"), "--output", PROMOTION,
    ], [Parameter(name="promotion", value_from=ValueFrom(path=PROMOTION))])  # fmt: skip
    fan_out = Task(
        name="worker",
        template=WORKER,
        with_sequence=Sequence(count=IntOrString(_param(WORKERS_PARAM))),
    )
    final = Task(name="promote", template=PROMOTE, depends="worker.AnySucceeded")
    study = f"{names.base}-tuning"
    arguments = [
        Parameter(name=WORKERS_PARAM, value=str(options.tune_workers),
                  description="worker pods optimising the study at once"),
        Parameter(name=TRIALS_PARAM, value=str(options.tune_trials)),
        Parameter(name="study-name", value=study,
                  description="the shared Optuna study: a new name starts a new study"),
        Parameter(name="experiment", value=study),
        Parameter(name="objective", value=options.tune_objective,
                  description="module with space, objective(params[, trial]) and train(params)"),
        Parameter(name="metric", value=options.tune_metric),
        Parameter(name="direction", value="maximize", enum=["maximize", "minimize"]),
        Parameter(name="model-name", value=model_name(spec)),
        Parameter(name="promote-metric", value=options.sweep_metric),
    ]  # fmt: skip
    return HeraWorkflowTemplate(
        name=names.tune_template,
        namespace=options.namespace,
        labels={"app.kubernetes.io/part-of": "workbench", "workbench.io/pipeline": names.base},
        entrypoint="tune",
        arguments=arguments,
        templates=[DAG(name="tune", tasks=[fan_out, final]), worker, promote],
        **workflow_settings(names, options),
    )
