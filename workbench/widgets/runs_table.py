"""The runs table as a small anywidget: server-rendered HTML plus two kinds of click.

Python renders the whole table (`table_html.render_table_html`, a pure function); the front
end only puts that HTML in place and reports clicks back as trait changes: a header click sets
`sort`/`ascending`, a row checkbox changes `selected`. No front-end framework and no chart
library load with it, so the table shows as soon as its HTML arrives. A headless test does what
a click does by setting the same traits.
"""

from __future__ import annotations

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "wb-runs-table";
  el.appendChild(box);
  const draw = () => { box.innerHTML = model.get("value"); };
  const tick = () => {
    const chosen = new Set(model.get("selected"));
    for (const input of box.querySelectorAll("input.wb-select")) {
      input.checked = chosen.has(input.dataset.runId);
    }
  };
  box.addEventListener("click", (event) => {
    const head = event.target.closest("th[data-column]");
    if (!head || !box.contains(head)) return;
    const column = head.dataset.column;
    // the same column again flips the order; a new metric starts with its own best first
    if (column === model.get("sort")) {
      model.set("ascending", !model.get("ascending"));
    } else {
      model.set("sort_request", column);
    }
    model.save_changes();
  });
  box.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input.wb-select")) return;
    const chosen = model.get("selected").filter((id) => id !== input.dataset.runId);
    if (input.checked) chosen.push(input.dataset.runId);
    model.set("selected", chosen);
    model.save_changes();
  });
  model.on("change:value", draw);
  model.on("change:selected", tick);
  draw();
  // the table is on screen: now the kernel may build the open tab's chart
  requestAnimationFrame(() => model.send({ event: "shown" }));
}
export default { render };
"""

_CSS = """
.wb-runs-table th[data-column]:hover { text-decoration: underline; }
.wb-runs-table tr.wb-row:hover td { filter: brightness(0.97); }
"""


class RunsTable(anywidget.AnyWidget):
    """`value`: the table's HTML; `selected`: ticked run ids, in the order they were ticked;
    `sort`/`ascending`: the order shown; `sort_request`: a header click on another column
    (the view decides that column's direction and resets it to "")."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    value = traitlets.Unicode("").tag(sync=True)
    selected = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    sort = traitlets.Unicode("").tag(sync=True)
    ascending = traitlets.Bool(False).tag(sync=True)
    sort_request = traitlets.Unicode("").tag(sync=True)
