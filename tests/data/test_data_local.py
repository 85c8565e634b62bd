"""workbench.data on local files: round trips, project-root paths, atomic writes, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import workbench.data as wbdata
from workbench.core.errors import DataError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"sample": ["S0001", "S0002", "S0003"], "radius": [12.5, None, 7.25], "label": [1, 0, 1]}
    )


@pytest.mark.parametrize("name", ["data/clean.csv", "data/clean.parquet"])
def test_same_frame_back_from_a_local_file(project: Path, frame: pd.DataFrame, name: str) -> None:
    written = wbdata.save(frame, name)
    assert Path(written) == project / name
    assert_frame_equal(wbdata.load(name), frame)


def test_relative_paths_resolve_at_the_project_root(
    project: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    wbdata.save(frame, "data/x.csv")
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")  # where a notebook kernel runs
    assert_frame_equal(wbdata.load("data/x.csv"), frame)
    assert_frame_equal(wbdata.load((project / "data/x.csv").as_uri()), frame)


def test_missing_file_names_the_uri(project: Path) -> None:
    with pytest.raises(DataError, match=r"data/nope\.csv: file not found"):
        wbdata.load("data/nope.csv")


def test_unsupported_file_type(project: Path, frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"data/x\.xlsx: unsupported file type \.xlsx"):
        wbdata.save(frame, "data/x.xlsx")
    assert not (project / "data").exists()


@pytest.mark.parametrize("uri", ["ftp://host/x.csv", "foo://bucket/x.csv", "http://h/x.csv"])
def test_unsupported_scheme(project: Path, uri: str) -> None:
    with pytest.raises(DataError, match="unsupported scheme") as info:
        wbdata.load(uri)
    assert uri in str(info.value)


def test_failed_write_leaves_the_old_file_and_no_temp_file(
    project: Path, frame: pd.DataFrame
) -> None:
    target = project / "data" / "clean.parquet"
    wbdata.save(frame, "data/clean.parquet")
    before = target.read_bytes()
    bad = pd.DataFrame({"mixed": [1, "two", object()]})  # pyarrow cannot store this column
    with pytest.raises(DataError, match=r"data/clean\.parquet: cannot write parquet"):
        wbdata.save(bad, "data/clean.parquet")
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["clean.parquet"]


def test_table_option_on_a_file_is_an_error(project: Path) -> None:
    with pytest.raises(DataError, match="SQL URLs only"):
        wbdata.load("data/x.csv", table="t")


def test_memory_filesystem_round_trip_and_missing_object(frame: pd.DataFrame) -> None:
    # fsspec's in-memory store: the object-storage code path without a server
    wbdata.save(frame, "memory://wb-test/frame.parquet")
    assert_frame_equal(wbdata.load("memory://wb-test/frame.parquet"), frame)
    with pytest.raises(DataError, match=r"memory://wb-test/absent\.csv: file not found"):
        wbdata.load("memory://wb-test/absent.csv")


@pytest.mark.parametrize(
    ("call", "options", "expected"),
    [
        ("load", {"bogus_keyword": 1}, "TypeError"),
        ("load", {"columns": ["not_a_column"]}, "not_a_column"),
        ("load", {"engine": "nope"}, "engine must be one of"),
        ("save", {"compression": "not-a-codec"}, "options: compression"),
        ("save", {"bogus_keyword": 1}, "bogus_keyword"),
    ],
)
def test_bad_keywords_and_parquet_options_are_data_errors(
    project: Path, frame: pd.DataFrame, call: str, options: dict, expected: str
) -> None:
    wbdata.save(frame, "data/x.parquet")
    before = (project / "data" / "x.parquet").read_bytes()
    with pytest.raises(DataError, match=r"data/x\.parquet") as info:
        if call == "load":
            wbdata.load("data/x.parquet", **options)
        else:
            wbdata.save(frame.head(1), "data/x.parquet", **options)
    assert expected in str(info.value)
    assert (project / "data" / "x.parquet").read_bytes() == before  # nothing half-written
    assert [p.name for p in (project / "data").iterdir()] == ["x.parquet"]
