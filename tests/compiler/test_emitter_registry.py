"""The emitter registry: names, owned folders, render; `--target` picks deployment targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.emit import EMITTERS, TARGETS, owned_folders, selected


def test_registry_names_folders_and_targets() -> None:
    assert [e.name for e in EMITTERS] == [
        "python",
        "requirements",
        "docker",
        "tests",
        "argo",
        "serving-image",
        "serving",
    ]
    assert TARGETS == ("argo",)
    assert owned_folders("p") == ("steps/p", "tests/steps/p", "manifests/p")
    assert [e.name for e in selected(None)] == [e.name for e in EMITTERS]
    assert "argo" not in [e.name for e in selected(())]  # no target: steps, tests, image only
    with pytest.raises(WorkbenchError, match="--target helm: not an emitter"):
        selected(("helm",))


def test_every_emitter_writes_only_inside_its_folders() -> None:
    from workbench.compiler.environment import notebook_runtime_packages
    from workbench.emit import EmitContext, with_digests
    from workbench.spec.model import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "steps/train/pipeline.json")
    ctx = EmitContext(spec.notebook, spec.name, tuple(notebook_runtime_packages().items()))
    spec = with_digests(spec, ctx)
    for emitter in EMITTERS:
        files = emitter.render(spec, ctx)
        folders = emitter.folders(spec.name)
        # steps/__init__.py is the one file pipelines share (the package marker), written whole
        outside = [
            p
            for p in files
            if p != "steps/__init__.py" and not any(p.startswith(f + "/") for f in folders)
        ]
        assert files and not outside, (emitter.name, outside)
