"""The rehearsal tests share one folder of image virtualenvs (`WORKBENCH_REHEARSAL_VENVS`).

Each venv in it is content-addressed (requirement files, specs, the workbench source: see
`image.venv_digest`) and built once under a file lock, so tests that copy the example into a
fresh project, two pytest-xdist workers and later runs all reuse the ~100 s of uv builds instead
of redoing them per project; a pod still sees exactly its image's packages.
"""

from __future__ import annotations

import pytest

from tests.cache_helpers import cache_root


@pytest.fixture(autouse=True)
def _shared_image_venvs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_REHEARSAL_VENVS", str(cache_root() / "rehearsal-image-venvs"))
