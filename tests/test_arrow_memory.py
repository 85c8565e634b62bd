"""pyarrow reads parquet from memory it owns, never from a Python object (an abort at exit:
see workbench.core.arrow_memory). The abort itself is a race (about 1 run in 100 on a small
frame), so these tests check its cause deterministically: the address pyarrow reads from."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

import workbench.data as wbdata
from workbench.core.arrow_memory import arrow_reader
from workbench.runtime.codecs.parquet import ParquetCodec


def _span(data: bytes) -> range:
    start = pa.py_buffer(data).address  # zero-copy: the address of the bytes object itself
    return range(start, start + len(data))


def _read_address(source: Any) -> int:
    assert isinstance(source, pa.NativeFile), type(source)
    source.seek(0)
    address = int(source.read_buffer(1).address)
    source.seek(0)
    return address


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_the_reader_holds_a_copy_in_arrow_memory(kind: type) -> None:
    data = bytes(range(256)) * 3
    reader = arrow_reader(kind(data))
    assert _read_address(reader) not in _span(data)
    assert reader.read() == data
    assert arrow_reader(b"").read() == b""


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.5, 2.5, 3.5], "label": ["a", "b", "a"]})


def _record_sources(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    seen: list[Any] = []
    real = getattr(module, name)

    def spy(source: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append((_read_address(source), kwargs))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_the_parquet_codec_decodes_from_arrow_memory(
    monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame
) -> None:
    codec = ParquetCodec()
    data = codec.encode(frame)
    seen = _record_sources(monkeypatch, pq, "read_table")
    assert_frame_equal(codec.decode(data, {}), frame)
    [(address, kwargs)] = seen
    assert address not in _span(data)
    assert kwargs.get("pre_buffer") is False  # no I/O threads for data already in memory


def test_object_storage_parquet_is_read_from_arrow_memory(
    monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame
) -> None:
    uri = "memory://wb-arrow/frame.parquet"
    wbdata.save(frame, uri)
    seen = _record_sources(monkeypatch, pd, "read_parquet")  # a pyarrow reader, not a BytesIO
    assert_frame_equal(wbdata.load(uri), frame)
    assert len(seen) == 1
