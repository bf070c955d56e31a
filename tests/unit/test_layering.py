"""The pure core imports no Pulumi and no Kubernetes client, and reads no clock, randomness or environment.

Checked by reading the source (AST), so a forbidden import fails here even on a code path no test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pulumi_kubevirt

PACKAGE = Path(pulumi_kubevirt.__file__).parent
PURE_PACKAGES = ("core", "spec", "compile", "plan")
PURE_MODULES = sorted(path for name in PURE_PACKAGES for path in (PACKAGE / name).rglob("*.py"))
FORBIDDEN_MODULES = ("pulumi", "pulumi_kubernetes", "kubernetes", "time", "random", "secrets", "uuid")
FORBIDDEN_INTERNAL = (
    "pulumi_kubevirt.components",
    "pulumi_kubevirt.program",
    "pulumi_kubevirt.live",
    "pulumi_kubevirt_devcluster",
    "pulumi_kubevirt.cli",
)
# Attribute reads that bring the environment, the clock or randomness in through an allowed module.
FORBIDDEN_ATTRIBUTES = {
    ("os", "environ"),
    ("os", "getenv"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def forbidden_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for line, module in imported_modules(tree):
        top = module.split(".")[0]
        if top in FORBIDDEN_MODULES or any(
            module == m or module.startswith(m + ".") for m in FORBIDDEN_INTERNAL
        ):
            problems.append(f"{path.name}:{line} imports {module}")
        if module in ("os.environ", "os.getenv"):
            problems.append(f"{path.name}:{line} imports {module}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in FORBIDDEN_ATTRIBUTES
        ):
            problems.append(f"{path.name}:{node.lineno} reads {node.value.id}.{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and (node.value.attr, node.attr) in FORBIDDEN_ATTRIBUTES
        ):
            problems.append(f"{path.name}:{node.lineno} reads {node.value.attr}.{node.attr}")
    return problems


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_module_has_no_forbidden_imports(path: Path) -> None:
    assert forbidden_in(path) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import pulumi\n", "imports pulumi"),
        ("from pulumi_kubernetes.core.v1 import Secret\n", "imports pulumi_kubernetes.core.v1"),
        ("import kubernetes.client\n", "imports kubernetes.client"),
        ("import time\n", "imports time"),
        ("from random import choice\n", "imports random"),
        ("import os\nx = os.environ['HOME']\n", "reads os.environ"),
        ("from os import environ\n", "imports os.environ"),
        ("import datetime\nx = datetime.datetime.now()\n", "reads datetime.now"),
        ("from datetime import datetime\nx = datetime.now()\n", "reads datetime.now"),
        ("from pulumi_kubevirt.live import reader\n", "imports pulumi_kubevirt.live"),
    ],
    ids=[
        "pulumi",
        "pulumi-kubernetes",
        "kubernetes",
        "time",
        "random",
        "environ",
        "from-os-environ",
        "datetime-module-now",
        "datetime-class-now",
        "live-reader",
    ],
)
def test_the_checker_catches_each_kind_of_leak(tmp_path: Path, source: str, expected: str) -> None:
    module = tmp_path / "leaky.py"
    module.write_text(source)
    assert any(expected in problem for problem in forbidden_in(module))


def test_the_scan_covers_every_pure_package() -> None:
    names = {str(p.relative_to(PACKAGE)) for p in PURE_MODULES}
    assert {
        "spec/model.py",
        "spec/validate/vm.py",
        "spec/validate/rules.py",
        "spec/fleet.py",
        "compile/compiler.py",
        "compile/emit.py",
        "core/quantity.py",
        "core/paths.py",
        "plan/planner.py",
        "plan/report/text.py",
    } <= names
