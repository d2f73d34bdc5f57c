"""Imports point one way: storage <- surveys <- webforms / bot / scheduler <- cadre.

Inside ``surveys`` the subpackages follow the same rule, in the order of a
campaign: pure rules first, then file writers, the sealed box and ledgers,
setup, collection, results, notification; ``surveys/demo.py`` sits on top.
"""

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
# surveys' subpackages, lowest first: each may import only those before it.
LEVELS = ["rules", "documents", "sealing", "setup", "collection", "results", "notification"]
WITHOUT_DATABASE = {"rules", "documents"}
SCREENFUL = 20  # modules in one folder before it is grouped into subpackages


def imports(path: Path) -> set[str]:
    """Every dotted module name a file imports (``from x import y`` gives ``x`` and ``x.y``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def imported_packages(path: Path) -> set[str]:
    """Top-level names of our packages that a module imports."""
    return {name.split(".")[0] for name in imports(path)} & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_sits_below_it(package):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package] - {package})
        for path in (ROOT / package).rglob("*.py")
    }
    assert {path: names for path, names in wrong.items() if names} == {}


@pytest.mark.parametrize("level", LEVELS)
def test_a_surveys_subpackage_imports_only_the_levels_below_it(level):
    allowed = set(LEVELS[: LEVELS.index(level) + 1])
    wrong = {}
    for path in (ROOT / "surveys" / level).rglob("*.py"):
        names = imports(path)
        above = {
            name
            for name in names
            if name.startswith("surveys.") and name.split(".")[1] not in allowed
        }
        if level in WITHOUT_DATABASE:
            above |= {name for name in names if name.split(".")[0] == "storage"}
        if above:
            wrong[str(path.relative_to(ROOT))] = sorted(above)
    assert wrong == {}


def test_surveys_keeps_its_modules_in_the_subpackages():
    """Only the package's own docstring and the demo (which uses every level) stay on top."""
    top = sorted(path.name for path in (ROOT / "surveys").glob("*.py"))
    assert top == ["__init__.py", "demo.py"]
    folders = {path.parent.name for path in (ROOT / "surveys").glob("*/__init__.py")}
    assert folders == set(LEVELS)


@pytest.mark.parametrize("package", sorted(OURS))
def test_no_folder_grows_past_a_screenful_of_modules(package):
    crowded = {
        str(folder.relative_to(ROOT)): count
        for folder in [ROOT / package, *(ROOT / package).rglob("*/")]
        if "__pycache__" not in folder.parts
        and (count := len(list(folder.glob("*.py")))) > SCREENFUL
    }
    assert crowded == {}
