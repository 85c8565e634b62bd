"""Fixtures of the Argo tests: the tiny spec and its rendered manifests in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from argo_helpers import tiny_spec, write_files

from workbench.emit.argo import ArgoOptions, render_manifests
from workbench.spec.model import PipelineSpec


@pytest.fixture
def spec() -> PipelineSpec:
    return tiny_spec()


@pytest.fixture
def manifests(tmp_path: Path, spec: PipelineSpec) -> Path:
    """`<tmp>/manifests/tiny/` as emitted for the tiny spec."""
    root = tmp_path / "manifests" / spec.name
    write_files(root, render_manifests(spec, ArgoOptions(notebook=spec.notebook)))
    return root
