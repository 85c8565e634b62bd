"""Follow a workflow through the Argo Server API: step status as it changes, the failure explained.

Reads the workflow's `status.nodes` (Argo's NodeStatus: `type`, `displayName`, `templateName`,
`phase`, `message`, `outputs.exitCode`) and, for a failed step, the tail of its pod's `main`
container log. Pod names follow Argo's v2 scheme (`<workflow>-<template>-<node id suffix>`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core import clock
from workbench.deploy import argo_client
from workbench.deploy.argo_client import ArgoServer

DONE = {"Succeeded", "Failed", "Error"}
FAILED = {"Failed", "Error"}
TAIL_LINES = 20
Echo = Callable[[str], None]


def pod_nodes(workflow: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    pods = [n for n in nodes.values() if n.get("type") == "Pod"]
    return sorted(pods, key=lambda n: (str(n.get("startedAt") or "~"), str(n.get("displayName"))))


def pod_name(workflow: str, node: Mapping[str, Any]) -> str:
    node_id = str(node.get("id", ""))
    suffix = node_id[len(workflow) + 1 :] if node_id.startswith(f"{workflow}-") else node_id
    return f"{workflow}-{node.get('templateName', '')}-{suffix}"


def exit_code(node: Mapping[str, Any]) -> str:
    return str((node.get("outputs") or {}).get("exitCode") or "?")


def describe(node: Mapping[str, Any]) -> str:
    text = f"{node.get('displayName', node.get('name'))}: {node.get('phase', 'Pending')}"
    if node.get("phase") in FAILED:
        text += f" (exit code {exit_code(node)}"
        text += f": {node['message']})" if node.get("message") else ")"
    return text


def status_lines(workflow: Mapping[str, Any]) -> list[str]:
    name = workflow.get("metadata", {}).get("name", "?")
    phase = (workflow.get("status") or {}).get("phase") or "Pending"
    return [f"workflow {name}: {phase}", *(f"  {describe(n)}" for n in pod_nodes(workflow))]


def report_failure(
    workflow: Mapping[str, Any], *, namespace: str, server: ArgoServer, echo: Echo
) -> None:
    name = workflow["metadata"]["name"]
    for node in pod_nodes(workflow):
        if node.get("phase") not in FAILED:
            continue
        echo(f"step {node.get('displayName')} failed with exit code {exit_code(node)}")
        log = argo_client.pod_log(
            name, pod_name(name, node), namespace=namespace, server=server, tail=TAIL_LINES
        )
        lines = log.splitlines()[-TAIL_LINES:]
        echo(f"last {len(lines)} log lines of {pod_name(name, node)}:")
        for line in lines:
            echo(f"  | {line}")


def follow(
    name: str,
    *,
    namespace: str,
    server: ArgoServer,
    echo: Echo,
    poll_seconds: float = 3.0,
    timeout_seconds: float | None = None,
) -> int:
    """Print each step's phase as it changes until the workflow ends; 0 if it succeeded."""
    seen: dict[str, str] = {}
    started = clock.monotonic()
    while True:
        workflow = argo_client.get_workflow(name, namespace=namespace, server=server)
        for node in pod_nodes(workflow):
            key, phase = str(node.get("id")), str(node.get("phase"))
            if seen.get(key) != phase:
                seen[key] = phase
                echo(describe(node))
        phase = str((workflow.get("status") or {}).get("phase") or "Pending")
        if phase in DONE:
            echo(f"workflow {name}: {phase}")
            if phase in FAILED:
                report_failure(workflow, namespace=namespace, server=server, echo=echo)
                return 1
            return 0
        if timeout_seconds is not None and clock.monotonic() - started > timeout_seconds:
            echo(f"workflow {name}: still {phase} after {timeout_seconds:.0f}s")
            return 2
        time.sleep(poll_seconds)
