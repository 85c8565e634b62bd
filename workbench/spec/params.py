"""The parameter model: one table of parameter types, read by every consumer.

A pipeline parameter's type comes from its default in the `parameters` cell. Each type says
once, here:
- `annotation`: how a generated step function annotates it;
- `parse(text)`: the value of a command-line text (`--param NAME=TEXT` of a step, `workbench
  pipeline run -p`, `workbench run -p`, `pipeline submit -p`), with a clear error when it does
  not fit;
- `text(value)`: the canonical text of a value: what the runner passes to a step, what its cache
  key hashes, what an Argo workflow parameter holds (so the local key and the Argo key agree),
  and what `pipeline submit` sends; `parse(text(v)) == v` for every value of the type;
- `papermill_flag`: how the notebook WorkflowTemplate hands it to `workbench run` (`-r` keeps a
  string raw, `-p` parses by the declared type).

Values are plain literals (what `ast.literal_eval` yields, minus sets, bytes and complex
numbers): bool, int, float, str, None, and lists, tuples and dicts of those. Container texts are
Python literals (`repr`), which keep tuples, non-string keys and dict insertion order; on input
JSON is accepted too (`[1, 2]`, `{"a": true}`), and a list given for a tuple parameter (or the
reverse) is converted, since JSON has no tuples.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_PLAIN = (bool, int, float, str, type(None))


def is_plain(value: Any) -> bool:
    """Whether `value` is a literal the parameter model can carry (recursively)."""
    if type(value) in _PLAIN:
        return True
    if type(value) in (list, tuple):
        return all(is_plain(v) for v in value)
    if type(value) is dict:
        return all(is_plain(k) and type(k) not in (list, dict) for k in value) and all(
            is_plain(v) for v in value.values()
        )
    return False


def _literal(text: str) -> Any:
    """A Python literal, else JSON; ValueError naming what was expected when neither."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError("expected a Python literal or JSON") from None


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("expected True or False")


def _parse_int(text: str) -> int:
    return int(text.strip())


def _parse_float(text: str) -> float:
    return float(text.strip())


def _container(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = _literal(text)
        if kind in (list, tuple) and type(value) in (list, tuple):
            value = kind(value)
        if type(value) is not kind:
            raise ValueError(f"expected a {kind.__name__}, got a {type(value).__name__}")
        if not is_plain(value):
            raise ValueError("only numbers, strings, booleans, None, lists, tuples and dicts")
        return value

    return parse


def _parse_any(text: str) -> Any:
    """A `None`-default parameter takes any literal; a text that is none stays a string."""
    try:
        value = _literal(text)
    except ValueError:
        return text
    return value if is_plain(value) else text


def _text_float(value: Any) -> str:
    return repr(float(value))


def _text_literal(value: Any) -> str:
    if not is_plain(value):
        raise ValueError(f"{type(value).__name__} values cannot be parameters")
    if _has_non_finite(value):
        raise ValueError("nan and inf only as plain float parameters")
    return repr(value)


def _has_non_finite(value: Any) -> bool:
    if type(value) is float:
        return not math.isfinite(value)
    if type(value) in (list, tuple):
        return any(_has_non_finite(v) for v in value)
    if type(value) is dict:
        return any(_has_non_finite(v) for v in (*value, *value.values()))
    return False


@dataclass(frozen=True)
class ParamType:
    """One row of the table (see the module docstring)."""

    name: str
    python: type  # the exact Python type of a default of this type
    annotation: str
    _parse: Callable[[str], Any]
    _text: Callable[[Any], str]
    papermill_flag: str = "-p"

    def parse(self, text: str) -> Any:
        try:
            return self._parse(text)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(f"{text!r} is not a valid {self.name} ({exc})") from None

    def text(self, value: Any) -> str:
        return self._text(value)


TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType("bool", bool, "bool", _parse_bool, repr),
        ParamType("int", int, "int", _parse_int, repr),
        ParamType("float", float, "float", _parse_float, _text_float),
        ParamType("str", str, "str", str, str, papermill_flag="-r"),
        ParamType("list", list, "list[Any]", _container(list), _text_literal),
        ParamType("tuple", tuple, "tuple[Any, ...]", _container(tuple), _text_literal),
        ParamType("dict", dict, "dict[Any, Any]", _container(dict), _text_literal),
        ParamType("none", type(None), "Any", _parse_any, _text_literal),
    )
}
PARAM_TYPES = tuple(TYPES)


def param_type(name: str) -> ParamType:
    try:
        return TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown parameter type {name!r} (known: {', '.join(PARAM_TYPES)})"
        ) from None


def type_of(value: Any) -> str | None:
    """The type name of a default, or None when the value cannot be a parameter."""
    if not is_plain(value) or (_has_non_finite(value) and type(value) is not float):
        return None
    for row in TYPES.values():
        if type(value) is row.python:
            return row.name
    return None


def parse_param(name: str, text: str, type_name: str) -> Any:
    """`--param NAME=TEXT` parsed by the declared type; ValueError naming the parameter."""
    try:
        return param_type(type_name).parse(text)
    except ValueError as exc:
        raise ValueError(f"parameter {name}: {exc}") from None


def param_text(type_name: str, value: Any) -> str:
    """The canonical text of a value of a parameter of `type_name` (command line, cache key,
    Argo parameter value)."""
    return param_type(type_name).text(value)


def normalise_texts(
    types: Mapping[str, str], given: Mapping[str, str], *, owner: str = "pipeline"
) -> dict[str, str]:
    """Override texts checked against the declared types and rewritten canonically (`C=1` for a
    float becomes `1.0`, the text the local runner hashes). Unknown names are refused, listing
    the known ones."""
    unknown = sorted(set(given) - set(types))
    if unknown:
        known = ", ".join(sorted(types)) or "none"
        raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)} (known: {known})")
    return {
        name: param_text(types[name], parse_param(name, text, types[name]))
        for name, text in given.items()
    }
