"""Which names a block of cells reads, binds and changes in place, in execution order.

A scope-aware walk over `ast`: reads are recorded only when the name is not yet bound at that
point (so `x = 1; print(x)` reads nothing from outside), comprehension and lambda variables stay
local, function and method bodies are analysed when defined but their free names only count as
reads if the block never binds them (they are looked up at call time).

In-place mutation of a name the block did not bind itself is recorded separately (the rule the
compiler applies: such a name becomes an output of the mutating step too). Mutation through
methods and library calls is mostly invisible to `ast`, so the rules over-approximate:
- any method call on it, unless the method is known not to change its receiver
  (`PURE_METHODS`: `df.head()`, `model.predict(X)`, ...): `lst.append(x)`, `est.fit(X, y)`,
  `log.record(...)`, `rng.lognormal(...)` (every draw advances a generator), any call with
  `inplace=True`;
- item or attribute assignment and deletion: `X[:, 0] = ...`, `df.loc[m, "a"] = ...`,
  `obj.attr = ...`, `del d[k]`, `X[i] += 1`;
- passing it first to a library function known to change it (`MUTATING_FUNCTIONS`:
  `random.shuffle`, `heapq.heappush`, `bisect.insort`, `np.fill_diagonal`, `next`, ...);
- passing it, by position or keyword, to a function of the notebook (a `functions` cell or a
  step) that mutates that parameter by the rules above;
- mutating a name bound to one of its elements: a loop variable over it (`for m in
  models.values(): m.fit(X, y)`), `v = d[k]`.
Calls into other libraries that mutate their arguments cannot all be seen; document such a
step's side effect by re-assigning the name (`df = clean(df)`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

MUTATING_METHODS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
        "setdefault", "popitem", "add", "discard", "difference_update", "intersection_update",
        "symmetric_difference_update", "fit", "partial_fit", "fit_transform", "fit_predict",
        "set_params", "resize", "fill", "put", "itemset", "appendleft", "extendleft",
        "rotate", "popleft", "shuffle", "set_output", "setflags",
    }
)  # fmt: skip
# Methods known to leave their receiver as it was (pandas, numpy, scikit-learn, builtins): a call
# of any other method on a name counts as changing it (see the module docstring).
PURE_METHODS = frozenset(
    {
        "copy", "head", "tail", "describe", "info", "sum", "mean", "median", "std", "var", "min",
        "max", "count", "nunique", "unique", "value_counts", "groupby", "agg", "aggregate",
        "apply", "map", "applymap", "transform", "predict", "predict_proba", "predict_log_proba",
        "decision_function", "score", "score_samples", "items", "keys", "values", "get",
        "index", "astype", "reshape", "round", "drop", "dropna", "fillna", "rename",
        "reset_index", "set_index", "sort_values", "sort_index", "merge", "join", "query",
        "filter", "select_dtypes", "isna", "isnull", "notna", "notnull", "any", "all", "corr",
        "cov", "plot", "hist", "boxplot", "pivot", "pivot_table", "melt", "stack", "unstack",
        "explode", "sample", "shift", "diff", "pct_change", "cumsum", "cumprod", "cummax",
        "cummin", "rolling", "expanding", "ewm", "resample", "clip", "abs", "dot", "transpose",
        "flatten", "ravel", "argmax", "argmin", "argsort", "nonzero", "where", "mask", "isin",
        "between", "duplicated", "drop_duplicates", "idxmax", "idxmin", "nlargest",
        "nsmallest", "quantile", "prod", "mode", "sem", "skew", "kurt", "format", "split",
        "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "title", "replace",
        "startswith", "endswith", "encode", "decode", "find", "most_common", "total", "view",
        "squeeze", "item", "equals", "memory_usage", "iterrows", "itertuples", "assign",
        "interpolate", "combine_first", "align", "reindex", "asfreq", "floor", "ceil", "bfill",
        "ffill", "inverse_transform", "kneighbors", "staged_predict", "pipe", "eval", "take",
        "tolist", "nbytes", "conjugate", "compress", "searchsorted", "repeat", "swapaxes",
        "union", "intersection", "difference", "symmetric_difference", "issubset",
        "issuperset", "isdisjoint", "casefold", "zfill", "center", "ljust", "rjust",
        "partition", "rpartition", "splitlines", "count_nonzero", "savefig", "show", "fetchall",
        "fetchone", "first", "last", "nth", "size", "to", "cpu", "numpy", "detach", "truncate",
        "add_prefix", "add_suffix", "set_axis", "droplevel", "swaplevel", "xs", "at_time",
        "between_time", "corrwith", "rank",
    }
)  # fmt: skip
PURE_PREFIXES = ("to_", "get_", "is", "has", "as")
FITTING_METHODS = frozenset({"fit", "partial_fit", "fit_transform", "fit_predict"})
# Library functions that change their first argument in place (called as `module.f` or `f`).
MUTATING_FUNCTIONS = frozenset(
    {
        "shuffle", "copyto", "fill_diagonal", "put", "place", "putmask", "put_along_axis",
        "heapify", "heappush", "heappop", "heapreplace", "heappushpop", "insort",
        "insort_left", "insort_right", "next",
    }
)  # fmt: skip
MODEL_FACTORIES = frozenset({"Pipeline", "make_pipeline", "ColumnTransformer"})


# function name -> (position or -1, name) of each parameter it changes in place
Mutations = dict[str, tuple[tuple[int, str], ...]]


@dataclass(frozen=True)
class ImportBinding:
    """One imported name: `import a.b as c` -> module "a.b", name "", asname "c"."""

    module: str
    name: str  # "" for `import module`
    asname: str
    level: int = 0

    @property
    def bound(self) -> str:
        if self.name:
            return self.asname or self.name
        return self.asname or self.module.split(".")[0]

    def statement(self) -> str:
        if self.name:
            alias = f" as {self.asname}" if self.asname and self.asname != self.name else ""
            return f"from {'.' * self.level}{self.module} import {self.name}{alias}"
        if self.asname:
            return f"import {self.module} as {self.asname}"
        return f"import {self.module}"


@dataclass(frozen=True)
class Ref:
    """Where something happens: cell index and 1-based line in that cell."""

    cell: int
    line: int


@dataclass
class Usage:
    reads: dict[str, Ref] = field(default_factory=dict)  # read before bound in the block
    late_reads: dict[str, Ref] = field(default_factory=dict)  # free names of def/lambda bodies
    writes: dict[str, Ref] = field(default_factory=dict)
    # names bound by a statement that always runs (not only inside if / for / while / try)
    definite: set[str] = field(default_factory=set)
    mutations: dict[str, Ref] = field(default_factory=dict)  # changed in place, not bound first
    imports: dict[str, ImportBinding] = field(default_factory=dict)
    import_refs: dict[str, Ref] = field(default_factory=dict)
    star_imports: list[Ref] = field(default_factory=list)
    future_imports: list[Ref] = field(default_factory=list)
    fitted: set[str] = field(default_factory=set)
    defs: dict[str, Ref] = field(default_factory=dict)  # functions and classes
    # function -> (position or -1 for keyword-only, name) of each parameter it mutates
    mutated_params: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    # names bound to a literal container of other names (`combine = [train_df, test_df]`):
    # name -> (where, element names, the literal's source)
    containers: dict[str, tuple[Ref, tuple[str, ...], str]] = field(default_factory=dict)
    # mutations recorded only because an unknown method was called on the name
    guessed: set[str] = field(default_factory=set)
    # names a statement `global NAME` in a function body declares
    global_statements: dict[str, Ref] = field(default_factory=dict)
    # names bound to a generator (a generator expression, or a call of a generator function)
    generators: dict[str, Ref] = field(default_factory=dict)

    def free_late_reads(self) -> dict[str, Ref]:
        return {n: r for n, r in self.late_reads.items() if n not in self.writes}


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _stored_names(node: ast.AST) -> set[str]:
    """Names a function body binds (its locals), not looking into nested scopes."""
    names: set[str] = set()
    todo: list[ast.AST] = [node]
    while todo:
        current = todo.pop()
        for child in ast.iter_child_nodes(current):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(child.name)
                todo.extend(child.decorator_list)
                continue
            if isinstance(child, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp):
                continue
            if isinstance(child, ast.GeneratorExp):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
                names.add(child.id)
            elif isinstance(child, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in child.names)
            elif isinstance(child, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and child.name:
                names.add(child.name)
            todo.append(child)
    return names


def _arg_names(args: ast.arguments) -> list[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return [a.arg for a in every]


class Scanner:
    """Walks the cells of one block (a step, or one role cell) in order, filling a Usage."""

    def __init__(self, helper_mutations: Mutations | None = None) -> None:
        self.usage = Usage()
        self.aliases: dict[str, str] = {}  # a name bound to an element of another name
        self._mutating: set[str] = set()
        self.generator_functions: set[str] = set()
        self.bound: set[str] = set()
        self.locals: list[set[str]] = []  # comprehension / lambda / function scopes
        self.cell = 0
        self.depth = 0  # > 0 inside a branch or loop body: a binding there may not happen
        self.helper_mutations = helper_mutations or {}

    def scan(self, tree: ast.Module, cell: int) -> Usage:
        self.cell = cell
        for stmt in tree.body:
            self.visit(stmt)
        return self.usage

    def ref(self, node: ast.AST) -> Ref:
        return Ref(self.cell, getattr(node, "lineno", 1))

    # ---- names
    def load(self, name: str, node: ast.AST) -> None:
        if any(name in scope for scope in self.locals):
            return
        if self.locals and self._in_function:
            if name not in self.bound:
                self.usage.late_reads.setdefault(name, self.ref(node))
            return
        if name not in self.bound:
            self.usage.reads.setdefault(name, self.ref(node))

    def store(self, name: str, node: ast.AST) -> None:
        if self.locals and (self._in_function or name in self.locals[-1]):
            return
        self.bound.add(name)
        self.usage.writes.setdefault(name, self.ref(node))
        if not self.depth:
            self.usage.definite.add(name)

    def mutate(self, target: ast.expr, node: ast.AST) -> None:
        name = _base_name(target)
        if name is None:
            return
        container = self.aliases.get(name)
        if container is not None and container not in self._mutating:
            # changing an element changes the container it came from
            self._mutating.add(name)
            self.mutate(ast.Name(id=container, ctx=ast.Load()), node)
            self._mutating.discard(name)
        if any(name in scope for scope in self.locals):
            return
        if name not in self.bound:
            self.usage.mutations.setdefault(name, self.ref(node))
        self.load(name, node)

    _in_function = False

    # ---- dispatch
    def visit(self, node: ast.AST | None) -> None:
        if node is None:
            return
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node)
        else:
            for child in ast.iter_child_nodes(node):
                self.visit(child)

    def visit_many(self, nodes: list[ast.stmt] | list[ast.expr]) -> None:
        for node in nodes:
            self.visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.load(node.id, node)
        else:
            self.store(node.id, node)

    def visit_target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute | ast.Subscript):
            self.mutate(target, target)
            # every other name the target reads: each subscript's key down the chain
            # (`d[k1][k2] = v` reads k1), and an expression at its root
            # (`decimal.getcontext().prec = 6` reads `decimal`)
            node: ast.expr = target
            while isinstance(node, ast.Attribute | ast.Subscript):
                if isinstance(node, ast.Subscript):
                    self.visit(node.slice)
                node = node.value
            if not isinstance(node, ast.Name):
                self.visit(node)
        elif isinstance(target, ast.Starred):
            self.visit_target(target.value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.visit_target(element)
        else:
            self.visit(target)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit_target(target)
            if isinstance(target, ast.Name):
                self.aliases.pop(target.id, None)
                self.usage.containers.pop(target.id, None)
                self.usage.generators.pop(target.id, None)
                if isinstance(node.value, ast.Subscript | ast.Name) or (
                    isinstance(node.value, ast.Call)
                    and isinstance(node.value.func, ast.Attribute)
                    and node.value.func.attr == "get"
                ):
                    self._alias(target, node.value)
                self._container(target.id, node.value, node)
                value = node.value
                if not self.locals and (
                    isinstance(value, ast.GeneratorExp)
                    or (
                        isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Name)
                        and value.func.id in self.generator_functions
                    )
                ):
                    self.usage.generators[target.id] = self.ref(node)
        call = node.value
        if isinstance(call, ast.Call):
            func = call.func
            factory = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if factory in MODEL_FACTORIES:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.usage.fitted.add(target.id)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.value)
        self.visit(node.annotation)
        self.visit_target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.load(node.target.id, node)
            self.store(node.target.id, node)
        else:
            self.visit_target(node.target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.load(target.id, node)
            else:
                self.visit_target(target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # the walrus binds in the enclosing non-comprehension scope
        saved, self.locals = self.locals, [s for s in self.locals if s is not None][:0]
        if not saved or not self._in_function:
            self.store(node.target.id, node)
        self.locals = saved

    def conditional(self, nodes: Sequence[ast.AST]) -> None:
        self.depth += 1
        for node in nodes:
            self.visit(node)
        self.depth -= 1

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.depth += 1
        self.visit_target(node.target)
        self.depth -= 1
        self._alias(node.target, node.iter)
        self.conditional([*node.body, *node.orelse])

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self.conditional([*node.body, *node.orelse])

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self.conditional([*node.body, *node.orelse])

    def visit_Try(self, node: ast.Try) -> None:
        self.conditional([*node.body, *node.handlers, *node.orelse])
        self.visit_many(node.finalbody)

    visit_TryStar = visit_Try

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self.conditional(node.cases)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit_target(item.optional_vars)
        self.visit_many(node.body)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.visit(node.type)
        if node.name:
            self.store(node.name, node)
        self.visit_many(node.body)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self.visit(node.pattern)
        if node.name:
            self.store(node.name, node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.store(node.name, node)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.visit_many(node.keys)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest:
            self.store(node.rest, node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            binding = ImportBinding(alias.name, "", alias.asname or "")
            self._bind_import(binding, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if module == "__future__":
            self.usage.future_imports.append(self.ref(node))
            return
        for alias in node.names:
            if alias.name == "*":
                self.usage.star_imports.append(self.ref(node))
                continue
            binding = ImportBinding(module, alias.name, alias.asname or "", node.level)
            self._bind_import(binding, node)

    def _bind_import(self, binding: ImportBinding, node: ast.AST) -> None:
        if self.locals:
            return
        self.store(binding.bound, node)
        self.usage.imports.setdefault(binding.bound, binding)
        self.usage.import_refs.setdefault(binding.bound, self.ref(node))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self.visit(func)
        self.visit_many(node.args)
        for keyword in node.keywords:
            self.visit(keyword.value)
        inplace = any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
        if isinstance(func, ast.Attribute):
            if func.attr in MUTATING_METHODS or inplace:
                self.mutate(func.value, node)
                if func.attr in FITTING_METHODS and (base := _base_name(func.value)):
                    self.usage.fitted.add(base)
            elif isinstance(func.value, ast.Name) and not _pure(func.attr):
                known = func.value.id in self.usage.mutations
                self.mutate(func.value, node)  # an unknown method may change its receiver
                if not known and func.value.id in self.usage.mutations:
                    self.usage.guessed.add(func.value.id)
            if func.attr in MUTATING_FUNCTIONS and node.args:
                self.mutate(node.args[0], node)
        elif isinstance(func, ast.Name):
            if func.id in self.helper_mutations:
                for index, param in self.helper_mutations[func.id]:
                    if 0 <= index < len(node.args):
                        self.mutate(node.args[index], node)
                    for keyword in node.keywords:
                        if keyword.arg == param:
                            self.mutate(keyword.value, node)
            elif func.id in MUTATING_FUNCTIONS and node.args:
                self.mutate(node.args[0], node)

    def _alias(self, target: ast.expr, source: ast.expr) -> None:
        """Bind the names of `target` as elements of the name `source` iterates or indexes:
        `for k, v in d.items()`, `for i, x in enumerate(xs)`, `v = d[k]`, `v = d.get(k)`."""
        while isinstance(source, ast.Call):
            func = source.func
            if isinstance(func, ast.Name) and func.id in ("enumerate", "reversed", "sorted", "zip"):
                if not source.args:
                    return
                source = source.args[0]
            elif isinstance(func, ast.Attribute) and func.attr in ("items", "values", "get"):
                source = func.value
            else:
                return
        base = _base_name(source)
        if base is None:
            return
        for name in ast.walk(target):
            if isinstance(name, ast.Name) and name.id != base:
                self.aliases[name.id] = base

    def _container(self, name: str, value: ast.expr, node: ast.AST) -> None:
        """Record `name = [a, b]` / `(a, b)` / `{"k": a}`: a container of other names."""
        if self.locals or self.depth:
            return
        if isinstance(value, ast.List | ast.Tuple):
            elements = value.elts
        elif isinstance(value, ast.Dict) and all(isinstance(k, ast.Constant) for k in value.keys):
            elements = value.values
        else:
            return
        if elements and all(isinstance(e, ast.Name) for e in elements):
            names = tuple(e.id for e in elements if isinstance(e, ast.Name))
            self.usage.containers[name] = (self.ref(node), names, ast.unparse(value))

    # ---- scopes
    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        scope: set[str] = set()
        for gen in generators:
            scope.update(n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name))
        saved_aliases = dict(self.aliases)
        for gen in generators:
            self._alias(gen.target, gen.iter)
        self.locals.append(scope)
        for index, gen in enumerate(generators):
            if index:
                self.visit(gen.iter)
            self.visit_many(gen.ifs)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.locals.pop()
        self.aliases = saved_aliases

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit_many([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        self._function_body(set(_arg_names(node.args)), [node.body])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.visit_many(node.decorator_list)
        self.visit_many([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            self.visit(arg.annotation)
        self.visit(node.returns)
        self.store(node.name, node)
        if not self.locals:
            self.usage.defs.setdefault(node.name, self.ref(node))
            if _is_generator(node):
                self.generator_functions.add(node.name)
            mutated = _mutated_params(node, self.helper_mutations)
            if mutated:
                self.usage.mutated_params[node.name] = mutated
        params = set(_arg_names(node.args))
        self._function_body(params | _stored_names(node), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _function_body(self, local: set[str], body: list[ast.stmt] | list[ast.expr]) -> None:
        saved = self._in_function
        self._in_function = True
        self.locals.append(local)
        saved_mutations = dict(self.usage.mutations)
        self.visit_many(body)
        self.usage.mutations = saved_mutations  # a body's effects happen at call time
        self.locals.pop()
        self._in_function = saved

    def visit_Global(self, node: ast.Global) -> None:
        if self._in_function:
            for name in node.names:
                self.usage.global_statements.setdefault(name, self.ref(node))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.visit_many(node.decorator_list)
        self.visit_many(node.bases)
        for keyword in node.keywords:
            self.visit(keyword.value)
        # the class body runs now, in its own namespace; methods see only the module globals
        if self._in_function:
            self._function_body(_stored_names(node), node.body)
        else:
            self.locals.append(set())
            for stmt in node.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.locals.pop()
                    self.visit_FunctionDef_nested(stmt)
                    self.locals.append(set())
                else:
                    self._class_stmt(stmt)
            self.locals.pop()
        self.store(node.name, node)
        if not self.locals:
            self.usage.defs.setdefault(node.name, self.ref(node))

    def _class_stmt(self, stmt: ast.stmt) -> None:
        for name in _stored_names(ast.Module(body=[stmt], type_ignores=[])):
            self.locals[-1].add(name)
        for child in ast.walk(stmt):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                self.locals[-1].add(child.id)
        self.visit(stmt)

    def visit_FunctionDef_nested(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.visit_many(node.decorator_list)
        self.visit_many([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        self._function_body(set(_arg_names(node.args)) | _stored_names(node), node.body)


def _mutated_params(
    node: ast.FunctionDef | ast.AsyncFunctionDef, known: Mutations
) -> tuple[tuple[int, str], ...]:
    """(position, name) of the parameters the function changes in place (same rules);
    position -1 for keyword-only parameters."""
    positional = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    keyword_only = [a.arg for a in node.args.kwonlyargs]
    inner = Scanner(known)
    inner.bound = set()
    for stmt in node.body:
        inner.visit(stmt)
    mutated = inner.usage.mutations
    return tuple(
        [(i, name) for i, name in enumerate(positional) if name in mutated]
        + [(-1, name) for name in keyword_only if name in mutated]
    )


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    todo: list[ast.AST] = list(node.body)
    while todo:
        current = todo.pop()
        if isinstance(current, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(current))
    return False


def _pure(method: str) -> bool:
    return method in PURE_METHODS or method.startswith(PURE_PREFIXES) or method.startswith("_")


def scan_block(
    trees: list[tuple[int, ast.Module]], helper_mutations: Mutations | None = None
) -> Usage:
    """Scan cells (index, parsed tree) of one block in order."""
    scanner = Scanner(helper_mutations)
    for cell, tree in trees:
        scanner.scan(tree, cell)
    return scanner.usage
