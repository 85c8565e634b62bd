"""The scheduled pipeline: a CronWorkflow that runs the WorkflowTemplate through a reference.

Only scheduling lives here (schedules, time zone, concurrency, deadlines, history): the steps
stay in one place, the WorkflowTemplate, so a schedule never runs an outdated copy of them.

The one exception is where the data comes from. The notebook's default for a data-file
parameter (`data_path = "data/raw/x.csv"`) is a path in the project, which the image does not
hold; a scheduled run must read it from object storage instead. So the CronWorkflow names its
data parameters in `workflowSpec.arguments` (base: the notebook's default, unchanged), and each
overlay patches them with an `s3://` URI for its environment (`data_uri`: a placeholder to
replace with the real bucket). Every other parameter keeps the WorkflowTemplate's default.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow, Parameter
from hera.workflows.models import WorkflowTemplateRef

from workbench.emit.argo import pods
from workbench.emit.argo.cachekey import data_parameters
from workbench.emit.argo.options import ArgoOptions, Names
from workbench.spec.model import ParamSpec, PipelineSpec

DATA_PREFIX = "s3://workbench-data"  # the overlays' placeholder bucket


def data_uri(default: str, prefix: str = DATA_PREFIX) -> str:
    """Where a scheduled run reads a data file: `data/raw/x.csv` -> `s3://workbench-data/raw/x.csv`
    (a leading `data/` folder dropped, the bucket plays its part); a URI default stays as is."""
    if "://" in default:
        return default
    path = default.lstrip("/")
    path = path.removeprefix("./").removeprefix("data/")
    return f"{prefix.rstrip('/')}/{path}"


def cluster_default(spec: PipelineSpec, param: ParamSpec, text: str) -> str:
    """A parameter's default text in the cluster: a data file's project path becomes its
    object-storage URI (the image holds no `data/`), every other text stays as it is."""
    if any(p.name == param.name for p in data_parameters(spec)):
        return data_uri(text)
    return text


def cron_workflow(spec: PipelineSpec, options: ArgoOptions) -> CronWorkflow:
    names = Names.of(spec.name)
    return CronWorkflow(
        name=names.cron_workflow,
        namespace=options.namespace,
        labels={"app.kubernetes.io/part-of": "workbench", "workbench.io/pipeline": names.base},
        schedules=list(options.schedules),
        timezone=options.timezone,
        concurrency_policy="Forbid",  # a slow run is never overlapped by the next one
        starting_deadline_seconds=options.starting_deadline_seconds,
        successful_jobs_history_limit=options.history_limit,
        failed_jobs_history_limit=options.history_limit,
        workflow_template_ref=WorkflowTemplateRef(name=names.workflow_template),
        # the data location per environment: the overlays patch these values
        arguments=[Parameter(name=p.name, value=data_uri(p.text)) for p in data_parameters(spec)]
        or None,
        # repeated from the template so the Workflow object itself passes policy checks
        # (e.g. checkov CKV_ARGO_1/2) before the template is merged in
        service_account_name=names.service_account,
        security_context=pods.pod_security_context(options),
    )
