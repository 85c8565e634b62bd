"""The scheduled pipeline: a CronWorkflow that runs the WorkflowTemplate through a reference.

Only scheduling lives here (schedules, time zone, concurrency, deadlines, history): the steps
stay in one place, the WorkflowTemplate, so a schedule never runs an outdated copy of them.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow
from hera.workflows.models import WorkflowTemplateRef

from workbench.emit.argo import pods
from workbench.emit.argo.options import ArgoOptions, Names
from workbench.spec.model import PipelineSpec


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
        # repeated from the template so the Workflow object itself passes policy checks
        # (e.g. checkov CKV_ARGO_1/2) before the template is merged in
        service_account_name=names.service_account,
        security_context=pods.pod_security_context(options),
    )
