"""Which room may import what (DESIGN §2a): planning and the renderer know no models, providers
call no services, and nothing in generation knows the review app."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("django.db", "generation.models", "templates_app.models", "review")
RULES = [
    ("generation/planning", MODELS),
    ("generation/render", MODELS),
    ("generation/providers", ("generation.services",)),
    ("generation", ("review",)),
]


def imported_names(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module a file imports (`from a import b` counts as a and a.b), relative ones resolved."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.append((node.lineno, module))
            names += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return names


def forbidden_imports(folder: Path, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """`path:line imports name` for each import under `folder` of a forbidden module or below."""
    files = sorted(folder.rglob("*.py"))
    assert files, f"no Python files under {folder}"
    found = []
    for path in files:
        for line, name in imported_names(path, root):
            if any(name == banned or name.startswith(f"{banned}.") for banned in forbidden):
                found.append(f"{path.relative_to(root)}:{line} imports {name}")
    return sorted(set(found))


@pytest.mark.parametrize(("folder", "forbidden"), RULES)
def test_each_room_imports_only_what_it_may(folder, forbidden):
    assert forbidden_imports(ROOT / folder, forbidden) == []


def test_a_forbidden_import_is_reported(tmp_path):
    room = tmp_path / "generation" / "planning"
    room.mkdir(parents=True)
    (room / "clean.py").write_text("import re\nfrom generation.slides import page_texts\n")
    (room / "dirty.py").write_text(
        "from django.db import transaction\n"
        "def f():\n"
        "    from generation import models\n"
        "    import review.services\n"
        "from .. import models as m\n"
    )
    assert forbidden_imports(room, MODELS, root=tmp_path) == [
        "generation/planning/dirty.py:1 imports django.db",
        "generation/planning/dirty.py:1 imports django.db.transaction",
        "generation/planning/dirty.py:3 imports generation.models",
        "generation/planning/dirty.py:4 imports review.services",
        "generation/planning/dirty.py:5 imports generation.models",
    ]


def test_a_rule_on_a_folder_without_code_fails(tmp_path):
    with pytest.raises(AssertionError, match="no Python files"):
        forbidden_imports(tmp_path / "generation" / "pipeline", MODELS, root=tmp_path)
