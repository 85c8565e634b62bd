"""Translate IPython syntax so `ast` can read a cell, and decide what each magic becomes.

IPython's own TransformerManager (the one the kernel uses) rewrites `%magic`, `!cmd`, `x = !cmd`
and `obj?` into `get_ipython()...` calls, one line for one line (cell magics `%%name` become
one call). In a pipeline step there is no IPython, so:
- display-only magics (`%matplotlib`, `%config`, `%load_ext`, `obj?`, `%%html`, ...) are
  dropped with a note; the emitted line becomes a comment (or `pass` inside a block);
- `%time STMT` / `%%time` keep their code and drop the timing;
- `!cmd`, `%pip`, `%conda`, `%%bash` and every other magic are errors with a hint, because a
  step cannot reproduce what they did to the kernel's environment.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

DISPLAY_ONLY = {
    "matplotlib", "config", "load_ext", "reload_ext", "autoreload", "aimport", "pinfo",
    "pinfo2", "psearch", "who", "whos", "who_ls", "pwd", "lsmagic", "magic", "precision",
    "pprint", "xmode", "colors", "notebook", "history", "page", "pdef", "pdoc", "psource",
    "pfile", "timeit", "prun", "html", "markdown", "latex", "javascript", "js", "svg",
    "capture", "debug", "pdb", "tb",
}  # fmt: skip
UNWRAP = {"time"}
SHELL_HINT = (
    "shell commands do not run in a pipeline step: use subprocess.run([...]) in Python, "
    "or tag the cell skip"
)
WRITEFILE_HINT = (
    "tag the cell skip (an untagged cell after a step joins that step): a .py module it writes "
    "that the steps import is then shipped with the pipeline (steps/NAME/_modules)"
)
INSTALL_HINT = (
    "remove it: steps/NAME/requirements.txt is generated from the imports and pinned from "
    "this environment"
)


@dataclass
class Translation:
    """Python source for `ast` (`analysed`) and for the step module (`emitted`), with findings."""

    analysed: str
    emitted: str
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, text)
    errors: list[tuple[int, str, str, str]] = field(default_factory=list)  # line, msg, name, hint


def _magic_call(node: ast.AST) -> tuple[str, str, str] | None:
    """(kind, magic name, argument) for `get_ipython().<kind>(...)` calls."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    owner = node.func.value
    if not (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return None
    args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    kind = node.func.attr
    if kind in ("system", "getoutput"):
        return kind, "!", args[0] if args else ""
    return kind, args[0] if args else "", args[-1] if len(args) > 1 else ""


def translate(source: str) -> Translation:
    """Translate one cell. Raises SyntaxError when the cell is not valid (I)Python."""
    try:
        ast.parse(source)
        return Translation(source, source)  # plain Python: the common case, no IPython needed
    except SyntaxError:
        pass
    from IPython.core.inputtransformer2 import TransformerManager

    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        return _cell_magic(source, lines)
    python = TransformerManager().transform_cell(source)
    tree = ast.parse(python)
    out = Translation(python, source)
    emitted = source.splitlines()
    for node in ast.walk(tree):
        call = _magic_call(node)
        if call is None:
            continue
        _kind, name, arg = call
        line = getattr(node, "lineno", 1)
        text = lines[line - 1].strip() if line <= len(lines) else ""
        if name == "!":
            out.errors.append((line, f"shell command `{text}` in a step", text, SHELL_HINT))
        elif name in ("pip", "conda", "mamba", "uv"):
            out.errors.append(
                (line, f"`%{name}` installs packages at run time", text, INSTALL_HINT)
            )
        elif name in UNWRAP:
            indent = emitted[line - 1][: len(emitted[line - 1]) - len(emitted[line - 1].lstrip())]
            emitted[line - 1] = f"{indent}{arg}  # workbench: was `{text}`"
            out.notes.append((line, f"`%{name}` dropped, its statement kept"))
        elif name in DISPLAY_ONLY:
            raw = emitted[line - 1]
            indent = raw[: len(raw) - len(raw.lstrip())]
            filler = "pass  " if indent else ""
            emitted[line - 1] = f"{indent}{filler}# workbench: dropped display-only `{text}`"
            out.notes.append((line, f"display-only magic `{text}` dropped"))
        else:
            out.errors.append(
                (
                    line,
                    f"magic `%{name}` has no equivalent in a pipeline step",
                    text,
                    "rewrite it in plain Python, or move it to a cell tagged skip",
                )
            )
    out.analysed = _analysable(emitted, python)
    out.emitted = "\n".join(emitted) + ("\n" if source.endswith("\n") else "")
    return out


def _analysable(emitted: list[str], fallback: str) -> str:
    """What `ast` analyses: the emitted text when it parses (so line numbers match), else the
    IPython translation (errors were already recorded for the lines that cannot run)."""
    text = "\n".join(emitted)
    try:
        ast.parse(text)
        return text
    except SyntaxError:
        return fallback


def _cell_magic(source: str, lines: list[str]) -> Translation:
    head = lines[0][2:].split()
    name = head[0] if head else ""
    body = "\n".join(lines[1:]) + "\n"
    if name == "capture":
        return _capture(lines, head[1:])
    if name in UNWRAP:
        emitted = f"# workbench: was `{lines[0].strip()}`\n" + body
        out = Translation(emitted, emitted, notes=[(1, f"`%%{name}` dropped, the cell body kept")])
        ast.parse(emitted)
        return out
    if name in DISPLAY_ONLY:
        emitted = "".join(f"# {ln}\n" for ln in lines)
        return Translation(emitted, emitted, notes=[(1, f"display-only `%%{name}` cell dropped")])
    hint = (
        SHELL_HINT
        if name in ("bash", "sh", "script", "system")
        else WRITEFILE_HINT
        if name in ("writefile", "file")
        else ("rewrite the cell in plain Python, or tag it skip")
    )
    out = Translation("pass\n", source)
    out.errors.append((1, f"cell magic `%%{name}` cannot run in a pipeline step", lines[0], hint))
    return out


def _capture(lines: list[str], args: list[str]) -> Translation:
    """`%%capture [--no-stdout] [--no-stderr] [--no-display] [NAME]`: the body runs with its
    output captured, as IPython does (IPython.utils.capture), and NAME is bound to the captured
    output (`out.stdout`), so a step reading it works."""
    import io
    import tokenize

    flags = {"--no-stdout": "stdout=False", "--no-stderr": "stderr=False"}
    flags["--no-display"] = "display=False"
    options = ", ".join(flags[a] for a in args if a in flags)
    names = [a for a in args if not a.startswith("-")]
    body = "\n".join(lines[1:]) + "\n"
    keep: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(body).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                keep.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    indented = [
        line if number in keep or not line.strip() else "    " + line
        for number, line in enumerate(lines[1:], start=1)
    ]
    if not any(line.strip() for line in indented):
        indented = ["    pass"]
    target = f" as {names[-1]}" if names else ""
    emitted = (
        f"# workbench: was `{lines[0].strip()}`\n"
        "from IPython.utils.capture import capture_output\n\n"
        f"with capture_output({options}){target}:\n" + "\n".join(indented) + "\n"
    )
    ast.parse(emitted)  # SyntaxError for a body that is not Python, as for any cell
    return Translation(emitted, emitted, notes=[(1, "`%%capture` kept as capture_output()")])
