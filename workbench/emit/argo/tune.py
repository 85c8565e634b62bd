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

A worker pod that dies (evicted, OOM-killed, its node lost) is retried by Argo, a limited
number of times with a backoff longer than Optuna's heartbeat grace period, so the new pod
finds the dead pod's trial stale, fails it and re-runs its parameters
(workbench.tuning.heartbeat); exit code 2 (the worker's own "bad input" errors: no storage
Secret, no such objective) is not retried, a retry cannot fix it. Every worker stops once the
study holds `study-trials` COMPLETE trials, so a retried pod only makes up for what is missing.
"""

from __future__ import annotations

from hera.workflows import DAG, Container, Parameter, RetryStrategy, SecretEnv, Task
from hera.workflows import WorkflowTemplate as HeraWorkflowTemplate
from hera.workflows.models import Backoff, IntOrString, Sequence, ValueFrom

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
STUDY_TRIALS_PARAM = "study-trials"
USAGE_EXIT = 2  # workbench.tuning.worker: bad input, not retried
# workbench.tuning.heartbeat.DEFAULT_HEARTBEAT (emit may not import tuning; a test compares)
HEARTBEAT_SECONDS, GRACE_SECONDS = 30, 90
# retried: an Argo error (pod deleted or evicted, node lost) or a failed worker other than its
# bad-input exit (an uncaught error such as a dropped database connection, 137 for a kill)
RETRY_WHEN = (
    f'lastRetry.status == "Error" || '
    f'(lastRetry.status == "Failed" && asInt(lastRetry.exitCode) != {USAGE_EXIT})'
)


def worker_retry(options: ArgoOptions) -> RetryStrategy:
    """Limited, backed off past the heartbeat grace period (the new pod must see the dead
    pod's trial as stale to re-run it)."""
    return RetryStrategy(
        limit=options.retry_limit,
        retry_policy="Always",
        expression=RETRY_WHEN,
        backoff=Backoff(
            duration=f"{GRACE_SECONDS + HEARTBEAT_SECONDS}s",
            factor=IntOrString(2),
            max_duration="15m",
        ),
    )


def _param(name: str) -> str:
    return f"{{{{workflow.parameters.{name}}}}}"


def model_name(spec: PipelineSpec) -> str:
    """The notebook's `model_name` default when it has one (the name its runs register)."""
    for p in spec.parameters:
        if p.name == "model_name" and isinstance(p.default, str) and p.default:
            return p.default
    return Names.of(spec.name).base


def _container(spec: PipelineSpec, options: ArgoOptions, name: str, args: list[str],
               outputs: list[Parameter], retry: RetryStrategy | None = None,
               ) -> Container:  # fmt: skip
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
        retry_strategy=retry,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": name},
    )


def tune_template(spec: PipelineSpec, options: ArgoOptions) -> HeraWorkflowTemplate:
    names = Names.of(spec.name)
    common = ["--objective", _param("objective"), "--study", _param("study-name")]
    worker = _container(spec, options, WORKER, [
        "optimize", *common, "--trials", _param(TRIALS_PARAM),
        "--study-trials", _param(STUDY_TRIALS_PARAM),
        "--experiment", _param("experiment"), "--metric", _param("metric"),
        "--direction", _param("direction"),
    ], [], worker_retry(options))  # fmt: skip
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
        Parameter(name=TRIALS_PARAM, value=str(options.tune_trials),
                  description="at most this many trials per worker pod"),
        Parameter(name=STUDY_TRIALS_PARAM, value=str(options.tune_workers * options.tune_trials),
                  description="workers stop once the study holds this many COMPLETE trials"),
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
