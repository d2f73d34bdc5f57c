"""Imports point one way: storage <- surveys <- webforms / bot / scheduler <- cadre."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"storage", "surveys", "webforms", "bot", "scheduler", "cadre"}
ALLOWED = {
    "storage": set(),
    "surveys": {"storage"},
    "webforms": {"surveys", "storage"},
    "bot": {"surveys", "storage"},
    "scheduler": {"surveys", "storage"},
    "cadre": OURS - {"cadre"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of our packages that a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_sits_below_it(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package] - {package})
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in wrong.items() if names} == {}
