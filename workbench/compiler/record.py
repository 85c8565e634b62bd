"""`productionize --record`: run the notebook once with papermill and save, around each step's
cells, the values the step reads and produces as test fixtures.

The notebook runs from a temp copy with extra cells injected (before a step's first cell: save
its inputs; after its last cell: save its outputs), with the notebook's folder as working
directory, as `workbench run` and JupyterLab run it. Values are written with
workbench.runtime.write_value under fixtures/STEP/{inputs,outputs}/NAME, plus fixtures/STEP/
meta.json. Each value goes through the artifact codec registry (`workbench.runtime.codecs`), so
it is stored in a format that gives it back exactly; objects of classes defined in the notebook
are pickled by value (cloudpickle). Outputs longer than MAX_ROWS rows are kept as every n-th row (the stride is in
meta.json and the generated test compares the same rows); inputs are kept whole, because the
step must be re-run on exactly what the notebook gave it.

Data files are recorded too: when a parameter a step uses names an existing local file (the
runner's rule, `workbench.core.datafiles`), the whole file is copied to
fixtures/STEP/files/PARAM<suffixes> and meta.json maps the parameter to that copy ("files").
The generated test hands the step the copy instead of the default path, so the tests pass on a
clean clone, where the (gitignored) data folder does not exist. Object-storage URIs are not
copied: the test reads them as the step would.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from workbench.core.datafiles import local_data_file
from workbench.core.errors import WorkbenchError
from workbench.spec.model import PipelineSpec

MAX_ROWS = 2000
MARKER = "__workbench_cloudpickle__"

PRELUDE = """# workbench --record: fixture writer (injected, not part of the notebook)
def __wb_save(step, kind, values, names=None):
    import json as _json, math as _math, pathlib as _pathlib
    from workbench.runtime import write_value as _write
    base = _pathlib.Path({folder!r}) / step
    strides = {{}}
    for name, value in values.items():
        # rows from the shape, not len(): a sparse matrix's len() and a 0-d array's raise
        shape = getattr(value, "shape", None) if kind == "outputs" else None
        rows = shape[0] if isinstance(shape, tuple) and shape else 0
        if hasattr(value, "__len__") and isinstance(rows, int) and rows > {max_rows}:
            stride = _math.ceil(rows / ({max_rows} // 2))
            try:
                value = value.iloc[::stride] if hasattr(value, "iloc") else value[::stride]
                strides[name] = stride
            except Exception:  # not sliceable by rows (a coo matrix): recorded whole
                pass
        _write(value, str(base / kind / name))
    meta_path = base / "meta.json"
    meta = _json.loads(meta_path.read_text()) if meta_path.exists() else {{}}
    meta[kind] = sorted(values)
    if kind == "outputs":
        meta["strides"] = dict(sorted(strides.items()))
    base.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(_json.dumps(meta, indent=2, sort_keys=True) + "\\n")
"""


def _save_cell(step: str, kind: str, names: tuple[str, ...]) -> str:
    values = ", ".join(f'"{n}": {n}' for n in names)
    return f'__wb_save("{step}", "{kind}", {{{values}}})\n'


TRACER = (
    "# workbench --verify: tracer (injected, not part of the notebook)\n"
    "from workbench.verify.probe import Tracer as _WbTracer\n"
    "__wb_tracer = _WbTracer({folder!r})\n"
    "del _WbTracer\n"
)


def _tracer_cell(call: str) -> object:
    import nbformat

    return nbformat.v4.new_code_cell(f"__wb_tracer.{call}\n")


def instrument(
    nb: object,
    spec: PipelineSpec,
    folder: Path,
    final: Path | None = None,
    trace: Path | None = None,
) -> object:
    """A copy of the notebook node with the fixture-saving cells injected; with `trace`, also
    the cells of workbench.verify.probe's tracer (after every code cell, at step boundaries)."""
    import copy

    import nbformat

    node = copy.deepcopy(nb)
    cells = node.cells  # type: ignore[attr-defined]
    first = {s.cells[0].index: s for s in spec.steps}
    last = {s.cells[-1].index: s for s in spec.steps}
    out = [
        nbformat.v4.new_code_cell(
            PRELUDE.format(folder=str(folder), max_rows=MAX_ROWS, marker=MARKER)
        )
    ]
    if trace is not None:
        out.append(nbformat.v4.new_code_cell(TRACER.format(folder=str(trace))))
    for index, cell in enumerate(cells):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue  # a previous run's overrides: record with the notebook's own defaults
        if index in first and trace is not None:
            step = first[index]
            out.append(_tracer_cell(f"enter(globals(), {step.name!r}, {list(step.inputs)!r})"))
        if index in first:
            out.append(
                nbformat.v4.new_code_cell(
                    _save_cell(first[index].name, "inputs", first[index].inputs)
                )
            )
        out.append(cell)
        if trace is not None and cell.get("cell_type") == "code":
            out.append(_tracer_cell(f"after_cell(globals(), {index})"))
        if index in last and trace is not None:
            step = last[index]
            out.append(_tracer_cell(f"exit(globals(), {step.name!r}, {list(step.outputs)!r})"))
        if index in last:
            out.append(
                nbformat.v4.new_code_cell(
                    _save_cell(last[index].name, "outputs", last[index].outputs)
                )
            )
    if final is not None:
        names = sorted({n for s in spec.steps for n in s.outputs})
        writer = PRELUDE.format(folder=str(final), max_rows=10**12, marker=MARKER)
        out.append(nbformat.v4.new_code_cell(writer + _save_cell("final", "outputs", tuple(names))))
    if trace is not None:
        out.append(_tracer_cell("dump()"))
    for number, cell in enumerate(out):
        cell["id"] = f"wb-{number}"
    node.cells = out  # type: ignore[attr-defined]
    return node


def copy_data_files(root: Path, spec: PipelineSpec, fixtures: Path) -> dict[str, dict[str, str]]:
    """Copy each local data file a step's parameter names (with its default value) into
    fixtures/STEP/files/; returns step -> {parameter: path relative to fixtures/STEP}."""
    defaults = {p.name: p.text for p in spec.parameters}
    copied: dict[str, dict[str, str]] = {}
    for step in spec.steps:
        files: dict[str, str] = {}
        for param in sorted(step.params):
            source = local_data_file(root, defaults.get(param, ""))
            if source is None:
                continue
            rel = f"files/{param}{''.join(source.suffixes)}"  # keep .csv.gz: formats by suffix
            target = fixtures / step.name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            files[param] = rel
        copied[step.name] = files
    return copied


def record_notebook(
    notebook: Path,
    spec: PipelineSpec,
    fixtures: Path,
    *,
    final: Path | None = None,
    root: Path | None = None,
    trace: Path | None = None,
) -> None:
    """Execute `notebook` once and write the fixtures of every step under `fixtures`.

    `root` is the project root that relative data paths are resolved against (default: the
    project holding the notebook), as the runner resolves them.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from workbench.core.settings import find_project_root

    root = root or find_project_root(notebook.resolve().parent)
    nb = nbformat.read(notebook, as_version=4)
    # copied before the run: the files as the notebook reads them, not as a step may rewrite them
    files = copy_data_files(root, spec, fixtures)
    with tempfile.TemporaryDirectory(prefix="wb-record-") as temp:
        source = Path(temp) / notebook.name
        nbformat.write(instrument(nb, spec, fixtures, final, trace), source)
        try:
            papermill.execute_notebook(
                str(source),
                str(Path(temp) / "executed.ipynb"),
                cwd=str(notebook.resolve().parent),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                # the executed copy is thrown away (values come from the trace): papermill's
                # save after every cell start and end (validated and written whole, twice per
                # cell with the probes) was most of a 20-step notebook's --verify time
                request_save_on_cell_execute=False,
            )
        except PapermillExecutionError as exc:
            raise WorkbenchError(
                f"{spec.notebook}: --record: the notebook failed at run time "
                f"({exc.ename}: {exc.evalue}); fix it so it runs top to bottom"
            ) from exc
    for step in spec.steps:  # steps with no inputs and no outputs still get a meta.json
        path = fixtures / step.name / "meta.json"
        meta = json.loads(path.read_text()) if path.exists() else {}
        meta.setdefault("inputs", [])
        meta.setdefault("outputs", [])
        meta.setdefault("strides", {})
        meta["files"] = dict(sorted(files[step.name].items()))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def read_fixture(uri: str) -> object:
    """A recorded value (fixtures of earlier versions wrapped notebook-defined objects in a
    MARKER dict; they are unwrapped)."""
    from workbench.runtime import read_value

    value = read_value(uri)
    if isinstance(value, dict) and set(value) == {MARKER}:
        import cloudpickle

        return cloudpickle.loads(value[MARKER])
    return value
