"""Each `workbench` command meets an expected failure (disk full, a read-only folder, a bad
option, a tracking service that is not there) with one line naming the file or URI, exit 1 or 2,
no traceback, and nothing half-written. Faults are injected where the operating system would
raise them (we run as root here, so permissions alone cannot make a folder read-only)."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from workbench.cli.main import main
from workbench.runner.store import ArtifactStore
from workbench.runtime import write_value


def _fault(code: int) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        path = next((str(a) for a in args if isinstance(a, str | Path)), None)
        raise OSError(code, os.strerror(code), path)

    return fail


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    return int(info.value.code or 0), err


def _one_clean_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [
        ("parameters", "n = 3"),
        ("step:make", "rows = list(range(n))"),
        ("step:total", "total = sum(rows)"),
    ]
    for index, (tag, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source, id=f"c{index}")
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _tmp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp") or ".init-" in p.name]


def test_cache_clear_on_a_read_only_store(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ArtifactStore(str(project / ".workbench" / "artifacts"))
    write_value([1, 2], store.output_uri("p", "s", "k" * 64, "out"))
    store.commit("p", "s", "k" * 64, ("out",), 0.1)
    monkeypatch.setattr(
        "fsspec.implementations.local.LocalFileSystem.rm", _fault(errno.EROFS), raising=True
    )
    code, err = _cli(["cache", "clear"], capsys)
    line = _one_clean_line(err)
    assert code == 1 and "read-only file system" in line and "/p/s/kkkk" in line


def test_cache_clear_bad_age_and_pipeline_run_bad_option(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(["cache", "clear", "--older-than", "7x"], capsys)
    assert code == 1 and "--older-than '7x'" in _one_clean_line(err)
    code, err = _cli(["pipeline", "run", "demo", "--jobs", "0"], capsys)
    assert code == 2 and "--jobs" in err and "Traceback" not in err
    code, err = _cli(["pipeline", "run", "nope"], capsys)
    assert code in (1, 2) and "steps/nope/pipeline.json" in _one_clean_line(err)


def test_init_on_a_full_disk_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("pathlib.Path.write_text", _fault(errno.ENOSPC))
    code, err = _cli(["init", str(tmp_path / "fresh")], capsys)
    assert code == 1 and "no space left on the device" in _one_clean_line(err)
    assert list(tmp_path.iterdir()) == []


def test_productionize_into_a_read_only_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _notebook(project / "notebooks" / "tiny.ipynb")
    monkeypatch.setattr("workbench.emit.write.os.replace", _fault(errno.EROFS))
    code, err = _cli(["productionize", "notebooks/tiny.ipynb"], capsys)
    line = _one_clean_line(err)
    assert code == 1 and "read-only file system" in line and str(project) in line
    assert _tmp_files(project) == []


def test_set_image_on_a_full_disk_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    original = "resources: []\nimages:\n- name: app\n  newTag: '1'\n"
    (overlay / "kustomization.yaml").write_text(original)
    monkeypatch.setattr("workbench.core.fs.os.replace", _fault(errno.ENOSPC))
    code, err = _cli(["set-image", str(overlay), "app=reg.io/app:2"], capsys)
    assert code == 1 and "no space left on the device" in _one_clean_line(err)
    assert (overlay / "kustomization.yaml").read_text() == original
    assert _tmp_files(tmp_path) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("scheme", ["http", "postgresql"])
def test_run_without_its_tracking_service(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scheme: str,
) -> None:
    _notebook(project / "notebooks" / "tiny.ipynb")
    uri = f"{scheme}://user:S3cret-pw@127.0.0.1:{_free_port()}"
    uri += "/mlflow" if scheme == "postgresql" else ""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    code, err = _cli(["run", "notebooks/tiny.ipynb"], capsys)
    line = _one_clean_line(err)
    assert code == 1 and "127.0.0.1" in line and "S3cret-pw" not in err
    assert not (project / ".workbench").exists()
