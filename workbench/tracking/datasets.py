"""Dataset fingerprints for `TrackedRun.log_dataset`.

MLflow's own pandas digest (mlflow.data.digest_utils) hashes only the first 10,000 rows, drops
columns that are neither numbers nor all-strings and keeps 8 hex digits of an md5: two training
sets that differ after row 10,000 would look identical. We hash the whole frame (values, index,
column names and dtypes) with sha256 instead, pass its first 32 hex digits as the dataset digest
(MLflow stores at most 36 characters) and record the full digest as an input tag.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

DIGEST_CHARS = 32  # MLflow's dataset digest column holds at most 36 characters
SHA256_INPUT_TAG = "workbench.sha256"


def frame_sha256(df: pd.DataFrame) -> str:
    """sha256 of a DataFrame's full content: shape, column names, dtypes, index and values."""
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(repr(df.shape).encode())
    for column, dtype in df.dtypes.items():
        digest.update(f"{column!r}:{dtype}\n".encode())
    try:
        hashed = pd.util.hash_pandas_object(df, index=True).to_numpy()
        digest.update(hashed.tobytes())
    except TypeError:
        # cells holding unhashable objects (lists, dicts): fall back to their text form
        digest.update(df.to_csv().encode("utf-8"))
    return digest.hexdigest()
