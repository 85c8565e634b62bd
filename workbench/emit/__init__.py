"""Emitters: a name, the folders it owns, and a pure render `(spec, ctx) -> {path: text}`.

`EMITTERS` is the registry `productionize` runs, in order; a new emitter is one module plus one
`Emitter(...)` line here. Deployment targets (`target=True`, today Argo under manifests/NAME/)
are the ones `productionize --target` chooses among; the others (steps, requirements, Dockerfile,
tests) always run. `build_files` completes the spec's digests first, because pipeline.json and
the Argo memoization keys carry them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError
from workbench.core.lazy import resolve
from workbench.emit.context import EmitContext
from workbench.emit.pyformat import format_python
from workbench.emit.python import render_helpers, render_step
from workbench.emit.requirements import render_requirements
from workbench.spec.digest import lock_digest, step_code_digest
from workbench.spec.model import PipelineSpec

if TYPE_CHECKING:
    from workbench.emit.gitops.project import PlatformSpec

Render = Callable[[PipelineSpec, EmitContext], dict[str, str]]


def _lazy(target: str) -> Callable[..., dict[str, str]]:
    """The function `module:name`, imported when first called. The registry names every emitter
    without importing it: the Argo and serving manifests import hera (~0.5 s), which the
    checks of steps/ alone (`pipeline run`'s staleness line, the JupyterLab extension's badge)
    never need."""

    def render(*args: Any) -> dict[str, str]:
        found: Callable[..., dict[str, str]] = resolve(target)
        return found(*args)

    render.__qualname__ = render.__name__ = target.partition(":")[2]
    return render


@dataclass(frozen=True)
class Emitter:
    name: str
    render: Render
    folders: Callable[[str], tuple[str, ...]]  # pipeline name -> the folders it owns
    target: bool = False  # a deployment target, chosen with `productionize --target`


def _steps(name: str) -> tuple[str, ...]:
    return (f"steps/{name}",)


def _manifests(name: str) -> tuple[str, ...]:
    return (f"manifests/{name}",)


EMITTERS: list[Emitter] = [
    Emitter("python", _lazy("workbench.emit.python:emit_python"), _steps),
    Emitter("requirements", _lazy("workbench.emit.requirements:emit_requirements"), _steps),
    Emitter("docker", _lazy("workbench.emit.docker:emit_docker"), _steps),
    Emitter("tests", _lazy("workbench.emit.testgen:emit_tests"), lambda n: (f"tests/steps/{n}",)),
    Emitter("argo", _lazy("workbench.emit.argo.emit:emit_argo"), _manifests, target=True),
    # the serving image recipe (steps/NAME/) and manifests (manifests/NAME/base|overlays/.../serving)
    Emitter("serving-image", _lazy("workbench.emit.serving.docker:emit_serving_image"), _steps),
    Emitter("serving", _lazy("workbench.emit.serving.emit:emit_serving"), _manifests),
]
TARGETS = tuple(e.name for e in EMITTERS if e.target)

# `workbench gitops init`: the project's delivery platform under manifests/platform/
PlatformEmitter = Callable[["PlatformSpec"], dict[str, str]]

PLATFORM_EMITTERS: list[PlatformEmitter] = [
    _lazy("workbench.emit.gitops.emit:emit_events"),
    _lazy("workbench.emit.gitops.emit:emit_ci"),
    _lazy("workbench.emit.gitops.emit:emit_argocd"),
    _lazy("workbench.emit.gitops.emit:emit_infrastructure"),
]

__all__ = [
    "EMITTERS",
    "PLATFORM_EMITTERS",
    "TARGETS",
    "EmitContext",
    "Emitter",
    "PlatformEmitter",
    "build_files",
    "with_digests",
]


def owned_folders(name: str) -> tuple[str, ...]:
    """Every folder an emitter of pipeline `name` owns, in registry order."""
    return tuple(dict.fromkeys(f for e in EMITTERS for f in e.folders(name)))


def steps_emitters(name: str) -> list[Emitter]:
    """The emitters that write only under steps/NAME/ (what the local runner reads)."""
    return [e for e in EMITTERS if all(f.startswith("steps/") for f in e.folders(name))]


def selected(targets: Sequence[str] | None) -> list[Emitter]:
    """The always-run emitters plus the chosen targets (None: every target)."""
    unknown = sorted(set(targets or ()) - set(TARGETS))
    if unknown:
        raise WorkbenchError(f"--target {unknown[0]}: not an emitter (have: {', '.join(TARGETS)})")
    return [e for e in EMITTERS if not e.target or targets is None or e.name in targets]


def with_digests(spec: PipelineSpec, ctx: EmitContext) -> PipelineSpec:
    """The spec with each step's code digest and the lock digest, from the rendered files (the
    same texts the runner later hashes from disk with the same functions: formatted, as
    build_files writes them)."""
    base = f"steps/{spec.name}"
    helpers = (
        format_python(render_helpers(spec, ctx), f"{base}/_helpers.py")
        if spec.helpers_module
        else ""
    )
    steps = tuple(
        replace(
            step,
            code_digest=step_code_digest(
                format_python(render_step(spec, step, ctx), f"{base}/{step.name}.py"),
                helpers,
                step.helpers,
            ),
        )
        for step in spec.steps
    )
    return replace(spec, steps=steps, lock_digest=lock_digest(render_requirements(spec, ctx)))


def build_files(
    spec: PipelineSpec, ctx: EmitContext, emitters: list[Emitter] | None = None
) -> tuple[PipelineSpec, dict[str, str]]:
    """(the completed spec, every generated file). Two emitters claiming one path is a bug.
    Every Python file is checked to compile, then formatted by ruff (workbench.emit.pyformat)."""
    spec = with_digests(spec, ctx)
    files: dict[str, str] = {}
    for emitter in EMITTERS if emitters is None else emitters:
        for path, text in emitter.render(spec, ctx).items():
            if path in files and files[path] != text:
                raise RuntimeError(f"two emitters generate {path}")
            files[path] = text
    for path, text in files.items():
        if path.endswith(".py"):
            _compiles(path, text)
            files[path] = format_python(text, path)
    return spec, dict(sorted(files.items()))


def build_platform(spec: PlatformSpec) -> dict[str, str]:
    """Every file under manifests/platform/. Two emitters claiming one path is a bug."""
    files: dict[str, str] = {}
    for emitter in PLATFORM_EMITTERS:
        for path, text in emitter(spec).items():
            if path in files:
                raise RuntimeError(f"two platform emitters generate {path}")
            files[path] = text
    return dict(sorted(files.items()))


def _compiles(path: str, text: str) -> None:
    """Every generated module must compile: a failure here is a compiler bug, reported before
    anything is written rather than when a step starts in a container."""
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise WorkbenchError(
            f"{path}: generated code does not compile ({exc.msg}, line {exc.lineno}); "
            "please report this with the notebook"
        ) from exc
