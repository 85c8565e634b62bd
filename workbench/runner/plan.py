"""Pure planning: parameter values from `-p NAME=VALUE`, and which steps may use the cache.

No I/O here: the scheduler asks these functions what to do and does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact
from workbench.spec.model import PipelineSpec
from workbench.spec.params import param_text, parse_param


@dataclass(frozen=True)
class RunOptions:
    """What `workbench pipeline run` was asked to do."""

    overrides: tuple[str, ...] = ()  # raw "NAME=VALUE" texts
    no_cache: bool = False
    from_step: str | None = None
    only_step: str | None = None
    jobs: int | None = None
    lineage: str = "background"  # "wait", "background" or "off"
    isolate: bool = False  # every step a fresh interpreter, never forked from the preloader


@dataclass(frozen=True)
class Plan:
    """The steps to consider, those that must ignore the cache, and the parameter texts."""

    steps: tuple[str, ...]
    forced: frozenset[str]
    # steps that must already be cached (the upstream of --only)
    required_cached: frozenset[str]
    param_texts: dict[str, str]
    param_values: dict[str, Any]


def parse_overrides(spec: PipelineSpec, overrides: Sequence[str]) -> dict[str, Any]:
    """`NAME=VALUE` texts parsed with each parameter's declared type."""
    values: dict[str, Any] = {}
    for item in overrides:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise WorkbenchError(f"-p {item!r}: expected NAME=VALUE")
        param = spec.parameter(name)  # unknown names: error listing the known ones
        if name in values:
            raise WorkbenchError(f"-p {name} given twice")
        try:
            values[name] = parse_param(name, text, param.type)
        except ValueError as exc:
            raise WorkbenchError(f"pipeline {spec.name}: {redact(str(exc))}") from exc
    return values


def plan_run(spec: PipelineSpec, options: RunOptions) -> Plan:
    values: dict[str, Any] = {p.name: p.default for p in spec.parameters}
    values.update(parse_overrides(spec, options.overrides))
    types = {p.name: p.type for p in spec.parameters}
    texts = {name: param_text(types[name], value) for name, value in values.items()}
    names = tuple(s.name for s in spec.steps)
    if options.from_step and options.only_step:
        raise WorkbenchError("--from and --only cannot be combined")
    if options.only_step:
        step = spec.step(options.only_step)
        return Plan(
            steps=_upstream_and(spec, step.name),
            forced=frozenset({step.name}),
            required_cached=frozenset(step.depends_on),
            param_texts=texts,
            param_values=values,
        )
    if options.from_step:
        spec.step(options.from_step)
        forced = frozenset(spec.downstream(options.from_step))
    elif options.no_cache:
        forced = frozenset(names)
    else:
        forced = frozenset()
    return Plan(names, forced, frozenset(), texts, values)


def _upstream_and(spec: PipelineSpec, name: str) -> tuple[str, ...]:
    wanted = {name, *spec.step(name).depends_on}
    return tuple(s.name for s in spec.steps if s.name in wanted)


def step_param_texts(plan: Plan, params: Sequence[str]) -> dict[str, str]:
    """Only the parameters a step uses: the others must not touch its cache key."""
    return {name: plan.param_texts[name] for name in params}
