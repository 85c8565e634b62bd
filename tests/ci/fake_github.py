"""A local fake of GitHub's commit status endpoint (POST /repos/OWNER/REPO/statuses/SHA) that
checks each request's shape as GitHub documents it, and its fixture `github` (the base URL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from tests.project_helpers import http_server

TOKEN = "ghp_Zq8wR3nV6tY1uI4oP7aS0dF2gH5jK9lL3xC6"
STATES = {"pending", "success", "failure", "error"}


class FakeGitHub(BaseHTTPRequestHandler):
    """Answers as api.github.com does for a status, after checking the request's shape."""

    seen: ClassVar[list[dict[str, Any]]] = []
    answer = 201
    token = TOKEN

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        record = {"path": self.path, "headers": dict(self.headers), "raw": raw}
        problems = []
        parts = self.path.split("/")
        if len(parts) != 6 or parts[1] != "repos" or parts[4] != "statuses":
            problems.append(f"path {self.path}")
        if self.headers.get("authorization") != f"Bearer {self.token}":
            problems.append("authorization")
        if self.headers.get("accept") != "application/vnd.github+json":
            problems.append("accept")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
            problems.append("body is not JSON")
        if isinstance(body, dict):
            if not set(body) <= {"state", "target_url", "description", "context"}:
                problems.append(f"fields {sorted(body)}")
            if body.get("state") not in STATES:
                problems.append(f"state {body.get('state')!r}")
            if len(body.get("description", "")) > 140:
                problems.append("description over 140 characters")
        record["body"], record["problems"] = body, problems
        self.seen.append(record)
        status = 422 if problems else self.answer
        out = json.dumps(
            {"message": "Validation Failed", "errors": problems}
            if status == 422
            else {"id": 1, "state": body["state"], "context": body["context"]}  # type: ignore[index]
        ).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def github() -> Iterator[str]:
    FakeGitHub.seen, FakeGitHub.answer, FakeGitHub.token = [], 201, TOKEN
    with http_server(FakeGitHub) as port:
        yield f"http://127.0.0.1:{port}"
