"""`workbench serve` is a thin wrapper: its options reach `serve` unchanged, defaults are safe."""

from __future__ import annotations

from typing import Any

import pytest

import workbench.serving.server as server_module
from workbench.cli.main import main
from workbench.serving.server import ServeOptions


def captured(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[str, ServeOptions]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        server_module, "serve", lambda model, opts: seen.update(model=model, opts=opts)
    )
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    return seen["model"], seen["opts"]


def test_defaults_bind_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    model, opts = captured(monkeypatch, ["serve", "models:/m@champion"])
    assert model == "models:/m@champion"
    assert opts == ServeOptions(host="127.0.0.1", port=8000, workers=1)


def test_every_option_reaches_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["serve", "models/m/3", "--host", "0.0.0.0", "--port", "9001", "--workers", "3",
            "--max-body-bytes", "1000", "--no-access-log", "--trust-unverified"]  # fmt: skip
    model, opts = captured(monkeypatch, argv)
    assert model == "models/m/3"
    assert opts == ServeOptions(
        host="0.0.0.0",
        port=9001,
        workers=3,
        max_body_bytes=1000,
        access_log=False,
        trust_unverified=True,
    )


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", "m", "--workers", "0"])
    assert info.value.code == 2 and "--workers" in capsys.readouterr().err
