"""`workbench serve MODEL`: the prediction microservice (also the serving image's entry point)."""

from __future__ import annotations

import click


@click.command("serve")
@click.argument("model")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--max-body-bytes",
    default=64 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="Larger request bodies get 413.",
)
@click.option("--access-log/--no-access-log", default=True, show_default=True)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client has to send a request's headers (then 408 and close).",
)
@click.option(
    "--body-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a client has to send a request's body (then 408).",
)
@click.option(
    "--trust-unverified",
    is_flag=True,
    help="Load an MLflow artifact that no recorded sha256 vouches for (never one that mismatches).",
)
def command(
    model: str,
    host: str,
    port: int,
    workers: int,
    max_body_bytes: int,
    access_log: bool,
    header_timeout: float,
    body_timeout: float,
    trust_unverified: bool,
) -> None:
    """Serve MODEL over the Seldon v1, Open Inference (V2) and MLflow scoring protocols.

    MODEL is models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH, a model-store
    folder (<store>/<NAME>/<VERSION>/) or its model.pkl, or a local MLflow model folder.
    """
    import os

    from workbench.core.native_threads import default_one_thread

    # before numpy loads: requests and workers are the concurrency; a BLAS pool per process
    # would spin against the start-up imports and the other requests (set the variables to
    # give one request more threads)
    default_one_thread(os.environ)
    from workbench.serving.server import ServeOptions, serve

    serve(
        model,
        ServeOptions(
            host=host,
            port=port,
            workers=workers,
            max_body_bytes=max_body_bytes,
            access_log=access_log,
            header_seconds=header_timeout,
            body_seconds=body_timeout,
            trust_unverified=trust_unverified,
        ),
    )
