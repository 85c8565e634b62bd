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

import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from workbench.core import clock
from workbench.core.errors import WorkbenchError
from workbench.core.redact import redact  # no secret of a URI in a log line
from workbench.serving.loader import ModelSource, load_source, resolve_source
from workbench.serving.source import ServeError

SOURCE_ENV = "WORKBENCH_SERVE_SOURCE"
OPTIONS_ENV = "WORKBENCH_SERVE_OPTIONS"
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
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    offload_bytes: int = 1024 * 1024


def build_app(
    source: ModelSource,
    max_body_bytes: int,
    access_log: bool,
    *,
    body_seconds: float = 30.0,
    offload_bytes: int = 0,
) -> Any:
    """Load the verified model and wrap it in the app (no mlflow for a scikit-learn model).

    `offload_bytes` > 0 forks the offload process (workbench.serving.offload) for bodies at
    least that large; call it before any thread starts.
    """
    from dataclasses import replace as with_fields

    # The model first: skops's import scans every loaded module for each scipy ufunc it trusts,
    # so it costs less before the HTTP stack (starlette, uvicorn, prometheus) is imported.
    predictor = make_predictor(source)

    from workbench.serving.accesslog import AccessLog
    from workbench.serving.app import Served, create_app

    served = Served(
        predictor=predictor,
        name=source.name,
        version=source.version,
        alias=source.alias,
        max_body_bytes=max_body_bytes,
        body_seconds=body_seconds,
    )
    if offload_bytes > 0:
        from workbench.serving.offload import start_offload

        served = with_fields(served, offload=start_offload(served), offload_bytes=offload_bytes)
    return create_app(served, access_log=AccessLog() if access_log else None)


def make_predictor(source: ModelSource) -> Any:
    """Load the verified model and wrap it in the predictor its kind needs."""
    from workbench.serving.formats import is_pyfunc
    from workbench.serving.scipy_docs import skip_doc_rewrites
    from workbench.serving.signature import signature_from_dict, signature_from_model

    skip_doc_rewrites()  # before the model's libraries import scipy (serving.scipy_docs)
    model = load_source(source)
    signature = signature_from_dict(source.signature) or signature_from_model(model)
    if signature is None:
        raise ServeError(
            f"{source.uri}: no input signature (not in model.json, MLmodel, or the estimator's "
            "feature_names_in_/n_features_in_); cannot validate requests. Log the model with "
            "an input_example or a signature."
        )
    if is_pyfunc(model):
        from workbench.serving.pyfunc_predictor import PyfuncPredictor

        return PyfuncPredictor(model, signature)
    from workbench.serving.predictor import Predictor

    try:
        return Predictor(model, signature)
    except AttributeError as exc:  # not an estimator with predict
        raise ServeError(f"{source.uri}: the loaded object cannot predict: {exc}") from None


def app_from_env() -> Any:
    """uvicorn factory for each worker: the parent's resolved source, verified again here."""
    source = ModelSource(**orjson.loads(os.environ[SOURCE_ENV]))
    opts = orjson.loads(os.environ[OPTIONS_ENV])
    return build_app(
        source,
        int(opts["max_body_bytes"]),
        bool(opts["access_log"]),
        body_seconds=float(opts["body_seconds"]),
        offload_bytes=int(opts["offload_bytes"]),
    )


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
    """Resolve MODEL, verify it, and serve it until SIGTERM/SIGINT; any failure to resolve or
    load is one ServeError (exit 2). A folder downloaded for it is removed when serving ends.

    mlflow costs about 100 MB resident and two seconds to import, none of it used by the request
    path of a scikit-learn model, so this process does not import it for one. A models:/ URI on
    a SQL registry is resolved here with one read-only query (workbench.serving.sqlregistry),
    and an MLflow model in a local folder is read in place. Whatever needs mlflow (runs:/, other
    registry stores, a model to download) is resolved by a child process while this one imports
    the serving stack; a version already pinned here is passed to the child pinned, so the alias
    is still resolved exactly once. Only a pyfunc model (not sklearn) imports mlflow here, to load.
    """
    import shutil

    started = clock.monotonic()
    workdir = tempfile.mkdtemp(prefix="workbench-serve-")
    cleanup = [workdir]
    stopped: list[int] = []
    try:
        with _signals_unwind(stopped):
            try:
                source = _resolve(model, opts, workdir)
            except WorkbenchError as exc:
                raise ServeError(str(exc)) from None
            cleanup.append(source.cleanup)
            serve_source(source, opts, started)
    finally:
        for folder in filter(None, cleanup):
            shutil.rmtree(folder, ignore_errors=True)
    if stopped:  # exit by the signal, as uvicorn would have, now that the folders are gone
        signal.signal(stopped[0], signal.SIG_DFL)
        signal.raise_signal(stopped[0])


class _Stopped(BaseException):
    """SIGTERM/SIGINT re-raised by uvicorn after its drain: unwinds serve() through finally."""


@contextlib.contextmanager
def _signals_unwind(stopped: list[int]) -> Any:
    """uvicorn re-raises the signal that stopped it once it has drained; by default that kills
    the process before any `finally` runs, leaving downloaded models behind. Turned into an
    exception here, serve() removes them and then exits by the same signal."""

    def handler(sig: int, frame: Any) -> None:
        stopped.append(sig)
        raise _Stopped

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    except _Stopped:
        pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _resolve(model: str, opts: ServeOptions, workdir: str) -> ModelSource:
    if model.startswith("models:/"):
        from workbench.serving import registry

        try:
            return registry.resolve_registered(
                model, trust_unverified=opts.trust_unverified, allow_mlflow=False
            )
        except registry.NeedsMlflow as need:
            source = _resolve_in_child(need.uri, opts, workdir, need.alias)
            return replace(source, uri=model)
    if model.startswith("runs:/"):
        return _resolve_in_child(model, opts, workdir)
    return resolve_source(model, trust_unverified=opts.trust_unverified)


def _resolve_in_child(uri: str, opts: ServeOptions, workdir: str, alias: str = "") -> ModelSource:
    """`python -m workbench.serving.registry URI` in a child (which imports mlflow), preloading
    the serving stack here meanwhile. A download goes into `workdir`, which serve() removes."""
    child = subprocess.Popen(
        [sys.executable, "-m", "workbench.serving.registry", uri, "--dst", workdir]
        + (["--trust-unverified"] if opts.trust_unverified else [])
        + (["--alias", alias] if alias else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _preload()
    out, err = child.communicate()
    messages = err.decode(errors="replace")
    if child.returncode != 0:
        # the child's last line is its `error: ...`; the rest (mlflow's logging) goes before it
        *before, last = messages.strip().splitlines() or ["resolution failed"]
        sys.stderr.write("".join(f"{line}\n" for line in before))
        raise WorkbenchError(last.removeprefix("error: "))
    sys.stderr.write(messages)
    return ModelSource(**orjson.loads(out))


def _preload() -> None:
    """Import what loading and serving need while the child resolves: the overlap is the gain.

    scikit-learn is a guess (the model store holds scikit-learn estimators); a model that does
    not need it pays only its import.
    """
    import starlette.applications  # noqa: F401
    import uvicorn  # noqa: F401

    import workbench.serving.app  # noqa: F401
    from workbench.serving.scipy_docs import skip_doc_rewrites

    skip_doc_rewrites()  # before scikit-learn imports scipy (serving.scipy_docs)

    with contextlib.suppress(ImportError):
        import sklearn.pipeline  # noqa: F401


@contextlib.contextmanager
def _gc_paused_then_frozen() -> Any:
    """No cyclic garbage collection while the model and its libraries load; then every object
    alive is frozen (never scanned again) and collection resumes.

    Why: importing scikit-learn, scipy and pandas allocates ~300,000 tracked objects, and the
    collector scans them again and again as they pile up, about a tenth of the start-up's CPU,
    to find ~1,000 garbage objects. They live as long as the server, so the freeze also spares
    each later full collection (~0.13 s, a stall on the event loop) from walking them, and keeps
    their pages shared with the forked offload process (which turns collection back on, see
    offload._child_signals): the recipe of the `gc.freeze` documentation.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


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
        "http": "workbench.serving.timeouts:HeaderDeadlineProtocol",
    }
    from workbench.serving.timeouts import HEADER_SECONDS_ENV

    os.environ[HEADER_SECONDS_ENV] = str(opts.header_seconds)
    if opts.workers <= 1:
        try:
            with _gc_paused_then_frozen():
                app = build_app(
                    source,
                    opts.max_body_bytes,
                    opts.access_log,
                    body_seconds=opts.body_seconds,
                    offload_bytes=opts.offload_bytes,
                )
        except WorkbenchError as exc:
            raise ServeError(str(exc)) from None
        _startup_line(source, opts, clock.monotonic() - started)
        uvicorn.run(app, **common)
        return
    # Fail in the parent, before any worker starts, if the file does not verify.
    try:
        make_predictor(source)
    except WorkbenchError as exc:
        raise ServeError(str(exc)) from None
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="workbench-metrics-"))
    os.environ[SOURCE_ENV] = orjson.dumps(source.to_dict()).decode()
    os.environ[OPTIONS_ENV] = orjson.dumps(asdict(opts)).decode()
    _startup_line(source, opts, clock.monotonic() - started)
    uvicorn.run(
        "workbench.serving.server:app_from_env", factory=True, workers=opts.workers, **common
    )
