"""Effects that do not travel as step values: refused, naming the cell, or carried explicitly.

Each step runs in its own process, from its inputs only. What the notebook's kernel keeps
besides its variables cannot reach a later step by itself:
- `get_ipython()` in step or helper code: there is no IPython in a step (refused);
- `global NAME` in a function a step defines: the step's cells run inside a function, so the
  notebook's global is the step's local there (NameError; refused);
- a generator crossing a step boundary: it cannot be stored (refused);
- a function defined in a step and called by a later one, after a global it reads was rebound
  or changed: the pipeline's function keeps the old value (refused);
- helper state (a generator or counter in a `functions` cell) changed by helper functions that
  several steps call: each step process imports fresh helpers (refused);
- global library state (`sklearn.set_config`, `pd.set_option`, `np.set_printoptions`,
  `np.random.seed`, matplotlib rc, `warnings.filterwarnings`, `decimal.getcontext().prec = 6`,
  ...) set by a top-level statement:
  replayed at the start of every later step (`global_state`); a seeded global generator that is
  drawn from before a later step draws again cannot be replayed (refused).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from workbench.compiler.blocks import Blocks, Prepared
from workbench.compiler.checks import error_at
from workbench.compiler.dataflow import Binding, Resolved
from workbench.compiler.diagnostics import Diagnostics
from workbench.compiler.names import Ref, Scanner, _arg_names, _stored_names, scan_block

STATE_CALLS = frozenset(
    {
        "set_config", "set_option", "reset_option", "set_printoptions", "seterr", "seed",
        "set_seed", "manual_seed", "manual_seed_all", "rc", "rcdefaults", "use", "set_theme",
        "set_style", "set_context", "set_palette", "filterwarnings", "simplefilter",
        "set_random_seed", "setLevel", "basicConfig", "disable_eager_execution",
    }
)  # fmt: skip
STATE_ATTRIBUTES = ("rcParams", "options")
SEED_CALLS = frozenset({"seed", "set_seed", "manual_seed", "manual_seed_all", "set_random_seed"})
# calls on a global generator's module that do not draw from it
NOT_DRAWS = STATE_CALLS | {"get_state", "set_state", "getstate", "setstate", "default_rng"}
NOT_DRAWS |= {"Generator", "RandomState", "SeedSequence", "PCG64", "MT19937", "Random"}


@dataclass
class GlobalState:
    """A top-level statement that changes library state, to replay in later steps."""

    position: int  # cell index
    owner: str  # the step that runs it ("" for an imports or untagged cell)
    ref: Ref
    text: str
    reads: dict[str, Ref] = field(default_factory=dict)
    seeds: str = ""  # for a seed call: the generator's module chain ("np.random", "random")


def _chain(node: ast.expr) -> list[str]:
    """`a.b.c` -> ["a", "b", "c"]; [] unless the expression is a plain attribute chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(parts)]


def _target_root(node: ast.expr) -> str | None:
    """The name an assignment target hangs from, through calls too:
    `decimal.getcontext().prec` -> "decimal"."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _state_statement(stmt: ast.stmt, modules: set[str]) -> tuple[bool, str]:
    """(changes library state, seeded generator chain)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        chain = _chain(stmt.value.func)
        if not chain or chain[0] not in modules:
            return False, ""
        if chain[-1] in STATE_CALLS or any(a in chain[1:-1] for a in STATE_ATTRIBUTES):
            seeds = ".".join(chain[:-1]) if chain[-1] in SEED_CALLS else ""
            return True, seeds
        return False, ""
    if isinstance(stmt, ast.Assign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            # `pd.options.x = 1`, `mpl.rcParams[k] = v`, `decimal.getcontext().prec = 6`
            root = (
                _target_root(target) if isinstance(target, ast.Attribute | ast.Subscript) else None
            )
            if root in modules:
                return True, ""
    return False, ""


def global_state(blocks: Blocks, modules: set[str]) -> list[GlobalState]:
    """Every top-level state-changing statement of the steps, imports and untagged cells."""
    found: list[GlobalState] = []
    cells = [(p, p.cell.step) for ps in blocks.steps.values() for p in ps]
    cells += [(p, "") for p in blocks.other if p.cell.role in ("imports", "preamble")]
    for prepared, owner in sorted(cells, key=lambda item: item[0].cell.index):
        for stmt in prepared.tree.body:
            changes, seeds = _state_statement(stmt, modules)
            if not changes:
                continue
            usage = scan_block([(prepared.cell.index, ast.Module(body=[stmt], type_ignores=[]))])
            ref = Ref(prepared.cell.index, stmt.lineno)
            found.append(
                GlobalState(prepared.cell.index, owner, ref, ast.unparse(stmt), usage.reads, seeds)
            )
    return found


def _draws(prepared: Prepared, chain: str, after: Ref | None = None) -> list[Ref]:
    refs = []
    for node in ast.walk(prepared.tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            parts = _chain(node.func)
            if ".".join(parts[:-1]) == chain and parts[-1] not in NOT_DRAWS:
                ref = Ref(prepared.cell.index, node.lineno)
                if after is None or (ref.cell, ref.line) > (after.cell, after.line):
                    refs.append(ref)
    return sorted(refs, key=lambda r: (r.cell, r.line))


def check_replayed_seeds(
    blocks: Blocks, states: list[GlobalState], positions: dict[str, int], diags: Diagnostics
) -> None:
    """A later step that draws from a seeded global generator gets the seeded state replayed;
    that is the notebook's state only if nothing drew from it in between."""
    for state in states:
        if not state.seeds:
            continue
        between: list[Ref] = []
        for step, first in sorted(positions.items(), key=lambda item: item[1]):
            if first <= state.position:
                if step == state.owner:
                    for prepared in blocks.steps[step]:
                        between += _draws(prepared, state.seeds, state.ref)
                continue
            mine = [r for p in blocks.steps[step] for r in _draws(p, state.seeds)]
            if mine and between:
                error_at(
                    blocks,
                    diags,
                    mine[0],
                    f"step {step!r} draws from the global generator `{state.seeds}`, which cell "
                    f"{state.position} seeds and cell {between[0].cell} draws from before: each "
                    "step runs in its own process, so this step would start from the seed",
                    name=state.seeds,
                    hint="use a generator object passed between steps "
                    "(rng = np.random.default_rng(seed)), or seed in this step",
                )
                break
            between += mine


def check_ipython_and_globals(blocks: Blocks, diags: Diagnostics) -> None:
    for prepared in [*blocks.functions, *(p for ps in blocks.steps.values() for p in ps)]:
        if "get_ipython" in prepared.cell.source:
            for node in ast.walk(prepared.tree):
                if isinstance(node, ast.Name) and node.id == "get_ipython":
                    error_at(
                        blocks,
                        diags,
                        Ref(prepared.cell.index, node.lineno),
                        "`get_ipython()` in pipeline code: a step runs without IPython",
                        name="get_ipython",
                        hint="rewrite it in plain Python, or move it to a cell tagged skip",
                    )
                    break
    for step, usage in blocks.step_usage.items():
        for name, ref in sorted(usage.global_statements.items()):
            error_at(
                blocks,
                diags,
                ref,
                f"`global {name}` in a function defined in step {step!r}: the step's cells run "
                f"inside a function, where `{name}` is not a global",
                name=name,
                hint="define the function in a functions cell and pass the value as an "
                "argument (return the new value), or keep the state in a step variable",
            )


def check_generators(blocks: Blocks, outputs: dict[str, set[str]], diags: Diagnostics) -> None:
    for step, names in outputs.items():
        usage = blocks.step_usage.get(step)
        for name in sorted(names & set(usage.generators if usage else ())):
            assert usage is not None
            error_at(
                blocks,
                diags,
                usage.generators[name],
                f"`{name}` is a generator that step {step!r} passes to a later step; a "
                "generator cannot be stored between steps",
                name=name,
                hint=f"make `{name}` a list (list(...)) or create the generator in the step "
                "that uses it",
            )


def _function_free_names(prepared: list[Prepared]) -> dict[str, tuple[set[str], Ref]]:
    out: dict[str, tuple[set[str], Ref]] = {}
    for cell in prepared:
        for stmt in cell.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                local = set(_arg_names(stmt.args)) | _stored_names(stmt)
                loads = {
                    n.id
                    for body in stmt.body
                    for n in ast.walk(body)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                }
                out[stmt.name] = (loads - local, Ref(cell.cell.index, stmt.lineno))
    return out


def check_stale_closures(
    blocks: Blocks,
    resolved: dict[str, Resolved],
    table: dict[str, list[Binding]],
    positions: dict[str, int],
    diags: Diagnostics,
) -> None:
    """A step's function reads the step's globals when called; in the pipeline it keeps the
    defining step's values, so a later rebinding or change before the call diverges."""
    defined = {s: _function_free_names(blocks.steps[s]) for s in positions}
    for reader, res in resolved.items():
        if reader not in positions:
            continue
        for func in sorted(res.inputs):
            owners = [
                s for s, fs in defined.items() if func in fs and positions[s] < positions[reader]
            ]
            if not owners:
                continue
            owner = max(owners, key=lambda s: positions[s])
            free, _ = defined[owner][func]
            for var in sorted(free & set(blocks.step_usage[owner].writes)):
                later = [
                    b
                    for b in table.get(var, [])
                    if b.kind == "step"
                    and b.owner != owner
                    and positions[owner] < b.position < positions[reader]
                ]
                usage = blocks.step_usage[reader]
                changed = usage.writes.get(var) or usage.mutations.get(var)
                ref = later[-1].ref if later else changed
                if ref is None:
                    continue
                error_at(
                    blocks,
                    diags,
                    ref,
                    f"step {reader!r} calls `{func}` (defined in step {owner!r}), which reads "
                    f"`{var}`; `{var}` is changed here before the call, but the pipeline's "
                    f"`{func}` keeps the value step {owner!r} had",
                    name=var,
                    hint=f"pass `{var}` to `{func}` as an argument, or define `{func}` in a "
                    "functions cell",
                )


def check_helper_state(
    blocks: Blocks, resolved: dict[str, Resolved], positions: dict[str, int], diags: Diagnostics
) -> None:
    """Helper functions that change helper state (a counter, a generator) called from two or
    more steps: every step process imports fresh helpers, the notebook has one."""
    changed_by: dict[str, set[str]] = {}  # helper value -> helper functions changing it
    for prepared in blocks.functions:
        for stmt in prepared.tree.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            inner = Scanner(blocks.helper_usage.mutated_params)
            for body in stmt.body:
                inner.visit(body)
            declared = {
                n for node in ast.walk(stmt) if isinstance(node, ast.Global) for n in node.names
            }
            local = set(_arg_names(stmt.args)) | (_stored_names(stmt) - declared)
            for name in set(inner.usage.mutations) | declared:
                if name not in local and name in blocks.helper_usage.writes:
                    changed_by.setdefault(name, set()).add(stmt.name)
    for state, functions in sorted(changed_by.items()):
        users = [
            s
            for s in sorted(positions, key=positions.__getitem__)
            if s in resolved and resolved[s].helpers & (functions | {state})
        ]
        callers = [s for s in users if resolved[s].helpers & functions]
        if len(users) < 2 or not callers:
            continue
        step = callers[0]
        usage = blocks.step_usage[step]
        func = sorted(resolved[step].helpers & functions)[0]
        ref = {**usage.late_reads, **usage.reads}.get(func) or Ref(positions[step], 1)
        error_at(
            blocks,
            diags,
            ref,
            f"helper state `{state}` is changed by `{func}` and used by steps "
            f"{', '.join(users)}: each step process imports fresh helpers, so the steps would "
            f"not share `{state}` as the notebook does",
            name=state,
            hint=f"create `{state}` in a step and pass it to the functions as an argument",
        )
