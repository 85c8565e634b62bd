"""Protocols as a registry: each module provides its routes, `app` only assembles them.

A protocol is one module with a `routes(served) -> list[BaseRoute]` function (and, for its
prediction routes, answer functions registered with `http.register_answer`), plus one line
below. The built-ins register exactly as a new protocol would; tests iterate over `names()`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from workbench.serving.http import Served

RoutesFn = Callable[[Served], list[BaseRoute]]
_PROTOCOLS: dict[str, RoutesFn] = {}


def register(name: str, routes: RoutesFn) -> None:
    """Serve `routes(served)` in every app from now on (a later registration replaces one)."""
    _PROTOCOLS[name] = routes


def names() -> list[str]:
    return list(_PROTOCOLS)


def routes_for(served: Served) -> list[BaseRoute]:
    """Every registered protocol's routes, in registration order."""
    return [route for fn in _PROTOCOLS.values() for route in fn(served)]


def _register_builtins() -> None:
    from workbench.serving.protocols import ops, scoring, seldon, v2

    register("mlflow", scoring.routes)
    register("seldon", seldon.routes)
    register("v2", v2.routes)
    register("ops", ops.routes)


_register_builtins()
