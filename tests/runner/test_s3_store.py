"""The same pipeline with the artifact store on an S3-compatible server (moto, as MinIO would be)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import S3Server
from tests.runner.conftest import ran
from workbench.core.settings import settings
from workbench.runner import RunOptions, run_pipeline
from workbench.runner.housekeeping import clear_cache, list_cache
from workbench.runner.store import ENTRY_FILE, ArtifactStore
from workbench.runtime import read_value
from workbench.spec.model import PipelineSpec


@pytest.mark.integration
@pytest.mark.slow
def test_pipeline_with_artifact_store_on_s3(
    demo: PipelineSpec, project: Path, s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_env.make_bucket("wb-runner")
    monkeypatch.setenv("WORKBENCH_ARTIFACT_STORE", "s3://wb-runner/store")
    first = run_pipeline("demo", RunOptions(lineage="off"))
    assert first.ok and len(ran(project)) == 5
    assert not (project / ".workbench" / "artifacts").exists()

    store = ArtifactStore(settings().artifact_store)
    key = first.steps["report"].key
    # the documented layout: <store>/<pipeline>/<step>/<key>/<output>/ and the record
    names = set(store.fs.ls(f"wb-runner/store/demo/report/{key}"))
    assert names == {
        f"wb-runner/store/demo/report/{key}/summary",
        f"wb-runner/store/demo/report/{key}/{ENTRY_FILE}",
    }
    assert read_value(store.output_uri("demo", "report", key, "summary")) == {
        "total": 5.0,
        "above": 3,
    }

    second = run_pipeline("demo", RunOptions(overrides=("threshold=1",), lineage="off"))
    assert second.executed == ["report"] and ran(project) == ["report"]
    assert {r.entry.step for r in list_cache(store, "demo")} == {
        "load",
        "clean",
        "stats",
        "scaled",
        "report",
    }

    # a record whose output changed underneath is not trusted on S3 either
    store.fs.pipe_file(
        f"wb-runner/store/demo/stats/{first.steps['stats'].key}/total/meta.json",
        b'{"format": "json", "sha256": "' + b"0" * 64 + b'", "type": "float"}',
    )
    assert run_pipeline("demo", RunOptions(lineage="off")).executed == ["stats"]
    assert len(clear_cache(store, pipeline="demo")) == 6
    assert list_cache(store, "demo") == []
