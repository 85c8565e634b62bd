"""Parquet for pandas DataFrames and Series that come back exactly.

pyarrow keeps most of a frame (dtypes, categories, tz-aware datetimes, nullable dtypes, the
index and its names), but not everything: an index `freq`, duplicate or non-string column
names, mixed-type object columns, list- or dict-valued cells of some shapes, subclasses. Rather
than list every case, a frame is taken only after it was encoded, decoded and compared equal
(`verified`); anything else goes to the next codec (cloudpickle). A Series is stored as a
one-column frame and unwrapped on load (meta.json's type says which).
"""

from __future__ import annotations

import sys
from typing import Any

from workbench.runtime.codecs.base import Codec, verified

SERIES_COLUMN = "__series__"


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
        return verified(self, value) if self.accepts(value) else None

    def encode(self, value: Any) -> bytes:
        import io

        import pandas as pd

        frame = value.to_frame(value.name or SERIES_COLUMN) if type(value) is pd.Series else value
        buf = io.BytesIO()
        # index=None: a RangeIndex is kept as metadata (index=True would store it as a column
        # and give back an Int64 Index); any other index is stored as columns
        frame.to_parquet(buf, index=None)
        return buf.getvalue()

    def decode(self, data: bytes, meta: dict[str, str]) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # From pyarrow's own buffer, not a Python file object: reading through io.BytesIO left
        # pyarrow threads that made about one process exit in 30 abort (SIGABRT, "terminate
        # called without an active exception"), failing steps whose work was done.
        frame = pq.read_table(pa.BufferReader(data)).to_pandas()
        if meta.get("type", "").endswith(".Series"):
            series = frame.iloc[:, 0]
            series.name = None if frame.columns[0] == SERIES_COLUMN else frame.columns[0]
            return series
        return frame
