"""Emit steps/NAME/requirements.txt: the distributions the steps and helpers import (plus what
the workbench modules they use need at run time), pinned to this environment's versions."""

from __future__ import annotations

from workbench.emit.context import EmitContext
from workbench.spec.model import PipelineSpec


def render_requirements(spec: PipelineSpec, ctx: EmitContext) -> str:
    lines = [
        ctx.header().rstrip("\n"),
        f"# Python {spec.python}; workbench itself is installed from the build context.",
    ]
    lines += [f"{dist}=={version}" for dist, version in sorted(spec.packages.items())]
    return "\n".join(lines) + "\n"


def emit_requirements(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    return {f"steps/{spec.name}/requirements.txt": render_requirements(spec, ctx)}
