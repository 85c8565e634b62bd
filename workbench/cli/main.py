"""`workbench` entry point: a click group whose commands are imported only when invoked.

`workbench --help` lists every command from the table below without importing mlflow, hera or
papermill. Each command lives in its own module under workbench/cli/ and exposes `command`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from workbench import DISTRIBUTION
from workbench.core.errors import WorkbenchError
from workbench.core.fs import os_reason

# name -> (module under workbench.cli, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Scaffold a new workbench project in DIR."),
    "demo-data": ("demo_data", "Write the example raw dataset into the data folder."),
    "run": ("run", "Execute a notebook with papermill as one tracked MLflow run."),
    "ui": ("ui", "Start the MLflow UI on 127.0.0.1 against the project's tracking store."),
    "productionize": (
        "productionize",
        "Compile a tagged notebook into steps, tests and manifests.",
    ),
    "pipeline": ("pipeline", "Run or submit a productionized pipeline."),
    "cache": ("cache", "List or clear the local step cache."),
    "promote": ("promote", "Promote a model version to champion if it beats the current one."),
    "set-image": (
        "set_image",
        "Set an image name, tag or digest in a kustomization (kustomize edit set image).",
    ),
    "server": ("server", "Start the team's MLflow tracking server (PostgreSQL + S3)."),
    "serve": ("serve", "Serve a model over the Seldon, Open Inference and MLflow protocols."),
    "gitops": (
        "gitops",
        "Generate the GitOps delivery platform (Argo Events, Argo CD, Crossplane).",
    ),
    "integration-test": (
        "integration_test",
        "Check a prediction endpoint against the registered model it should serve.",
    ),
    "deploy": ("deploy", "Point a serving overlay at the champion and commit it (GitOps)."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module = importlib.import_module(f"workbench.cli.{self.lazy[cmd_name][0]}")
            command: click.Command = module.command
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # One line per command from the table, so --help imports nothing.
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name=DISTRIBUTION)
def cli() -> None:
    """Workbench: from tracked notebook experiments to pipelines, Argo and serving."""


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a WorkbenchError prints its message (no traceback) and sets the exit code."""
    try:
        cli.main(args=argv, prog_name="workbench", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        from workbench.core.signals import exit_code

        click.echo("Aborted.", err=True)
        cause = exc.__cause__  # click wraps KeyboardInterrupt (and core.signals.Terminated)
        sys.exit(exit_code(cause) if isinstance(cause, KeyboardInterrupt) else 130)
    except WorkbenchError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:  # disk full, a read-only folder, no permission: the file and why
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{os_reason(exc)}", err=True)
        sys.exit(1)
    sys.exit(0)


def entry() -> None:
    """The `workbench` process (the console script and `python -m workbench`): `main()`, then
    CPython's exit without the interpreter's teardown (workbench.core.process_exit), which took
    0.03-0.09 s after `pipeline run` with pandas, jsonschema and rich loaded. Tests call `main`."""
    from workbench.core.process_exit import exit_now, exit_status

    try:
        main()
    except SystemExit as exc:
        exit_now(exit_status(exc))


if __name__ == "__main__":  # pragma: no cover
    entry()
