"""Papermill in Argo: the notebook itself as a WorkflowTemplate, and a parameter sweep over it.

The container runs `workbench run NOTEBOOK -r NAME TEXT … -p NAME TEXT … --output FILE`, each
parameter with its flag and canonical text from the parameter model (`workbench.spec.params`):
`-r` for str parameters (kept raw, so "007" stays "007") and `-p` for the others, which `workbench
run` parses by the type of the notebook's default (so 1.0 stays a float, and lists, tuples and
dicts arrive typed). `workbench run` tracks the run in MLflow and writes the executed notebook
even when a cell fails; Argo uploads output artifacts of failed containers too, so the executed
notebook is there to read either way (optional: a run that dies before writing it still reports
the real error rather than a missing artifact).

The sweep fans out over `sweep-parameter-sets` (withParam: a JSON list of objects) and then
reports the best run by a metric with `python -m workbench.tracking.best_run --workflow
{{workflow.name}}`: every papermill container gets WORKBENCH_WORKFLOW={{workflow.name}}, which
`workbench run` stores as the run's `workbench.argo.workflow` tag, so only this sweep's trials
are compared. Each set names
every parameter, with its command-line text as a string ("1.0", not 1.0): Argo cannot default
a key missing from an item (argoproj/argo-workflows#16002) and would print the float 1.0 as "1".
"""

from __future__ import annotations

import json

from hera.workflows import DAG, Container, Env, NoneArchiveStrategy, Parameter, S3Artifact, Task
from hera.workflows import WorkflowTemplate as HeraWorkflowTemplate
from hera.workflows.models import ValueFrom

from workbench.core.argo import WORKFLOW_ENV
from workbench.emit.argo import pods
from workbench.emit.argo.cron import cluster_default
from workbench.emit.argo.options import OUTPUTS_DIR, ArgoOptions, Names, image_ref
from workbench.emit.argo.pipeline import workflow_settings
from workbench.spec.model import ParamSpec, PipelineSpec
from workbench.spec.params import param_type

PAPERMILL = "papermill"
EXECUTED = f"{OUTPUTS_DIR}/executed.ipynb"
BEST_RUN = f"{OUTPUTS_DIR}/best-run.json"
SETS_PARAM = "sweep-parameter-sets"
METRIC_PARAM = "sweep-metric"
DIRECTION_PARAM = "sweep-direction"
WORKFLOW_NAME = "{{workflow.name}}"


def passed(spec: PipelineSpec) -> list[ParamSpec]:
    """The parameters handed to `workbench run`: all of them, each typed by the model."""
    return list(spec.parameters)


def papermill_text(param: ParamSpec) -> str:
    """A default as `workbench run` parses it back by the parameter's type: its canonical text."""
    return param.text


def papermill_args(spec: PipelineSpec, notebook: str) -> list[str]:
    args = ["run", notebook]
    for p in passed(spec):
        flag = param_type(p.type).papermill_flag
        args += [flag, p.name, f"{{{{inputs.parameters.{p.name}}}}}"]
    return [*args, "--output", EXECUTED]


def papermill_template(spec: PipelineSpec, options: ArgoOptions) -> Container:
    names = Names.of(spec.name)
    key = f"{options.artifact_prefix}/{names.pipeline}/notebooks/{{{{workflow.name}}}}/{{{{pod.name}}}}.ipynb"
    return Container(
        name=PAPERMILL,
        image=image_ref(spec.name, options),
        image_pull_policy=options.image_pull_policy,
        command=["workbench"],
        args=papermill_args(spec, options.notebook),
        inputs=[Parameter(name=p.name) for p in passed(spec)],
        outputs=[
            S3Artifact(
                name="executed-notebook",
                path=EXECUTED,
                key=key,
                archive=NoneArchiveStrategy(),
                optional=True,
            )
        ],
        # the workflow's name tags the MLflow run, so the sweep's best-run step sees its own runs
        env=[*pods.environment(names, options), Env(name=WORKFLOW_ENV, value=WORKFLOW_NAME)],
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        active_deadline_seconds=options.step_deadline_seconds,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": PAPERMILL},
    )


def _experiment(spec: PipelineSpec) -> str:
    names = {p.name for p in spec.parameters}
    return "{{workflow.parameters.experiment}}" if "experiment" in names else spec.name


def best_run_template(spec: PipelineSpec, options: ArgoOptions) -> Container:
    names = Names.of(spec.name)
    args = ["-m", "workbench.tracking.best_run", "--experiment", _experiment(spec)]
    args += ["--metric", f"{{{{workflow.parameters.{METRIC_PARAM}}}}}"]
    args += ["--direction", f"{{{{workflow.parameters.{DIRECTION_PARAM}}}}}"]
    args += ["--workflow", WORKFLOW_NAME, "--output", BEST_RUN]  # only this sweep's trials
    return Container(
        name="best-run",
        image=image_ref(spec.name, options),
        image_pull_policy=options.image_pull_policy,
        command=["python"],
        args=args,
        outputs=[Parameter(name="best-run", value_from=ValueFrom(path=BEST_RUN))],
        env=pods.environment(names, options),
        volume_mounts=pods.volume_mounts(),
        resources=pods.resources(options),
        security_context=pods.container_security_context(options),
        active_deadline_seconds=options.step_deadline_seconds,
        labels={"workbench.io/pipeline": names.base, "workbench.io/step": "best-run"},
    )


def default_parameter_sets(spec: PipelineSpec) -> str:
    """One complete set (the defaults), as a JSON text users copy and vary."""
    one = {p.name: cluster_default(spec, p, papermill_text(p)) for p in passed(spec)}
    return json.dumps([one], sort_keys=True)


def _template(
    spec: PipelineSpec, options: ArgoOptions, name: str, entry: DAG, extra: list[Container]
) -> HeraWorkflowTemplate:
    names = Names.of(spec.name)
    arguments = [
        Parameter(
            name=p.name, value=cluster_default(spec, p, papermill_text(p)), description=p.type
        )
        for p in passed(spec)
    ]
    if name == names.sweep_template:
        arguments += [
            Parameter(name=SETS_PARAM, value=default_parameter_sets(spec)),
            Parameter(name=METRIC_PARAM, value=options.sweep_metric),
            Parameter(name=DIRECTION_PARAM, value=options.sweep_direction, enum=["max", "min"]),
        ]
    return HeraWorkflowTemplate(
        name=name,
        namespace=options.namespace,
        labels={"app.kubernetes.io/part-of": "workbench", "workbench.io/pipeline": names.base},
        entrypoint=entry.name,
        arguments=arguments,
        templates=[entry, papermill_template(spec, options), *extra],
        **workflow_settings(names, options),
    )


def notebook_template(spec: PipelineSpec, options: ArgoOptions) -> HeraWorkflowTemplate:
    """One papermill run of the notebook with the workflow parameters."""
    run = Task(
        name="run",
        template=PAPERMILL,
        arguments=[
            Parameter(name=p.name, value=f"{{{{workflow.parameters.{p.name}}}}}")
            for p in passed(spec)
        ],
    )
    dag = DAG(name="notebook", tasks=[run])
    return _template(spec, options, Names.of(spec.name).notebook_template, dag, [])


def sweep_template(spec: PipelineSpec, options: ArgoOptions) -> HeraWorkflowTemplate:
    """Fan out papermill runs over parameter sets, then report the best run by a metric."""
    trial = Task(
        name="trial",
        template=PAPERMILL,
        with_param=f"{{{{workflow.parameters.{SETS_PARAM}}}}}",
        arguments=[Parameter(name=p.name, value=f"{{{{item.{p.name}}}}}") for p in passed(spec)],
    )
    # AnySucceeded: one failed trial must not hide the best of the others
    best = Task(name="best-run", template="best-run", depends="trial.AnySucceeded")
    dag = DAG(name="sweep", tasks=[trial, best], parallelism=options.sweep_parallelism)
    extra = [best_run_template(spec, options)]
    return _template(spec, options, Names.of(spec.name).sweep_template, dag, extra)
