"""A DataFrame's memory layout, kept through parquet so that arithmetic gives the same bits.

Equal values are not enough for a pipeline to compute what the notebook computed: numpy sums a
contiguous run pairwise but a strided one in order, so `StandardScaler().fit(X).mean_` can end
one ulp apart on two equal frames whose blocks are laid out differently. pandas stores columns of
one dtype in a 2-D block of shape (columns, rows); `train_test_split`, `df.iloc[rows]` and
`DataFrame(ndarray)` give Fortran-ordered blocks (each row of the frame contiguous, what
`np.asarray(df)` hands to scikit-learn as a C array), while pyarrow's `to_pandas` always builds
C-ordered blocks (each column contiguous). So the parquet codec records the layout of every
2-D numpy block that pyarrow would not give back (more than one column, not C-ordered) in the
file's schema metadata, and rebuilds those blocks on load with pandas' own block constructor
(`pandas.api.internals.create_dataframe_from_blocks`). Where that cannot be done (an older
pandas, extension or datetime blocks beside such a block), the layout differs after the round
trip and the codec refuses the frame: cloudpickle keeps blocks as they are.
"""

from __future__ import annotations

import json
from typing import Any

METADATA_KEY = b"workbench.block_layout"

Layout = list[tuple[tuple[int, ...], str]]  # per block: (column positions, "C" | "F" | "S")


def block_layout(frame: Any) -> Layout | None:
    """(column positions, memory order) of every 2-D numpy block with more than one column,
    sorted; None when the frame's blocks cannot be read (another pandas internals layout)."""
    import numpy as np

    blocks = getattr(getattr(frame, "_mgr", None), "blocks", None)
    if blocks is None:
        return None
    layout: Layout = []
    for block in blocks:
        values = getattr(block, "values", None)
        if not isinstance(values, np.ndarray) or values.ndim != 2 or values.shape[0] < 2:
            continue
        flags = values.flags
        order = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "S"
        layout.append((tuple(int(i) for i in block.mgr_locs.as_array), order))
    return sorted(layout)


def merged_by_pyarrow(frame: Any) -> bool:
    """Whether a parquet round trip is bound to change the frame's blocks, known without one:
    no layout record would be written (every multi-column numpy block is C-ordered), yet two
    numpy blocks hold one dtype (columns added one by one with `assign`, a frame after
    `dropna`), which pyarrow's `to_pandas` consolidates into one block."""
    import numpy as np

    if to_record(block_layout(frame)) is not None:
        return False
    blocks = getattr(getattr(frame, "_mgr", None), "blocks", None)
    seen: set[Any] = set()
    for block in blocks or ():
        values = getattr(block, "values", None)
        if not isinstance(values, np.ndarray) or values.ndim != 2:
            continue
        if values.dtype in seen:
            return True
        seen.add(values.dtype)
    return False


def to_record(layout: Layout | None) -> bytes | None:
    """The metadata value to store, or None when pyarrow's own C-ordered blocks are the same."""
    if not layout or all(order == "C" for _, order in layout):
        return None
    return json.dumps([[list(cols), order] for cols, order in layout]).encode()


def from_record(data: bytes) -> Layout:
    return [(tuple(int(i) for i in cols), str(order)) for cols, order in json.loads(data)]


def restore(frame: Any, layout: Layout) -> Any:
    """`frame` with its multi-column numpy blocks rebuilt as `layout` says (a strided block
    becomes C-ordered: no file format keeps strides). Unchanged when that cannot be done."""
    import numpy as np
    import pandas as pd

    make = getattr(getattr(pd.api, "internals", None), "create_dataframe_from_blocks", None)
    if make is None:
        return frame
    covered: set[int] = set()
    blocks: list[tuple[Any, Any]] = []
    for cols, order in layout:
        arrays = [frame.iloc[:, j].to_numpy() for j in cols]
        if len({a.dtype for a in arrays}) != 1 or any(a.ndim != 1 for a in arrays):
            return frame
        values = np.stack(arrays)  # (columns, rows), C-ordered
        blocks.append((np.asfortranarray(values) if order == "F" else values, np.array(cols)))
        covered.update(cols)
    for j in range(frame.shape[1]):
        if j in covered:
            continue
        dtype = frame.dtypes.iloc[j]
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # categories, nullable, tz
            blocks.append((frame.iloc[:, j].array, np.array([j])))
            continue
        column = frame.iloc[:, j].to_numpy()
        if column.dtype != dtype:
            return frame
        blocks.append((column.reshape(1, -1), np.array([j])))
    return make(blocks, index=frame.index, columns=frame.columns)
