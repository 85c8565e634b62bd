"""MLflow's run filter language, translated to SQL conditions exactly as `search_runs` reads it.

The grammar is MLflow's own parser (`SearchUtils.parse_search_filter`); what each key type may be
compared with is MLflow's own validators (`SearchUtils.is_string_attribute`,
`is_numeric_attribute`, `is_metric`, `is_param`, `is_tag`, `is_dataset`), called in the order
MLflow's SqlAlchemyStore calls them, so `params.C > '0.5'`, `metrics.x LIKE 0.5` or `==` are
refused here with MLflow's message exactly when `mlflow.search_runs` refuses them. The comparison
itself is MLflow's `get_sql_comparison_func` for the store's dialect, NaN metrics follow MLflow's
rule, and `run_name` goes through the `mlflow.runName` tag as in MLflow.
tests/widgets/test_filter_language.py checks reader and `search_runs` against each other on
generated filters.

Table objects come from the caller (the SQL reader owns MLflow's table layout), so this module
only knows the filter language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    import sqlalchemy as sa

RUN_NAME_TAG = "mlflow.runName"


class FilterError(WorkbenchError):
    """A filter or sort key MLflow would refuse; the message is MLflow's, naming the filter."""

    exit_code = 2


class Untranslatable(Exception):
    """A valid filter term this reader does not translate (dataset terms): use MlflowClient."""


@dataclass(frozen=True)
class Tables:
    """MLflow's `runs`, `params`, `tags` and `latest_metrics` tables, as SQLAlchemy tables."""

    runs: sa.TableClause
    params: sa.TableClause
    tags: sa.TableClause
    latest: sa.TableClause


@dataclass(frozen=True)
class Term:
    """One checked comparison: kind is attribute, metric, parameter, tag or dataset."""

    kind: str
    key: str
    comparator: str
    value: Any


def parse_filter(filter_string: str) -> list[dict[str, Any]]:
    """MLflow's own parse of a search filter; a syntax error is a FilterError naming it."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    try:
        parsed: list[dict[str, Any]] = SearchUtils.parse_search_filter(filter_string)
    except MlflowException as exc:
        raise FilterError(f"filter {filter_string!r}: {exc.message}") from exc
    return parsed


def check_terms(filter_string: str) -> list[Term]:
    """The parsed terms, each validated for its key type the way MLflow's SQL store does."""
    if not filter_string.strip():  # before importing mlflow: the first table needs none
        return []
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils as S

    terms: list[Term] = []
    for raw in parse_filter(filter_string):
        kind, value = raw.get("type"), raw.get("value")
        key = S.translate_key_alias(raw.get("key"))
        comparator = str(raw.get("comparator")).upper()
        try:
            if S.is_string_attribute(kind, key, comparator) or S.is_numeric_attribute(
                kind, key, comparator
            ):
                kind = "attribute"
            elif S.is_metric(kind, comparator):
                value = float(str(value))
            elif not (
                S.is_param(kind, comparator)
                or S.is_tag(kind, comparator)
                or S.is_dataset(kind, comparator)
            ):
                raise MlflowException(f"Invalid search expression type '{kind}'")
        except MlflowException as exc:
            raise FilterError(f"filter {filter_string!r}: {exc.message}") from exc
        terms.append(Term(str(kind), key, comparator, value))
    return terms


def _exists(t: Tables, table: sa.TableClause, key: str, cond: Any) -> Any:
    import sqlalchemy as sa

    return (
        sa.select(sa.literal(1))
        .select_from(table)
        .where(table.c.run_uuid == t.runs.c.run_uuid, table.c.key == key, cond)
        .exists()
    )


def _compare(comparator: str, dialect: str) -> Any:
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    try:
        return SearchUtils.get_sql_comparison_func(comparator, dialect)
    except (KeyError, MlflowException) as exc:  # KeyError: a dialect MLflow does not know
        raise Untranslatable(f"{comparator} on {dialect}") from exc


def where_clauses(filter_string: str, dialect: str, t: Tables) -> list[Any]:
    """SQL conditions on `t.runs` for the filter (FilterError, or Untranslatable for datasets)."""
    import sqlalchemy as sa

    clauses: list[Any] = []
    for term in check_terms(filter_string):
        compare = _compare(term.comparator, dialect)
        if term.kind == "attribute":
            if term.key == "run_name":  # the tag: old runs have it, their name column is empty
                clauses.append(
                    _exists(t, t.tags, RUN_NAME_TAG, compare(t.tags.c.value, term.value))
                )
                continue
            column = {"run_name": "name", "run_id": "run_uuid"}.get(term.key, term.key)
            if column not in t.runs.c:
                raise Untranslatable(term.key)
            clauses.append(compare(t.runs.c[column], term.value))
            continue
        if term.kind == "dataset":
            raise Untranslatable("dataset")
        table = {"metric": t.latest, "parameter": t.params, "tag": t.tags}[term.kind]
        if term.comparator in ("IS NULL", "IS NOT NULL"):
            found = _exists(t, table, term.key, sa.true())
            clauses.append(~found if term.comparator == "IS NULL" else found)
            continue
        cond = compare(table.c.value, term.value)
        if term.kind == "metric":
            # NaN is stored as 0 with is_nan set: only "!=" may match it (MLflow's rule)
            nan = table.c.is_nan == sa.true()
            cond = sa.or_(cond, nan) if term.comparator == "!=" else sa.and_(cond, ~nan)
        clauses.append(_exists(t, table, term.key, cond))
    return clauses


def check_order_attribute(key: str, valid: Sequence[str] | None = None) -> None:
    """An attribute sort key MLflow can order by; anything else is a FilterError."""
    from mlflow.utils.search_utils import SearchUtils

    allowed = sorted(valid if valid is not None else SearchUtils.VALID_ORDER_BY_ATTRIBUTE_KEYS)
    if key not in allowed:
        raise FilterError(
            f"sort by attribute {key!r}: not one of {', '.join(allowed)} (MLflow's order_by keys)"
        )
