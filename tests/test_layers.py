"""The library's layers, read from its source: every import (also those inside functions) goes to
the same folder or one below, no two modules import each other round a circle, no module uses
another's private names, and nothing in ``ae_core`` imports the UI."""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Bottom to top; a folder may import only itself and the folders before it.
LAYERS = ("system", "data", "models", "explore", "checkpoints", "train", "apps", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in (ROOT / "ae_core").rglob("*.py")}


def imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import of ``module``."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((sub if sub in MODULES else node.module, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
    return found


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_sits_in_a_layer():
    loose = [m for m in MODULES if layer(m) is None and m not in ("ae_core", "ae_core.__main__")]
    assert not loose, f"modules outside the layer folders {LAYERS}: {loose}"


def test_no_import_goes_up_a_layer_or_into_the_ui():
    wrong = []
    for module in MODULES:
        for target, _, line in imports(module):
            top = target.split(".")[0]
            if top in ("streamlit", "ui", "pages", "app"):
                wrong.append(f"{module}:{line} imports {target}")
            own, theirs = layer(module), layer(target)
            if own is not None and theirs is not None and theirs > own:
                wrong.append(f"{module}:{line} imports {target} ({LAYERS[theirs]} is above {LAYERS[own]})")
    assert not wrong, "\n".join(wrong)


def test_no_private_name_is_imported_from_another_module():
    wrong = [
        f"{module}:{line} imports {name} from {target}"
        for module in MODULES
        for target, name, line in imports(module)
        if name.startswith("_") and target.startswith("ae_core") and target != module
    ]
    assert not wrong, "\n".join(wrong)


def circles() -> list[list[str]]:
    edges = defaultdict(set)
    for module in MODULES:
        edges[module] = {t for t, _, _ in imports(module) if t in MODULES and t != module}
    found, done, path = [], set(), []

    def visit(node):
        path.append(node)
        for nxt in sorted(edges[node]):
            if nxt in path:
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in done:
                visit(nxt)
        path.pop()
        done.add(node)

    for module in sorted(MODULES):
        if module not in done:
            visit(module)
    return found


def test_no_import_circles():
    assert not circles(), "\n".join(" -> ".join(c) for c in circles())


def test_the_checks_see_an_upward_import_and_a_circle(monkeypatch, tmp_path):
    """The checks above would fail on a real violation (not only pass on clean code)."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from ae_core.apps.anomaly import SCORES\n")
    monkeypatch.setitem(MODULES, "ae_core.models.bad", bad)
    assert any(t == "ae_core.apps.anomaly" for t, _, _ in imports("ae_core.models.bad"))
    assert layer("ae_core.apps.anomaly") > layer("ae_core.models.bad")
    loop = tmp_path / "loop.py"
    loop.write_text("from ae_core.models.bad import x\n")
    bad.write_text("from ae_core.models.loop import y\n")
    monkeypatch.setitem(MODULES, "ae_core.models.loop", loop)
    assert circles()
