"""The dependency direction of ARCHITECTURE.md, checked on the source."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "vaekit"

FORBIDDEN = {
    "data": ("vaekit.models", "vaekit.training", "vaekit.analysis", "vaekit.cli", "vaekit.viz"),
    "models": ("vaekit.data", "vaekit.training", "vaekit.analysis", "vaekit.cli",
               "vaekit.checkpoint", "vaekit.objectives"),
    "nn": ("vaekit.models", "vaekit.data", "vaekit.training", "vaekit.analysis"),
    "viz": ("vaekit.models", "vaekit.training", "vaekit.analysis", "vaekit.data",
            "vaekit.checkpoint"),
    "analysis": ("vaekit.cli", "vaekit.training"),
    "training": ("vaekit.cli", "vaekit.analysis"),
    "web": ("vaekit.cli",),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layers_import_only_to_their_right():
    violations = []
    for package, banned in FORBIDDEN.items():
        for path in (SRC / package).rglob("*.py"):
            for name in _imports(path):
                if name.startswith(banned):
                    violations.append(f"{path.relative_to(SRC)} imports {name}")
    assert violations == []
