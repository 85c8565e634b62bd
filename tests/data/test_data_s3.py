"""workbench.data against an S3-compatible server on 127.0.0.1 (moto, standing in for MinIO)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import workbench.data as wbdata
from tests.s3_helpers import moto_server
from workbench.core.errors import DataError

pytestmark = pytest.mark.integration


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"sample": ["S0001", "S0002", "S0003"], "radius": [12.5, None, 7.25], "label": [1, 0, 1]}
    )


def _bucket(server: object) -> str:
    name = f"wb-{uuid.uuid4().hex[:12]}"
    server.make_bucket(name)  # type: ignore[attr-defined]
    return name


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_same_frame_back_through_the_endpoint_variables(
    s3_env: object, frame: pd.DataFrame, suffix: str
) -> None:
    uri = f"s3://{_bucket(s3_env)}/clean/frame.{suffix}"
    assert wbdata.save(frame, uri) == uri
    assert_frame_equal(wbdata.load(uri), frame)


def test_same_frame_back_with_explicit_storage_options(
    s3_server: object, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(var, raising=False)
    options = s3_server.storage_options()  # type: ignore[attr-defined]
    uri = f"s3://{_bucket(s3_server)}/frame.csv"
    wbdata.save(frame, uri, storage_options=options)
    assert_frame_equal(wbdata.load(uri, storage_options=options), frame)


def test_missing_bucket_names_the_bucket(s3_env: object) -> None:
    with pytest.raises(
        DataError, match=r"s3://no-such-bucket-x/a\.csv: bucket 'no-such-bucket-x' not found"
    ):
        wbdata.load("s3://no-such-bucket-x/a.csv")


def test_missing_bucket_on_write(s3_env: object, frame: pd.DataFrame) -> None:
    with pytest.raises(
        DataError, match=r"s3://no-such-bucket-y/a\.csv: bucket 'no-such-bucket-y' not found"
    ):
        wbdata.save(frame, "s3://no-such-bucket-y/a.csv")


def test_missing_object_names_the_uri(s3_env: object) -> None:
    uri = f"s3://{_bucket(s3_env)}/absent.parquet"
    with pytest.raises(DataError, match="file not found") as info:
        wbdata.load(uri)
    assert uri in str(info.value)


@pytest.fixture(scope="module")
def auth_endpoint() -> Iterator[str]:
    """A second moto server with IAM authentication on, so unknown keys are refused (403)."""
    with moto_server({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as url:
        yield url


@pytest.mark.parametrize("action", ["load", "save"])
def test_bad_credentials_are_one_clear_error_without_the_secret(
    auth_endpoint: str, frame: pd.DataFrame, action: str
) -> None:
    secret = "wrong-secret-Zq81"
    options = {
        "key": "AKIANOTAREALKEY",
        "secret": secret,
        "client_kwargs": {"endpoint_url": auth_endpoint, "region_name": "us-east-1"},
    }
    with pytest.raises(
        DataError, match=r"s3://locked/x\.csv: access denied; check the credentials"
    ) as info:
        if action == "load":
            wbdata.load("s3://locked/x.csv", storage_options=options)
        else:
            wbdata.save(frame, "s3://locked/x.csv", storage_options=options)
    assert secret not in str(info.value)
    assert "AKIANOTAREALKEY" not in str(info.value)


def test_unknown_storage_option_is_a_data_error(s3_env: object) -> None:
    with pytest.raises(DataError, match=r"s3://b/x\.csv: bad storage_options") as info:
        wbdata.load("s3://b/x.csv", storage_options={"secret": "Zq-hidden", "no_such_option": 1})
    assert "Zq-hidden" not in str(info.value)
