"""ArtifactStore entries on a local folder: commit, lookup, and what is not trusted."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from workbench.core.errors import ArtifactError
from workbench.runner.store import ENTRY_FILE, ArtifactStore, EntryRejected
from workbench.runtime import write_value


def test_commit_then_lookup_and_outputless_steps(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    key = "k" * 64
    assert store.lookup("p", "s", key, ("out",)) is None
    write_value([1, 2], store.output_uri("p", "s", key, "out"))
    assert store.lookup("p", "s", key, ("out",)) is None  # outputs alone are not an entry
    entry = store.commit("p", "s", key, ("out",), 1.5)
    assert store.lookup("p", "s", key, ("out",)) == entry
    assert store.lookup("p", "s", key, ("out", "other")) is None  # the spec changed its outputs
    # a step without outputs (evaluate, promote) still gets an entry: its record
    done = store.commit("p", "side-effect", key, (), 0.1)
    assert store.lookup("p", "side-effect", key, ()) == done
    assert not list(Path(store.entry_uri("p", "s", key)).glob("*.tmp"))


def test_commit_refuses_a_missing_output_and_writes_no_record(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    with pytest.raises(ArtifactError, match=r"step s: exited 0 but output 'out' was not written"):
        store.commit("p", "s", "k", ("out",), 0.1)
    assert not Path(store.entry_uri("p", "s", "k"), ENTRY_FILE).exists()


def test_unreadable_record_is_not_trusted(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    write_value(1, store.output_uri("p", "s", "k", "out"))
    store.commit("p", "s", "k", ("out",), 0.1)
    Path(store.entry_uri("p", "s", "k"), ENTRY_FILE).write_text('{"pipeline": "p", "st')
    assert store.lookup("p", "s", "k", ("out",)) is None
    assert [e.complete for e in store.entries("p")] == [False]


@pytest.mark.parametrize("change", ["flip", "truncate", "delete"])
def test_changed_data_drops_the_entry_with_the_reason(tmp_path: Path, change: str) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    uri = store.output_uri("p", "s", "k", "out")
    write_value({"rows": list(range(50))}, uri)
    store.commit("p", "s", "k", ("out",), 0.1)
    data = Path(uri, "data.json")
    raw = bytearray(data.read_bytes())
    if change == "flip":  # same size: only the streamed sha256 can see it
        raw[len(raw) // 2] ^= 0x01
        data.write_bytes(bytes(raw))
    elif change == "truncate":
        data.write_bytes(bytes(raw[:-3]))
    else:
        data.unlink()
    expected = {"flip": "has sha256", "truncate": "bytes, recorded", "delete": "missing"}
    with pytest.raises(EntryRejected, match=expected[change]) as info:
        store.lookup("p", "s", "k", ("out",))
    assert "p/s/k: output 'out'" in str(info.value) and "runs again" in str(info.value)
    assert not Path(store.entry_uri("p", "s", "k")).exists()  # dropped, record and data
    assert store.lookup("p", "s", "k", ("out",)) is None


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_failed_commit_is_a_clear_error_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    write_value([1], store.output_uri("p", "s", "k", "out"))

    def full(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("workbench.core.fs.os.fsync", full)
    with pytest.raises(ArtifactError, match=r"cannot record the cache entry .*/p/s/k/entry.json"):
        store.commit("p", "s", "k", ("out",), 0.1)
    folder = Path(store.entry_uri("p", "s", "k"))
    assert sorted(p.name for p in folder.iterdir()) == ["out"]  # no record, no .tmp
