"""`workbench integration-test URL [--model NAME]`: check a prediction endpoint against the
registered model it should serve; exit 1 with a readable report when any check fails."""

from __future__ import annotations

import click

from workbench.core.errors import ConfigError, WorkbenchError


@click.command(name="integration-test")
@click.argument("url")
@click.option(
    "--model",
    default=None,
    help="Registered model NAME (its champion) or a models:/ URI; default: the only one.",
)
@click.option("--latency-ms", default=500.0, show_default=True, help="p95 latency budget.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per request.")
def command(url: str, model: str | None, latency_ms: float, timeout: float) -> None:
    """Health, metadata, predictions equal to the model's own, error contract, latency.

    Exit 0 when every check passes, 1 when one fails, 2 when nothing could be checked.
    """
    from workbench.integration import Endpoint, run_checks
    from workbench.integration.expected import load_expected

    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{url}: expected an http:// or https:// URL")
    try:
        expected = load_expected(model or _only_model())
    except WorkbenchError as exc:  # exit 2: nothing was checked (1 means a check failed)
        raise ConfigError(str(exc)) from exc
    results = run_checks(Endpoint(url, timeout=timeout), expected, latency_ms)
    click.echo(f"integration test of {url} against {expected.name} version {expected.version}")
    for result in results:
        click.echo(f"  {'PASS' if result.ok else 'FAIL'}  {result.name}: {result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        click.echo(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}")
        raise SystemExit(1)
    click.echo(f"all {len(results)} checks passed")


def _only_model() -> str:
    from workbench.tracking.config import tracking_client

    names = sorted(m.name for m in tracking_client().search_registered_models())
    if len(names) != 1:
        raise WorkbenchError(
            f"--model is needed: the registry holds {len(names)} models"
            + (f" ({', '.join(names[:5])})" if names else "")
        )
    return names[0]
