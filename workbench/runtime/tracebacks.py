"""A failing step's traceback, with each frame of the step module mapped to its notebook cell.

    File ".../steps/train/train.py", line 47, in train
      model = fit(X)
      -> notebooks/train.ipynb, cell 11 (step:train), line 7
    ...
    step train failed at notebooks/train.ipynb, cell 11 (step:train), line 7: ValueError: ...

The last line is printed last on purpose: it is in every log tail (the local runner's summary,
`kubectl logs --tail`, Argo's UI), however deep the library frames under it go.
"""

from __future__ import annotations

import inspect
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

FRAME = re.compile(r'\s*File "([^"]+)", line (\d+)')
SPEC_FILE = "pipeline.json"


def _mapper(module_file: Path, step_name: str) -> Callable[[int], Any] | None:
    """lineno -> CellLine | None for this step module, or None without a readable spec."""
    from workbench.spec.cellmap import locate
    from workbench.spec.model import load_spec

    spec_path = module_file.parent / SPEC_FILE
    if not spec_path.is_file():
        return None
    spec = load_spec(spec_path)
    step = next((s for s in spec.steps if s.name == step_name), None)
    if step is None:
        return None
    text = module_file.read_text(encoding="utf-8")
    return lambda lineno: locate(spec, step, text, lineno)


def format_failure(exc: BaseException, func: Callable[..., Any]) -> str:
    """The traceback of `exc` with notebook locations added; never raises."""
    try:
        source = inspect.getsourcefile(func)
        module_file = Path(source).resolve() if source else None
        mapper = _mapper(module_file, func.__name__) if module_file else None
        chunks: list[str] = []
        last = None
        for chunk in traceback.TracebackException.from_exception(exc).format():
            found = FRAME.match(chunk)
            if mapper is not None and found and Path(found.group(1)).resolve() == module_file:
                where = mapper(int(found.group(2)))
                if where is not None:
                    chunk += f"    -> {where}\n"
                    last = where
            chunks.append(chunk)
        if last is not None:
            summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            chunks.append(f"step {func.__name__} failed at {last}: {summary}\n")
        return "".join(chunks)
    except Exception:  # the mapping is a convenience: the plain traceback is always printed
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
