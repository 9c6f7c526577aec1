"""The apps' import graph runs one way: each app imports only the apps in lower layers (docs/architecture.md).

Every import counts, also one inside a function: a lazy import is still a dependency. A lower app reaches an
upper one only through what the upper app registers at start-up (a fact provider, a gate row part, a pass
code reader, a counter, a signal receiver).
"""

import ast
from pathlib import Path

import fangkong

# Lowest first; apps in one tuple are siblings and must not import each other.
LAYERS = [
    ("audit",),
    ("core",),
    ("territory",),
    ("accounts",),
    ("people",),
    ("screening", "testing", "passes"),
    ("healthcode",),
    ("isolation", "zones", "enterprises"),
    ("tracing",),
    ("district",),
]
ROOT = Path(fangkong.__file__).parent


def app_imports() -> dict[tuple[str, str], list[str]]:
    """(importing app, imported app) → the places in the code, for every import between two apps."""
    apps = {app for layer in LAYERS for app in layer}
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if len(relative.parts) < 2 or relative.parts[0] not in apps or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "fangkong" and len(parts) > 1 and parts[1] in apps and parts[1] != relative.parts[0]:
                    found.setdefault((relative.parts[0], parts[1]), []).append(f"{relative}:{node.lineno}")
    return found


def test_every_app_is_in_a_layer():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps == {app for layer in LAYERS for app in layer}


def test_no_app_imports_an_app_of_its_own_or_a_higher_layer():
    level = {app: index for index, layer in enumerate(LAYERS) for app in layer}
    upward = {f"{source} → {target}": places for (source, target), places in app_imports().items()
              if level[target] >= level[source]}
    assert upward == {}
