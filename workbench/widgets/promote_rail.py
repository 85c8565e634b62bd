"""The "Register & promote" tab: the ticked run's model through the promotion gate.

Safety rails: the button stays disabled without `promote_data` (the gate scores the candidate
on it), so a click never registers a model it cannot then judge; and the run's model already
registered under that name is reused instead of registered again as a duplicate version.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W

from workbench.core.errors import WorkbenchError

RegisterFn = Callable[[str, str], str]  # (run_id, model name) -> version
FindFn = Callable[[str, str], "str | None"]  # (run_id, model name) -> existing version
PromoteFn = Callable[..., Any]  # workbench.tracking.promotion.promote's signature
NO_DATA = (
    "Pass <code>promote_data=(X_test, y_test)</code> to <code>workbench.compare()</code>: "
    "the gate scores the candidate against the champion on it, so without it nothing is "
    "registered."
)


def error_html(message: str) -> str:
    return f'<span class="wb-error" style="color:#c92a2a">{html.escape(message)}</span>'


class PromoteRail(W.VBox):
    def __init__(
        self,
        *,
        model_name: str,
        promote_data: tuple[Any, Any] | None,
        register: RegisterFn | None = None,
        promote: PromoteFn | None = None,
        find: FindFn | None = None,
    ) -> None:
        self.promote_data = promote_data
        self._register, self._promote, self._find = register, promote, find
        self.model_name = W.Text(
            value=model_name, description="Model", placeholder="registered model name"
        )
        self.button = W.Button(
            description="Register & promote",
            button_style="primary",
            disabled=promote_data is None,
            tooltip="needs promote_data=(X, y)" if promote_data is None else "",
        )
        self.output = W.HTML(NO_DATA if promote_data is None else "")
        super().__init__([self.model_name, self.button, self.output])

    def _version(self, run_id: str, name: str) -> tuple[str, bool]:
        """(version, reused?): the run's existing version under `name`, else a new one."""
        find, register = self._find, self._register
        if find is None and register is None:  # custom register functions decide themselves
            from workbench.tracking.queries.registry import find_run_model_version

            find = find_run_model_version
        existing = find(run_id, name) if find is not None else None
        if existing is not None:
            return existing, True
        if register is None:
            from workbench.tracking.queries.registry import register_run_model

            register = register_run_model
        return register(run_id, name), False

    def run(self, run_ids: Sequence[str], metric: str, greater_is_better: bool) -> Any:
        """Register (or reuse) the one ticked run's model, then ask the gate; show the result.
        Every check comes before anything is written to the registry."""
        try:
            if self.promote_data is None:
                raise WorkbenchError("promote_data=(X, y) is missing: nothing was registered")
            if len(run_ids) != 1:
                raise WorkbenchError(f"tick exactly one run to register (ticked: {len(run_ids)})")
            name = self.model_name.value.strip()
            if not name:
                raise WorkbenchError("model name: type the registered model's name first")
            version, reused = self._version(run_ids[0], name)
            promote = self._promote
            if promote is None:
                from workbench.tracking.promotion import promote as gate

                promote = gate
            X, y = self.promote_data
            decision = promote(
                name, version, metric=metric, X=X, y=y, greater_is_better=greater_is_better
            )
        except WorkbenchError as exc:
            self.output.value = error_html(str(exc))
            return None
        shown = (
            decision._repr_html_()
            if hasattr(decision, "_repr_html_")
            else f"<pre>{html.escape(str(decision))}</pre>"
        )
        what = "Reused" if reused else "Registered"
        self.output.value = f"{what} {html.escape(name)} v{html.escape(str(version))}.<br>{shown}"
        return decision
