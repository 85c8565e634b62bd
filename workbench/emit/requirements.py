"""Emit steps/NAME/requirements.txt: the distributions the steps and helpers import (plus what
the workbench modules they use need at run time), pinned to this environment's versions; and
steps/NAME/notebook-requirements.txt: what `workbench run` needs to execute the notebook itself
in the same image (the notebook WorkflowTemplates), kept apart so the steps' lock digest, and so
their cache keys, do not depend on it."""

from __future__ import annotations

from workbench.emit.context import EmitContext
from workbench.spec.model import PipelineSpec

NOTEBOOK_REQUIREMENTS = "notebook-requirements.txt"


def render_requirements(spec: PipelineSpec, ctx: EmitContext) -> str:
    lines = [
        ctx.header().rstrip("\n"),
        f"# Python {spec.python}; workbench itself is installed from the build context.",
    ]
    lines += [f"{dist}=={version}" for dist, version in sorted(spec.packages.items())]
    return "\n".join(lines) + "\n"


def render_notebook_requirements(spec: PipelineSpec, ctx: EmitContext) -> str:
    if not ctx.notebook_packages:
        raise ValueError(
            "EmitContext.notebook_packages is empty: pass "
            "workbench.compiler.environment.notebook_runtime_packages()"
        )
    lines = [
        ctx.header().rstrip("\n"),
        f"# `workbench run {spec.notebook}` in the image: papermill, a kernel and what workbench",
        "# imports to run it; installed after (and constrained by) requirements.txt.",
    ]
    lines += [f"{dist}=={version}" for dist, version in sorted(ctx.notebook_packages)]
    return "\n".join(lines) + "\n"


def emit_requirements(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    base = f"steps/{spec.name}"
    return {
        f"{base}/requirements.txt": render_requirements(spec, ctx),
        f"{base}/{NOTEBOOK_REQUIREMENTS}": render_notebook_requirements(spec, ctx),
    }
