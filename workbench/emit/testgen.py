"""Emit tests/steps/NAME/: one test per step that calls the step function on the inputs
recorded from a notebook run (`workbench productionize --record`) and compares its outputs with
the recorded ones (`workbench.runtime.testing`: exact types, float tolerances, fitted models by
their predictions on the recorded inputs). Data files the step's parameters name are the copies --record put beside the
fixtures (meta.json "files"), copied again into the test's tmp_path, so the tests need no data
folder and a step writing to such a path cannot change the committed fixtures. The conftest
gives every test throw-away MLflow, model, artifact and cache stores, so steps that log runs or
register models never touch the project's (nor leave models/ or mlartifacts/ in it)."""

from __future__ import annotations

import re

from workbench.emit.context import EmitContext
from workbench.spec.model import PipelineSpec, StepSpec

CONFTEST = '''"""Fixtures of the generated step tests. The logic (recorded values, temp stores, the
comparison with the notebook's values) is workbench.runtime.testing, shared by every pipeline."""

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.runtime.testing import Recorded, assert_matches, isolate_stores

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # steps.* import from the project root, as the runner runs them
    sys.path.insert(0, str(ROOT))
RECORDED = Recorded(Path(__file__).resolve().parent / "fixtures", command="{COMMAND}")
load_recorded = RECORDED.load
recorded_files = RECORDED.files
sampled = RECORDED.sampled

__all__ = ["assert_matches", "load_recorded", "recorded_files", "sampled"]


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker these tests use, so a project that does not list it in its own
    pytest settings runs them without a warning (or an error under --strict-markers)."""
    config.addinivalue_line("markers", "slow: generated step tests that log to MLflow or chain")


@pytest.fixture(autouse=True)
def isolated_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """MLflow, model, artifact and cache stores in tmp_path; cwd is the notebook's folder, where
    the steps run, as the notebook did (steps/{PIPELINE}/__init__.py)."""
    workdir = importlib.import_module("steps.{PIPELINE}").NOTEBOOK_DIR
    yield from isolate_stores(tmp_path, monkeypatch, workdir)
'''


TRACKING_MODULES = ("mlflow", "workbench.tracking", "workbench import tracking")
# outputs of MLflow-logging steps with these names are ids the store hands out afresh
VOLATILE = re.compile(r"(^|_)(id|ids|version|versions|uri|run|run_id)$")


def uses_tracking(step: StepSpec) -> bool:
    texts = [*step.imports, *(c.source for c in step.cells)]
    return any(module in text for text in texts for module in TRACKING_MODULES)


def _chain(spec: PipelineSpec, step: StepSpec, tracking: set[str]) -> list[StepSpec]:
    """The MLflow-logging steps whose outputs `step` needs, transitively, in pipeline order."""
    needed: set[str] = set()

    def visit(current: StepSpec) -> None:
        for source in current.input_sources.values():
            if source in tracking and source not in needed:
                needed.add(source)
                visit(spec.step(source))

    visit(step)
    return [s for s in spec.steps if s.name in needed]


def _tuple(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return f"({quoted[0]},)" if len(quoted) == 1 else f"({', '.join(quoted)})"


def _call(step: StepSpec, inputs: str, params: str = "") -> str:
    args = [f'{inputs}["{n}"]' for n in step.inputs] + ([f"**{params}"] if params else [])
    return f"{step.name}({', '.join(args)})"


def render_test(spec: PipelineSpec, step: StepSpec, ctx: EmitContext) -> str:
    tracking = {s.name for s in spec.steps if uses_tracking(s)}
    chain = _chain(spec, step, tracking)
    imports = [f"from {s.module} import {s.name}" for s in [*chain, step]]
    volatile = sorted(n for n in step.outputs if step.name in tracking and VOLATILE.search(n))
    body = [f'    inputs = load_recorded("{step.name}", "inputs")']
    if chain:
        body.append(
            "    # MLflow ids (runs, model versions) exist only in the store that made them: the "
            "steps\n    # that made them run again here, in this test's store, and hand over "
            "fresh ones"
        )
    fresh: set[str] = set()
    for link in chain:
        body.append(f'    {link.name}_inputs = load_recorded("{link.name}", "inputs")')
        for name, source in sorted(link.input_sources.items()):
            if source in fresh:
                body.append(f'    {link.name}_inputs["{name}"] = {source}_out.{name}')
        params = ""
        if link.params:
            params = f"{link.name}_params"
            body.append(f'    {params} = recorded_files("{link.name}", tmp_path)')
        body.append(f"    {link.name}_out = {_call(link, f'{link.name}_inputs', params)}")
        fresh.add(link.name)
    for name, source in sorted(step.input_sources.items()):
        if source in fresh:
            body.append(f'    inputs["{name}"] = {source}_out.{name}')
    body.append(f'    expected = load_recorded("{step.name}", "outputs")')
    if step.params:
        body.append(
            "    # parameters keep their defaults, the values the notebook was recorded with, except\n"
            "    # data files: the step reads the copies recorded beside the fixtures"
        )
        body.append(f'    params = recorded_files("{step.name}", tmp_path)')
    body.append(f"    result = {_call(step, 'inputs', 'params' if step.params else '')}")
    uses_tmp = any(s.params for s in [*chain, step])
    outputs = ", ".join(f'"{n}"' for n in step.outputs)
    stdlib = "from pathlib import Path\n\n" if uses_tmp else ""
    mark = "import pytest\n\n" if step.name in tracking else ""
    marker = (
        "pytestmark = pytest.mark.slow  # logs to MLflow\n\n\n" if step.name in tracking else ""
    )
    helpers = [
        "assert_matches",
        "load_recorded",
        *(["recorded_files"] if uses_tmp else []),
        "sampled",
    ]
    return (
        ctx.header()
        + f'"""Step `{step.name}` of pipeline `{spec.name}` on the values recorded from the notebook."""\n'
        "\n" + stdlib + mark + "\n".join(sorted(imports)) + "\n\n"
        f"from .conftest import {', '.join(helpers)}\n"
        "\n"
        + ("\n" + marker if marker else "\n")
        + f"def test_{step.name}({'tmp_path: Path' if uses_tmp else ''}) -> None:\n"
        + "\n".join(body)
        + "\n"
        f"    assert sorted(expected) == [{outputs}]\n"
        f'    strides = sampled("{step.name}")\n'
        f"    volatile = {_tuple(volatile)}  # ids the store hands out afresh: compared by type\n"
        "    for name, value in expected.items():\n"
        "        if name in volatile:\n"
        "            assert type(getattr(result, name)) is type(value), name\n"
        "            continue\n"
        "        probes = {**inputs, **expected}\n"
        "        assert_matches(name, getattr(result, name), value, probes, strides.get(name, 1))\n"
    )


def render_chain_test(spec: PipelineSpec, ctx: EmitContext) -> str:
    """One test running the whole pipeline from its first step through the local runner (each
    step's real command, on the outputs of the generated upstream steps, no cache, the conftest's
    throw-away stores) and comparing every step's outputs with the values recorded from the
    notebook at that boundary. The per-step tests feed recorded inputs and cannot see steps
    drifting apart, nor state one step sets in its process for the next; this one can."""
    tracking = {s.name for s in spec.steps if uses_tracking(s)}
    volatile = sorted(
        f"{s.name}.{n}"
        for s in spec.steps
        if s.name in tracking
        for n in s.outputs
        if VOLATILE.search(n)
    )
    order = _tuple([s.name for s in spec.steps])
    return (
        ctx.header()
        + f'"""Pipeline `{spec.name}` run from its first step, compared with the notebook."""\n'
        "\nfrom pathlib import Path\n\nimport pytest\n\n"
        "from .conftest import assert_matches, load_recorded, recorded_files, sampled\n\n"
        "pytestmark = pytest.mark.slow  # runs every step's command\n\n"
        f"STEPS = {order}\n"
        f"VOLATILE = {_tuple(volatile) if volatile else '()'}  # ids the store hands out afresh\n"
        "\n\n"
        "def test_chain(tmp_path: Path) -> None:\n"
        "    from workbench.core.settings import settings\n"
        "    from workbench.runner import ArtifactStore, RunOptions, run_pipeline\n"
        "    from workbench.runtime import read_value\n"
        "\n"
        "    files: dict[str, str] = {}  # data-file parameters: the copies recorded with the fixtures\n"
        "    for step in STEPS:\n"
        "        files.update(recorded_files(step, tmp_path))\n"
        '    overrides = tuple(f"{name}={path}" for name, path in sorted(files.items()))\n'
        f'    result = run_pipeline("{spec.name}", RunOptions(overrides, no_cache=True, lineage="off"))\n'
        '    failed = {n: (r.status, r.error, str(r.log)) for n, r in result.steps.items() if r.status != "done"}\n'
        "    assert result.ok, failed\n"
        "    store = ArtifactStore(settings().artifact_store)\n"
        "    for step in STEPS:\n"
        '        inputs = load_recorded(step, "inputs")\n'
        '        expected = load_recorded(step, "outputs")\n'
        "        strides = sampled(step)\n"
        "        key = result.steps[step].key\n"
        "        for name, value in expected.items():\n"
        f'            actual = read_value(store.output_uri("{spec.name}", step, key, name))\n'
        '            if f"{step}.{name}" in VOLATILE:\n'
        '                assert type(actual) is type(value), f"{step}.{name}"\n'
        "                continue\n"
        "            probes = {**inputs, **expected}\n"
        '            assert_matches(f"{step}.{name}", actual, value, probes, strides.get(name, 1))\n'
    )


def emit_tests(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    base = f"tests/steps/{spec.name}"
    files = {
        f"{base}/__init__.py": ctx.header(),
        f"{base}/conftest.py": ctx.header()
        + CONFTEST.replace("{COMMAND}", ctx.command).replace("{PIPELINE}", spec.name),
    }
    for step in spec.steps:
        files[f"{base}/test_{step.name}.py"] = render_test(spec, step, ctx)
    chain = "test_chain_all.py" if any(s.name == "chain" for s in spec.steps) else "test_chain.py"
    files[f"{base}/{chain}"] = render_chain_test(spec, ctx)
    return files
