"""A model of how an Argo Events Sensor treats one event, for the subset the platform emitter
generates, so the tests run the Sensor's own YAML against recorded GitHub deliveries.

Modelled on argo-events pkg/sensors/dependencies/filter.go (filterData) and the trigger
parameter resolution: gjson paths of plain keys and array indices; `string` filters are Go
regular expressions matched unanchored against the value's gjson String() (raw JSON for
objects and arrays); `bool` filters compare with strconv.ParseBool; all data filters must pass
(dataLogicalOperator and); a trigger's `conditions` is one dependency name; parameters are
`src.dependencyName` + `src.dataKey` into `dest` `spec.arguments.parameters.N.value`.
Anything else (comparators, templates, exprs, scripts, context or time filters, wildcards in
paths, condition expressions, other parameter sources) is refused by name.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_PATH_REFUSED = re.compile(r"[*?#@|\\!]")
_DEST = re.compile(r"^spec\.arguments\.parameters\.(\d+)\.value$")


class Unsupported(Exception):
    """The Sensor uses a feature this model does not evaluate."""


def _refuse_keys(where: str, obj: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise Unsupported(f"{where}: {', '.join(extra)} not modelled")


def gjson_get(data: Any, path: str) -> Any:
    if _PATH_REFUSED.search(path):
        raise Unsupported(f"path {path!r}: wildcards, queries and modifiers not modelled")
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def gjson_string(value: Any) -> str:
    """gjson Result.String(): strings as they are, numbers and JSON literals as raw text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def _parse_bool(text: str) -> bool:
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise Unsupported(f"bool filter value {text!r} is not a Go bool")


def _data_filter(f: dict[str, Any], data: Any) -> bool:
    _refuse_keys("data filter", f, {"path", "type", "value"})
    value = gjson_get(data, f["path"])
    if value is _MISSING or not f.get("value"):
        return False  # Argo: "path does not exist" / "no values specified" -> an error, no match
    if f["type"] == "string":
        return any(re.search(v, gjson_string(value)) for v in f["value"])
    if f["type"] == "bool":
        return any(_parse_bool(v) == (value is True) for v in f["value"])
    raise Unsupported(f"data filter type {f['type']!r} not modelled")


def dependency_passes(dependency: dict[str, Any], data: Any) -> bool:
    _refuse_keys("dependency", dependency, {"name", "eventSourceName", "eventName", "filters"})
    filters = dependency.get("filters") or {}
    _refuse_keys(f"dependency {dependency['name']} filters", filters, {"data"})
    return all(_data_filter(f, data) for f in filters.get("data", []))


@dataclass(frozen=True)
class Fired:
    trigger: str
    workflow: dict[str, Any]  # the submitted Workflow with its parameters filled

    def arguments(self) -> dict[str, str]:
        return {p["name"]: p["value"] for p in self.workflow["spec"]["arguments"]["parameters"]}


def _fill(trigger: dict[str, Any], dependency: str, data: Any) -> dict[str, Any]:
    template = trigger["template"]
    flow = template["argoWorkflow"]
    _refuse_keys("argoWorkflow", flow, {"operation", "source", "parameters"})
    if flow["operation"] != "submit":
        raise Unsupported(f"operation {flow['operation']!r} not modelled")
    workflow = copy.deepcopy(flow["source"]["resource"])
    for param in flow.get("parameters", []):
        _refuse_keys("trigger parameter", param, {"src", "dest"})
        src = param["src"]
        _refuse_keys("trigger parameter src", src, {"dependencyName", "dataKey"})
        if src["dependencyName"] != dependency:
            raise Unsupported(f"parameter from {src['dependencyName']!r} in a {dependency} trigger")
        match = _DEST.match(param["dest"])
        if match is None:
            raise Unsupported(f"dest {param['dest']!r} not modelled")
        value = gjson_get(data, src["dataKey"])
        if value is _MISSING:  # Argo fails the trigger rather than submit half a workflow
            raise LookupError(f"{src['dataKey']} missing from the {dependency} event")
        params = workflow["spec"]["arguments"]["parameters"]
        params[int(match.group(1))]["value"] = gjson_string(value)
    return dict(workflow)


def fire(sensor: dict[str, Any], event_source: str, event_name: str, data: Any) -> list[Fired]:
    """Which triggers one event fires, with the Workflows they would submit."""
    spec = sensor["spec"]
    _refuse_keys("sensor spec", spec, {"eventBusName", "template", "dependencies", "triggers"})
    passed = {
        d["name"]
        for d in spec["dependencies"]
        if d["eventSourceName"] == event_source
        and d["eventName"] == event_name
        and dependency_passes(d, data)
    }
    fired = []
    for trigger in spec["triggers"]:
        _refuse_keys("trigger", trigger, {"template", "retryStrategy"})
        template = trigger["template"]
        _refuse_keys("trigger template", template, {"name", "conditions", "argoWorkflow"})
        condition = template.get("conditions")
        if condition is None or not re.fullmatch(r"[A-Za-z0-9_-]+", condition):
            raise Unsupported(f"trigger {template['name']}: conditions {condition!r} not modelled")
        if condition in passed:
            fired.append(Fired(template["name"], _fill(trigger, condition, data)))
    return fired
