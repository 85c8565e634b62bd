"""workbench.data on SQL: a SQLite table round trip, queries, and every failure named clearly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import workbench.data as wbdata
from workbench.core.errors import DataError
from workbench.data.uris import redact


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"sample": ["S0001", "S0002", "S0003"], "radius": [12.5, None, 7.25], "label": [1, 0, 1]}
    )


def test_same_frame_back_from_a_sqlite_table(project: Path, frame: pd.DataFrame) -> None:
    wbdata.save(frame, "sqlite:///data/demo.db", table="clean")
    assert (project / "data" / "demo.db").is_file()  # relative to the project root
    assert_frame_equal(wbdata.load("sqlite:///data/demo.db", table="clean"), frame)


def test_query_with_parameters(project: Path, frame: pd.DataFrame) -> None:
    wbdata.save(frame, "sqlite:///demo.db", table="clean")
    got = wbdata.load(
        "sqlite:///demo.db",
        query="select sample, label from clean where label = :label order by sample",
        params={"label": 1},
    )
    assert list(got["sample"]) == ["S0001", "S0003"]


def test_existing_table_needs_if_exists(project: Path, frame: pd.DataFrame) -> None:
    wbdata.save(frame, "sqlite:///demo.db", table="clean")
    with pytest.raises(DataError, match="if_exists='replace'"):
        wbdata.save(frame.head(1), "sqlite:///demo.db", table="clean")
    assert len(wbdata.load("sqlite:///demo.db", table="clean")) == 3
    wbdata.save(frame.head(1), "sqlite:///demo.db", table="clean", if_exists="replace")
    assert len(wbdata.load("sqlite:///demo.db", table="clean")) == 1


def test_missing_table_lists_the_tables(project: Path, frame: pd.DataFrame) -> None:
    wbdata.save(frame, "sqlite:///demo.db", table="clean")
    with pytest.raises(
        DataError, match=r"sqlite:///demo\.db: table 'raw' not found \(tables: clean\)"
    ):
        wbdata.load("sqlite:///demo.db", table="raw")


def test_missing_database_file_is_not_created(project: Path) -> None:
    with pytest.raises(DataError, match=r"sqlite:///absent\.db: database file not found"):
        wbdata.load("sqlite:///absent.db", table="t")
    assert not (project / "absent.db").exists()


def test_bad_query_names_the_uri(project: Path, frame: pd.DataFrame) -> None:
    wbdata.save(frame, "sqlite:///demo.db", table="clean")
    with pytest.raises(DataError, match=r"sqlite:///demo\.db: no such column: nope"):
        wbdata.load("sqlite:///demo.db", query="select nope from clean")


def test_sql_needs_exactly_one_of_table_or_query(project: Path) -> None:
    with pytest.raises(DataError, match="exactly one of table= or query="):
        wbdata.load("sqlite:///demo.db")
    with pytest.raises(DataError, match="needs table="):
        wbdata.save(pd.DataFrame({"a": [1]}), "sqlite:///demo.db")


def test_unreachable_server_never_shows_the_password(project: Path) -> None:
    # Port 9 on 127.0.0.1: nothing listens; either the driver is missing or the connection is
    # refused, and both messages must name the URL without its password.
    uri = "postgresql://analyst:hunter2-Secret@127.0.0.1:9/warehouse"
    with pytest.raises(DataError) as info:
        wbdata.load(uri, table="sales")
    message = str(info.value)
    assert "postgresql://analyst:***@127.0.0.1:9/warehouse" in message
    assert "hunter2" not in message


def test_redact_removes_passwords_tokens_and_option_secrets() -> None:
    text = "s3://b/k?X-Amz-Signature=abc123&x=1 mysql://u:p4ss@h/db key=AKIA1 secret=s3"
    out = redact(text, {"key": "AKIA1", "client_kwargs": {"secret": "s3"}})
    assert "abc123" not in out and "p4ss" not in out and "AKIA1" not in out
    assert "mysql://u:***@h/db" in out and "X-Amz-Signature=***" in out
