"""ArtifactStore entries on a local folder: commit, lookup, and what is not trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import ArtifactError
from workbench.runner.store import ENTRY_FILE, ArtifactStore
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
