"""Compare a pipeline value with the notebook's, for `productionize --verify`.

A thin layer over the artifact codecs' own comparison (workbench.runtime.compare: type, shape,
dtype, columns and order, index and freq, keys and order, the first differing element), so
verification, the codecs and the generated tests agree on what "equal" means. Exact by default;
a difference that disappears within RTOL/ATOL is marked `close`: accepted only where the
notebook itself is shown not to be bit-reproducible. MLflow run ids (32 hex digits) are new on
every run and compare by form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workbench.runtime.compare import compare

RTOL = 1e-7
ATOL = 1e-12
RUN_ID = re.compile(r"[0-9a-f]{32}")
PATH = "value"


@dataclass(frozen=True)
class Difference:
    """What differs (a message starting with the path into the value); `close`: only floats
    within RTOL/ATOL."""

    what: str
    close: bool = False

    def render(self, name: str) -> str:
        return name + self.what[len(PATH) :] if self.what.startswith(PATH) else self.what


def compare_values(expected: Any, actual: Any) -> Difference | None:
    """None when `actual` (the pipeline's) equals `expected` (the notebook's)."""
    run_ids = isinstance(expected, str) and isinstance(actual, str)
    if run_ids and RUN_ID.fullmatch(expected) and RUN_ID.fullmatch(actual):
        return None
    message = compare(actual, expected, path=PATH)
    if message is None:
        return None
    close = compare(actual, expected, rtol=RTOL, atol=ATOL, path=PATH) is None
    return Difference(message, close)
