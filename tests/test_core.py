"""Settings precedence, cache-key determinism, and the step runtime's artifact round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.core import hashing
from workbench.core.errors import ArtifactError, ConfigError, IntegrityError
from workbench.core.settings import load_settings
from workbench.models import load_model_file, write_model_file
from workbench.runtime import parse_param, read_value, write_value
from workbench.runtime.artifacts import read_meta


def test_default_tracking_uri_is_under_project_root_not_cwd(project: Path) -> None:
    sub = project / "notebooks"
    sub.mkdir()
    s = load_settings(sub)
    assert s.root == project
    assert s.tracking_uri == f"sqlite:///{project}/mlflow.db"
    assert s.model_store == str(project / "models")


def test_pyproject_then_env_override(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.workbench]\ntracking_uri = "sqlite:///other.db"\nmodel_store = "s3://b/models"\n'
    )
    s = load_settings(project)
    assert s.tracking_uri == f"sqlite:///{project}/other.db"
    assert s.model_store == "s3://b/models"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_settings(project).tracking_uri == "http://127.0.0.1:5000"


def test_unknown_setting_is_an_error_naming_the_file(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.workbench]\ntraking_uri = "x"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml.*traking_uri"):
        load_settings(project)


def test_cache_key_depends_on_every_part() -> None:
    base = dict(code_digest="c", lock_digest="l", input_digests={"a": "1"}, params={"p": "2"})
    key = hashing.cache_key(**base)  # type: ignore[arg-type]
    assert key == hashing.cache_key(**base)  # type: ignore[arg-type]
    for change in (
        {"code_digest": "c2"},
        {"lock_digest": "l2"},
        {"input_digests": {"a": "9"}},
        {"params": {"p": "3"}},
    ):
        assert hashing.cache_key(**{**base, **change}) != key  # type: ignore[arg-type]
    assert len(key) == 64


def test_parse_param_by_declared_type() -> None:
    assert parse_param("x", "007", "str") == "007"
    assert parse_param("x", "7", "int") == 7
    assert parse_param("x", "true", "bool") is True
    with pytest.raises(ValueError, match="parameter x: 'seven' is not a valid int"):
        parse_param("x", "seven", "int")


@pytest.mark.parametrize(
    "value",
    [
        pd.DataFrame({"a": [1.0, None], "b": ["x", "y"]}),
        pd.Series([1, 2, 3], name="y"),
        np.arange(6.0).reshape(2, 3),
        {"k": [1, 2.5, "s", None]},
        (1, 2),
        {1: "non-string key"},
    ],
)
def test_artifact_round_trip(tmp_path: Path, value: object) -> None:
    uri = str(tmp_path / "out")
    digest = write_value(value, uri)
    assert (tmp_path / "out" / "sha256").read_text().strip() == digest
    back = read_value(uri)
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(back, value)
    elif isinstance(value, pd.Series):
        pd.testing.assert_series_equal(back, value)
    elif isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


def test_changed_artifact_is_refused(tmp_path: Path) -> None:
    uri = str(tmp_path / "out")
    write_value((1, 2), uri)
    fmt = read_meta(uri)["format"]
    (tmp_path / "out" / f"data.{fmt}").write_bytes(b"tampered")
    with pytest.raises(ArtifactError, match="refusing"):
        read_value(uri)


def test_model_store_checks_sha256(tmp_path: Path) -> None:
    path, digest = write_model_file({"w": [1, 2]}, str(tmp_path), "m", 1)
    assert load_model_file(path, digest) == {"w": [1, 2]}
    Path(path).write_bytes(Path(path).read_bytes() + b"\0")
    with pytest.raises(IntegrityError, match="refusing"):
        load_model_file(path, digest)


def test_data_file_rule_resolves_against_the_root_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule for the runner's cache keys and --record's fixture copies."""
    from workbench.core.datafiles import is_remote_uri, local_data_file

    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    (root / "data" / "in.csv").write_text("v\n1\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    (elsewhere / "data" / "only-here.csv").write_text("v\n2\n")
    monkeypatch.chdir(elsewhere)
    assert local_data_file(root, "data/in.csv") == root / "data" / "in.csv"
    assert local_data_file(root, str(root / "data" / "in.csv")) == root / "data" / "in.csv"
    assert local_data_file(root, "data/only-here.csv") is None  # cwd does not count
    assert local_data_file(root, "data") is None  # a folder is not a file
    assert local_data_file(root, "0.25") is None
    assert local_data_file(root, "data/in.csv\n") is None
    assert local_data_file(root, "s3://bucket/data/in.csv") is None
    assert is_remote_uri("s3://bucket/in.csv") and not is_remote_uri("data/in.csv")


def test_a_tracking_server_chooses_the_artifact_location(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an http(s) tracking URI and no artifact root set, experiments get no project path
    (in a pod that would be /app/mlartifacts, read-only): the server's proxied root applies."""
    from workbench.core.settings import settings
    from workbench.tracking.config import experiment_artifact_location

    assert experiment_artifact_location("e") == (project / "mlartifacts" / "e").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.mlflow.svc:5000")
    assert settings().artifact_root == ""
    assert experiment_artifact_location("e") is None
    monkeypatch.setenv("WORKBENCH_ARTIFACT_ROOT", "s3://bucket/mlflow")
    assert experiment_artifact_location("e") == "s3://bucket/mlflow/e"
