"""Run the app under uvicorn: resolve and verify once, then serve on 127.0.0.1 by default.

One worker: the app is built in this process and handed to uvicorn. Several: uvicorn spawns
workers that each call `app_from_env`, which loads the same pinned, verified file the parent
resolved (passed as JSON in an environment variable), so an alias is resolved exactly once and
every worker checks the sha256 again before unpickling. Metrics then use prometheus-client's
multiprocess mode in a temporary folder.

Shutdown is uvicorn's: on SIGTERM/SIGINT it stops accepting, lets in-flight requests finish
(up to `graceful_seconds`), then exits.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from workbench.core.errors import WorkbenchError
from workbench.serving.loader import ModelSource, load_source, resolve_source

SOURCE_ENV = "WORKBENCH_SERVE_SOURCE"
OPTIONS_ENV = "WORKBENCH_SERVE_OPTIONS"
EXECED_ENV = "WORKBENCH_SERVE_EXECED"  # set across the re-exec: its value is the start time
log = logging.getLogger("workbench.serving")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 64 * 1024 * 1024
    access_log: bool = True
    graceful_seconds: float = 30.0
    trust_unverified: bool = False


def build_app(source: ModelSource, max_body_bytes: int, access_log: bool) -> Any:
    """Load the verified model and wrap it in the app (imports no mlflow)."""
    from workbench.serving.accesslog import AccessLog
    from workbench.serving.app import Served, create_app
    from workbench.serving.predictor import Predictor
    from workbench.serving.signature import signature_from_dict, signature_from_model

    model = load_source(source)
    signature = signature_from_dict(source.signature) or signature_from_model(model)
    if signature is None:
        raise WorkbenchError(
            f"{source.uri}: no input signature (not in model.json, MLmodel, or the estimator's "
            "feature_names_in_/n_features_in_); cannot validate requests"
        )
    served = Served(
        predictor=Predictor(model, signature),
        name=source.name,
        version=source.version,
        alias=source.alias,
        max_body_bytes=max_body_bytes,
    )
    return create_app(served, access_log=AccessLog() if access_log else None)


def app_from_env() -> Any:
    """uvicorn factory for each worker: the parent's resolved source, verified again here."""
    source = ModelSource(**orjson.loads(os.environ[SOURCE_ENV]))
    opts = orjson.loads(os.environ[OPTIONS_ENV])
    return build_app(source, int(opts["max_body_bytes"]), bool(opts["access_log"]))


def redact(uri: str) -> str:
    """`scheme://user:password@host/...` -> `scheme://***@host/...`: no secret in a log line."""
    return re.sub(r"://[^/@]+@", "://***@", uri)


def _startup_line(source: ModelSource, opts: ServeOptions, seconds: float) -> None:
    sys.stderr.write(
        orjson.dumps(
            {
                "event": "start",
                "model": redact(source.uri),
                "file": redact(source.path),
                "name": source.name,
                "version": source.version,
                "alias": source.alias,
                "sha256": source.sha256,
                "verified": source.verified,
                "listen": f"http://{opts.host}:{opts.port}",
                "workers": opts.workers,
                "load_seconds": round(seconds, 3),
                "mlflow_imported": "mlflow" in sys.modules,
            }
        ).decode()
        + "\n"
    )


def serve(model: str, opts: ServeOptions) -> None:
    """Resolve MODEL, verify it, and serve it until SIGTERM/SIGINT.

    Resolving a models:/ or runs:/ URI imports mlflow (about 100 MB resident, and nothing the
    request path uses). Once the file is pinned, the process re-executes itself without it
    (same pid, so signals and container supervision are unaffected) and serves from there.
    """
    started = time.time()
    source = resolve_source(model, trust_unverified=opts.trust_unverified)
    if "mlflow" in sys.modules and not os.environ.get(EXECED_ENV):
        os.environ[SOURCE_ENV] = orjson.dumps(source.to_dict()).decode()
        os.environ[OPTIONS_ENV] = orjson.dumps(asdict(opts)).decode()
        os.environ[EXECED_ENV] = repr(started)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "workbench.serving.server"])
    serve_source(source, opts, started)


def serve_source(source: ModelSource, opts: ServeOptions, started: float) -> None:
    """Serve an already resolved source (loading and verifying it here)."""
    import uvicorn

    common: dict[str, Any] = {
        "host": opts.host,
        "port": opts.port,
        "access_log": False,  # ours is structured; uvicorn's would duplicate it
        "log_level": "warning",
        "timeout_graceful_shutdown": opts.graceful_seconds,
        "server_header": False,
    }
    if opts.workers <= 1:
        app = build_app(source, opts.max_body_bytes, opts.access_log)
        _startup_line(source, opts, time.time() - started)
        uvicorn.run(app, **common)
        return
    # Fail in the parent, before any worker starts, if the file does not verify.
    load_source(source)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="workbench-metrics-"))
    os.environ[SOURCE_ENV] = orjson.dumps(source.to_dict()).decode()
    os.environ[OPTIONS_ENV] = orjson.dumps(asdict(opts)).decode()
    _startup_line(source, opts, time.time() - started)
    uvicorn.run(
        "workbench.serving.server:app_from_env", factory=True, workers=opts.workers, **common
    )


def main() -> None:
    """Entry after the re-exec in `serve`: the resolved source and options come in the env."""
    source = ModelSource(**orjson.loads(os.environ[SOURCE_ENV]))
    opts = ServeOptions(**orjson.loads(os.environ[OPTIONS_ENV]))
    started = float(os.environ.pop(EXECED_ENV, "") or time.time())
    try:
        serve_source(source, opts, started)
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
