"""Imports run downwards only (ARCHITECTURE.md).

The layers, from the bottom: ``domain`` (vocabulary and rules as data) < ``geo`` (boundaries,
crosswalks, hub geometry) < ``data_access`` (store, imports, scoping) < ``metrics`` (numbers and view models) < ``reports``
(pack renderers) < ``ui`` < ``app_pages`` / ``app.py``. A module may import its own layer and
any layer below it; ``streamlit`` only from ``ui``, the pages and the entry points. A
package's ``__main__.py`` is a command-line entry point, like ``app.py``: it may import any
layer below ``ui`` (``python -m metrics pack`` renders packs through ``reports``).

Every import statement in the project is read with ``ast`` (including imports inside
functions), so a late import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What each package may import from the project (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "geo": frozenset({"domain"}),
    "data_access": frozenset({"domain", "geo"}),
    "metrics": frozenset({"domain", "data_access", "geo"}),
    "reports": frozenset({"domain", "data_access", "geo", "metrics"}),
    "ui": frozenset({"domain", "data_access", "geo", "metrics", "reports"}),
    "app_pages": frozenset({"domain", "data_access", "geo", "metrics", "reports", "ui"}),
}
PROJECT = frozenset(ALLOWED) | {"app", "serve"}
#: What a command-line entry point (``<package>/__main__.py``) may import.
ENTRY_POINT_ALLOWED = frozenset({"domain", "geo", "data_access", "metrics", "reports"})
#: Packages that must never import streamlit (or its components).
NO_STREAMLIT = ("domain", "data_access", "geo", "metrics", "reports")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(package: str) -> None:
    wrong = []
    for path in _modules(package):
        allowed = ENTRY_POINT_ALLOWED if path.name == "__main__.py" else ALLOWED[package]
        for line, name in _imports(path):
            top = name.split(".")[0]
            if top in PROJECT and top != package and top not in allowed:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", NO_STREAMLIT)
def test_the_lower_layers_never_import_streamlit(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(package)
        for line, name in _imports(path)
        if name.split(".")[0] in {"streamlit", "extra_streamlit_components", "streamlit_authenticator"}
    ]
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The reader must catch imports inside functions, not only at the top of a file."""
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from metrics.queries import scorecard\n    return scorecard\n")
    assert (2, "metrics.queries") in _imports(module)


def test_pages_stay_thin() -> None:
    """A page reads widgets, calls lower layers and renders; anything longer belongs in ui/."""
    long = {path.name: n for path in _modules("app_pages")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) >= 120}
    assert not long, f"pages of 120 lines or more: {long}"


def test_the_command_lines_do_not_import_each_other() -> None:
    """``python -m data_access`` adds the import commands; they must not import it back."""
    assert not [name for _, name in _imports(ROOT / "data_access" / "cli_import.py") if name == "data_access.__main__"]
