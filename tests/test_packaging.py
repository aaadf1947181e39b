"""What installs the app: every third-party import of the library and the app is in
requirements.txt, and the package list and package data hold every module and bundled file."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import setuptools

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    ROOT / "app.py",
    *(ROOT / "ae_core").rglob("*.py"),
    *(ROOT / "ui").rglob("*.py"),
    *(ROOT / "pages").rglob("*.py"),
]


def third_party_imports(files) -> set[str]:
    names = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"ae_core", "ui", "pages"}


def required() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {re.split(r"[<>=!~\[ ;]", line.strip())[0].lower() for line in lines if line.strip()[:1].isalpha()}


def test_every_import_of_the_app_is_a_requirement():
    distributions = packages_distributions()
    missing = {
        name: distributions.get(name, [name])
        for name in third_party_imports(SHIPPED)
        if not {d.lower() for d in distributions.get(name, [name])} & required()
    }
    assert not missing, f"imported but not in requirements.txt: {missing}"


def test_the_package_holds_every_module_and_the_bundled_data():
    found = set(setuptools.find_packages(str(ROOT), include=["ae_core*"]))
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "ae_core").rglob("*.py")}
    assert folders <= found, f"not packaged: {folders - found}"
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    bundled = {str(p.relative_to(ROOT / "ae_core" / "data")) for p in (ROOT / "ae_core/data/bundled").iterdir()}
    patterns = data["ae_core.data"]
    assert all(any(Path(b).match(pattern) for pattern in patterns) for b in bundled), (bundled, patterns)
