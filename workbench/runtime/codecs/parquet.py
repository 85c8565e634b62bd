"""Parquet for pandas DataFrames and Series that come back exactly.

pyarrow keeps most of a frame (dtypes, categories, tz-aware datetimes, nullable dtypes, the
index and its names), but not everything: an index `freq`, duplicate or non-string column
names, mixed-type object columns, list- or dict-valued cells of some shapes, subclasses. Rather
than list every case, a frame is taken only after it was encoded, decoded and compared equal
(`round_trip`); anything else goes to the next codec (cloudpickle). A Series is stored as a
one-column frame and unwrapped on load (meta.json's type says which). A frame's block layout,
which decides the last bits of arithmetic on it, is kept too (workbench.runtime.codecs.layout).
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

from workbench.core.arrow_memory import arrow_reader
from workbench.runtime.codecs import layout
from workbench.runtime.codecs.base import Codec, round_trip

SERIES_COLUMN = "__series__"
ATTRS_KEY = b"PANDAS_ATTRS"  # where pandas' own to_parquet stores DataFrame.attrs


class ParquetCodec(Codec):
    name = "parquet"

    def accepts(self, value: Any) -> bool:
        """Frames and Series of pandas' own classes with string column names (a cheap first
        look; `encode_exact` decides)."""
        pd = sys.modules.get("pandas")
        if pd is None or type(value) not in (pd.DataFrame, pd.Series):
            return False
        if type(value) is pd.DataFrame:
            # parquet column names are strings: 0 would come back as "0"
            return all(type(c) is str for c in value.columns)
        return value.name is None or type(value.name) is str

    def encode_exact(self, value: Any) -> bytes | None:
        if not self.accepts(value):
            return None
        if type(value).__name__ == "DataFrame" and layout.merged_by_pyarrow(value):
            return None  # known without the round trip (~0.01-0.05 s) that would refuse it
        return self.checked_encode(value)

    def checked_encode(self, value: Any) -> bytes | None:
        """The bytes when decoding them gives `value` back exactly, blocks included, else None."""
        checked = round_trip(self, value)
        if checked is None:
            return None
        data, back = checked
        if type(value).__name__ == "Series":
            return data
        # equal values laid out differently give other bits in later arithmetic: same blocks too
        return data if layout.block_layout(back) == layout.block_layout(value) else None

    def encode(self, value: Any) -> bytes:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = value.to_frame(value.name or SERIES_COLUMN) if type(value) is pd.Series else value
        # preserve_index=None: a RangeIndex is kept as metadata (True would store it as a column
        # and give back an Int64 Index); any other index is stored as columns (as to_parquet)
        with warnings.catch_warnings():
            # pyarrow reads tz-aware columns through Series.values, which pandas 3.1 deprecates
            # (pandas' own to_parquet hides the same warning); the values pyarrow writes are UTC
            # with the zone in the schema, checked by the round trip
            warnings.filterwarnings("ignore", message=r".*\.values returning an ndarray")
            table = pa.Table.from_pandas(frame, preserve_index=None)
        extra: dict[bytes, bytes] = {}
        if frame.attrs:  # as pandas' to_parquet keeps them
            extra[ATTRS_KEY] = json.dumps(frame.attrs).encode()
        record = layout.to_record(layout.block_layout(frame))
        if record is not None:
            extra[layout.METADATA_KEY] = record
        if extra:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="snappy")
        return bytes(buf.getvalue())

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        import pyarrow.parquet as pq

        # From a copy in pyarrow's own memory (see workbench.core.arrow_memory): a Python
        # object under the reader made about one step in a hundred abort at exit (SIGABRT)
        # after its work was done. No pre-buffering: the data is in memory already, and it
        # would only hand the reads to pyarrow's I/O threads.
        table = pq.read_table(arrow_reader(data), pre_buffer=False)
        frame = table.to_pandas()
        metadata = table.schema.metadata or {}
        if layout.METADATA_KEY in metadata:
            frame = layout.restore(frame, layout.from_record(metadata[layout.METADATA_KEY]))
        if ATTRS_KEY in metadata:
            frame.attrs = json.loads(metadata[ATTRS_KEY])
        if meta.get("type", "").endswith(".Series"):
            series = frame.iloc[:, 0]
            series.name = None if frame.columns[0] == SERIES_COLUMN else frame.columns[0]
            return series
        return frame
