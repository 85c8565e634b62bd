"""Digests: an edit to one helper changes only the steps that reach it, transitively."""

from __future__ import annotations

from workbench.spec.digest import helper_closure, lock_digest, step_code_digest

HELPERS = """import math

SCALE = 2


def base(x):
    return x * SCALE


@staticmethod
def decorated(x):
    return x


def uses_base(x):
    return base(x) + math.pi


def alone(x):
    return -x
"""


def test_closure_follows_helper_bodies_and_keeps_decorators() -> None:
    parts = helper_closure(HELPERS, ["uses_base", "decorated"])
    text = "\n".join(parts)
    assert "def uses_base" in text and "def base" in text and "SCALE = 2" in text
    assert "import math" in text and "@staticmethod" in text
    assert "def alone" not in text


def test_editing_one_helper_changes_only_its_users() -> None:
    edited = HELPERS.replace("return x * SCALE", "return x * SCALE + 1")
    for names, changes in ((["uses_base"], True), (["base"], True), (["alone"], False)):
        before = step_code_digest("step text", HELPERS, names)
        after = step_code_digest("step text", edited, names)
        assert (before != after) is changes, names


def test_module_text_and_line_endings() -> None:
    a = step_code_digest("x = 1\n", HELPERS, [])
    assert a != step_code_digest("x = 2\n", HELPERS, [])
    assert a == step_code_digest("x = 1\r\n", HELPERS.replace("\n", "\r\n"), [])
    assert a == step_code_digest("x = 1\n", HELPERS, ["not_a_helper"])


def test_lock_digest_ignores_comments_order_and_blanks() -> None:
    a = lock_digest("# generated\npandas==2.2.0\nnumpy==1.26.0\n")
    assert a == lock_digest("numpy==1.26.0\n\npandas==2.2.0  # pinned\n")
    assert a != lock_digest("numpy==1.26.1\npandas==2.2.0\n")
