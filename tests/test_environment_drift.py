"""environment.yml (conda users) must list the same packages and pins as pyproject.toml.

conda cannot be reached here, so this static check is what keeps the two files honest: any
difference in names, version specifiers or the Python requirement fails with a readable diff.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[1]


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()  # PEP 503 normalisation


def _pins(lines: list[str]) -> dict[str, str]:
    """name -> normalised specifier (extras kept), from requirement lines."""
    pins: dict[str, str] = {}
    for line in lines:
        req = Requirement(line)
        extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        pins[_name(req.name)] = extras + ",".join(sorted(str(s) for s in req.specifier))
    return pins


def pyproject_pins(doc: dict[str, Any]) -> tuple[dict[str, str], str]:
    project = doc["project"]
    return _pins(project["dependencies"]), str(SpecifierSet(project["requires-python"]))


def environment_pins(doc: dict[str, Any]) -> tuple[dict[str, str], str]:
    pip: list[str] = []
    python = ""
    for entry in doc["dependencies"]:
        if isinstance(entry, dict) and "pip" in entry:
            # `-e .` installs the project itself; it is not a pinned dependency
            pip += [line for line in entry["pip"] if not str(line).startswith("-")]
        elif isinstance(entry, str) and re.match(r"python\b", entry):
            python = str(SpecifierSet(entry[len("python") :].strip()))
    return _pins(pip), python


def drift(
    pyproject: tuple[dict[str, str], str], environment: tuple[dict[str, str], str]
) -> list[str]:
    """Human-readable differences; empty when the files agree."""
    (left, left_py), (right, right_py) = pyproject, environment
    lines = [f"only in pyproject.toml: {n}{left[n]}" for n in sorted(set(left) - set(right))]
    lines += [f"only in environment.yml: {n}{right[n]}" for n in sorted(set(right) - set(left))]
    lines += [
        f"pin differs for {n}: pyproject.toml {left[n] or '(none)'} vs environment.yml {right[n] or '(none)'}"
        for n in sorted(set(left) & set(right))
        if left[n] != right[n]
    ]
    if left_py != right_py:
        lines.append(f"python differs: pyproject.toml {left_py} vs environment.yml {right_py}")
    return lines


def test_environment_yml_matches_pyproject() -> None:
    pyproject = pyproject_pins(tomllib.loads((REPO / "pyproject.toml").read_text()))
    environment = environment_pins(yaml.safe_load((REPO / "environment.yml").read_text()))
    assert pyproject[0], "no dependencies parsed from pyproject.toml"
    problems = drift(pyproject, environment)
    assert not problems, "pyproject.toml and environment.yml drifted:\n  " + "\n  ".join(problems)


def test_drift_reports_names_pins_and_python() -> None:
    pyproject = pyproject_pins(
        {
            "project": {
                "requires-python": ">=3.11",
                "dependencies": ["mlflow>=3.17,<4", "Scikit_Learn>=1.5", "rich"],
            }
        }
    )
    environment = environment_pins(
        {
            "dependencies": [
                "python>=3.12",
                {"pip": ["mlflow<4,>=3.17", "scikit-learn>=1.4", "optuna", "-e ."]},
            ]
        }
    )
    assert drift(pyproject, environment) == [
        "only in pyproject.toml: rich",
        "only in environment.yml: optuna",
        "pin differs for scikit-learn: pyproject.toml >=1.5 vs environment.yml >=1.4",
        "python differs: pyproject.toml >=3.11 vs environment.yml >=3.12",
    ]


def exact_pins(lines: list[str]) -> dict[str, str]:
    """name -> version of every `name==version` line (comments and blanks skipped)."""
    pins: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"not an exact pin: {line}"
            pins[_name(req.name)] = spec.version
    return pins


def test_constraints_pin_every_requirement_at_the_generated_files_versions() -> None:
    """`make install` installs constraints.txt's versions; the committed generated files pin
    versions of the environment that generated them. The two must agree, or a clean clone's
    drift check fails the day a library publishes a release."""
    locked = exact_pins((REPO / "constraints.txt").read_text().splitlines())
    doc = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = [*doc["project"]["dependencies"]]
    for extra in doc["project"]["optional-dependencies"].values():
        wanted += [r for r in extra if not r.startswith(doc["project"]["name"])]
    unpinned = sorted({_name(Requirement(r).name) for r in wanted} - set(locked))
    assert not unpinned, f"constraints.txt has no pin for {unpinned}: run `make lock`"
    generated = sorted(REPO.glob("steps/*/*requirements.txt"))
    assert generated, "no generated requirement files found"
    differ = [
        f"{path.relative_to(REPO)}: {name}=={version}, constraints.txt {locked.get(name)}"
        for path in generated
        for name, version in exact_pins(path.read_text().splitlines()).items()
        if locked.get(name) != version
    ]
    assert not differ, "generated pins and constraints.txt disagree:\n  " + "\n  ".join(differ)
