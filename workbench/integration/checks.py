"""The checks, one function each, over plain HTTP (urllib): every check returns a Check, never
raises, so one broken endpoint does not hide the others."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.core import clock
from workbench.integration.expected import Expected

SELDON = "/api/v1.0/predictions"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # parsed JSON, or the raw text when it is not JSON
    seconds: float


@dataclass(frozen=True)
class Endpoint:
    url: str  # base URL, e.g. http://host/seldon/ns/model
    timeout: float = 10.0

    def call(self, method: str, path: str, body: bytes | None = None) -> Reply:
        request = urllib.request.Request(
            self.url.rstrip("/") + path,
            data=body,
            method=method,
            headers={"Content-Type": "application/json"} if body is not None else {},
        )
        start = clock.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        seconds = clock.monotonic() - start
        try:
            parsed: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")[:200]
        return Reply(status, parsed, seconds)

    def post(self, path: str, doc: Any) -> Reply:
        return self.call("POST", path, json.dumps(doc).encode())


def _status(reply: Reply, path: str) -> str:
    return f"GET {path} -> {reply.status}"


def seldon_health(ep: Endpoint, exp: Expected) -> Check:
    bad = [p for p in ("/health/ping", "/health/status") if ep.call("GET", p).status != 200]
    return Check("seldon health", not bad, f"not 200: {', '.join(bad)}" if bad else "200")


def v2_health(ep: Endpoint, exp: Expected) -> Check:
    paths = ("/v2/health/live", "/v2/health/ready", f"/v2/models/{exp.name}/ready")
    bad = [f"{p} ({ep.call('GET', p).status})" for p in paths]
    bad = [b for b in bad if not b.endswith("(200)")]
    return Check("v2 health", not bad, f"not 200: {', '.join(bad)}" if bad else "200")


def v2_metadata(ep: Endpoint, exp: Expected) -> Check:
    path = f"/v2/models/{exp.name}"
    reply = ep.call("GET", path)
    if reply.status != 200 or not isinstance(reply.body, dict):
        said = reply.body.get("error") if isinstance(reply.body, dict) else reply.body
        return Check("v2 metadata", False, f"{_status(reply, path)}: {said}")
    name, version = reply.body.get("name"), str(reply.body.get("versions", [""])[0])
    if name != exp.name or version != exp.version:
        return Check(
            "v2 metadata",
            False,
            f"serves {name} version {version}; expected {exp.name} version {exp.version}",
        )
    return Check("v2 metadata", True, f"{name} version {version}")


def _compare(what: str, got: Any, exp: Expected) -> Check:
    if not isinstance(got, list) or len(got) != len(exp.labels):
        return Check(what, False, f"expected {len(exp.labels)} labels, got {got!r:.200}")
    wrong = [i for i, (g, e) in enumerate(zip(got, exp.labels, strict=True)) if g != e]
    if wrong:
        first = wrong[0]
        return Check(
            what,
            False,
            f"{len(wrong)} of {len(got)} predictions differ from {exp.name} version "
            f"{exp.version}'s own: row {first} expected {exp.labels[first]!r}, "
            f"got {got[first]!r}",
        )
    return Check(what, True, f"{len(got)} predictions equal the model's own")


def seldon_predictions(ep: Endpoint, exp: Expected) -> Check:
    doc = {"data": {"names": list(exp.columns), "ndarray": [list(r) for r in exp.rows]}}
    reply = ep.post(SELDON, doc)
    if reply.status != 200 or not isinstance(reply.body, dict):
        return Check(
            "seldon predictions", False, f"POST {SELDON} -> {reply.status}: {reply.body!r:.200}"
        )
    rows = (reply.body.get("data") or {}).get("ndarray")
    labels = (
        [r[0] if isinstance(r, list) and r else r for r in rows] if isinstance(rows, list) else rows
    )
    return _compare("seldon predictions", labels, exp)


def _v2_datatype(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "BOOL"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "INT64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "FP64"
    return "BYTES"


def v2_predictions(ep: Endpoint, exp: Expected) -> Check:
    inputs = []
    for index, column in enumerate(exp.columns):
        values = [row[index] for row in exp.rows]
        inputs.append(
            {
                "name": column,
                "shape": [len(values)],
                "datatype": _v2_datatype(values),
                "data": values,
            }
        )
    path = f"/v2/models/{exp.name}/infer"
    reply = ep.post(path, {"inputs": inputs, "outputs": [{"name": "label"}]})
    if reply.status != 200 or not isinstance(reply.body, dict):
        return Check("v2 predictions", False, f"POST {path} -> {reply.status}: {reply.body!r:.200}")
    outputs = {o.get("name"): o for o in reply.body.get("outputs", []) if isinstance(o, dict)}
    return _compare("v2 predictions", (outputs.get("label") or {}).get("data"), exp)


def error_contract(ep: Endpoint, exp: Expected) -> Check:
    """A malformed request is the client's mistake: 4xx, in the protocol's own error format."""
    problems = []
    seldon = ep.call("POST", SELDON, b"{")
    status = (seldon.body or {}).get("status", {}) if isinstance(seldon.body, dict) else {}
    if not 400 <= seldon.status < 500 or status.get("status") != "FAILURE":
        problems.append(f"Seldon: {seldon.status} {seldon.body!r:.120}")
    path = f"/v2/models/{exp.name}/infer"
    v2 = ep.post(path, {"inputs": "not a list"})
    if not 400 <= v2.status < 500 or not isinstance(v2.body, dict) or "error" not in v2.body:
        problems.append(f"V2: {v2.status} {v2.body!r:.120}")
    return Check(
        "error contract",
        not problems,
        "; ".join(problems) if problems else "4xx with Seldon status FAILURE and V2 {error}",
    )


def latency(budget_ms: float, calls: int = 20) -> Callable[[Endpoint, Expected], Check]:
    def check(ep: Endpoint, exp: Expected) -> Check:
        doc = {"data": {"names": list(exp.columns), "ndarray": [list(exp.rows[0])]}}
        times = sorted(ep.post(SELDON, doc).seconds * 1000 for _ in range(calls))
        p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]  # nearest-rank
        return Check(
            "latency",
            p95 <= budget_ms,
            f"p95 {p95:.1f} ms over {calls} one-row predictions (budget {budget_ms:g} ms)",
        )

    return check


def run_checks(ep: Endpoint, exp: Expected, budget_ms: float) -> list[Check]:
    checks: list[Callable[[Endpoint, Expected], Check]] = [
        seldon_health,
        v2_health,
        v2_metadata,
        seldon_predictions,
        v2_predictions,
        error_contract,
        latency(budget_ms),
    ]
    results = []
    for check in checks:
        try:
            results.append(check(ep, exp))
        except OSError as exc:  # refused, reset, timed out: the endpoint's failure, reported
            results.append(Check(getattr(check, "__name__", "check"), False, f"{ep.url}: {exc}"))
    return results
