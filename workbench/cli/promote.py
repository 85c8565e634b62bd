"""`workbench promote MODEL --metric M --data URI --target COL`: run the promotion gate.

MODEL is NAME (its latest version) or models:/NAME/VERSION. Exit 0 whether or not the candidate
was promoted (both are valid outcomes of a pipeline step); non-zero only on errors.
"""

from __future__ import annotations

import click

from workbench.core.errors import DataError, WorkbenchError


def parse_model(text: str) -> tuple[str, int | None]:
    """NAME or models:/NAME/VERSION -> (name, version or None)."""
    if not text.startswith("models:/"):
        if not text or "/" in text:
            raise WorkbenchError(f"MODEL {text!r}: expected NAME or models:/NAME/VERSION")
        return text, None
    name, _, version = text[len("models:/") :].rpartition("/")
    if not name or not version.isdigit():
        raise WorkbenchError(
            f"MODEL {text!r}: expected models:/NAME/VERSION with a numeric version"
        )
    return name, int(version)


@click.command()
@click.argument("model")
@click.option(
    "--metric",
    required=True,
    help="accuracy, f1, precision, recall, roc_auc, log_loss, rmse, mae or r2.",
)
@click.option(
    "--greater-is-better/--lower-is-better",
    "greater_is_better",
    default=None,
    help="Direction of the metric (default: known per metric).",
)
@click.option(
    "--force-direction",
    is_flag=True,
    help="Use the direction given even when it contradicts the metric's known one.",
)
@click.option("--min-delta", type=float, default=0.0, show_default=True, help="Required margin.")
@click.option("--data", "data_uri", required=True, help="Evaluation data: a file or URL.")
@click.option("--target", required=True, help="Label column in the evaluation data.")
def command(
    model: str,
    metric: str,
    greater_is_better: bool | None,
    force_direction: bool,
    min_delta: float,
    data_uri: str,
    target: str,
) -> None:
    """Promote a model version to champion if it beats the current one."""
    import workbench.data
    from workbench.tracking.promotion import promote

    name, version = parse_model(model)
    frame = workbench.data.load(data_uri)
    if target not in frame.columns:
        raise DataError(
            f"{data_uri}: no target column {target!r} (columns: {', '.join(map(str, frame.columns))})"
        )
    decision = promote(
        name,
        version,
        metric=metric,
        X=frame.drop(columns=[target]),
        y=frame[target],
        greater_is_better=greater_is_better,
        min_delta=min_delta,
        force_direction=force_direction,
    )
    click.echo(str(decision))
