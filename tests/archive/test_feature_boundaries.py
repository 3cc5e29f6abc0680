"""archive/ and gdpr/ know no feature's tables: they work on what the features registered
(board/archive/specs.py), so a feature stays one folder. A module of either that imports a
feature's models (board.<feature>.models), anywhere in it, fails here."""
import ast
from pathlib import Path

import pytest

BOARD = Path(__file__).resolve().parents[2] / "board"
MODULES = sorted([*BOARD.glob("archive/*.py"), *BOARD.glob("gdpr/*.py")])
FEATURES = sorted(p.parent.name for p in BOARD.glob("*/models.py"))


def models_imported(source: str) -> list[str]:
    """Every feature's models module that `source` imports, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [name for name in names if name in {f"board.{feature}.models" for feature in FEATURES}]
    return found


def test_the_check_sees_every_way_of_importing_a_feature_s_models():
    assert "walls" in FEATURES and "feedback" in FEATURES
    assert models_imported("from board.walls.models import Note") == ["board.walls.models"]
    assert models_imported("from board.feedback import models") == ["board.feedback.models"]
    assert models_imported("def f():\n    import board.canvas.models\n") == ["board.canvas.models"]
    assert models_imported("from board.models import utcnow\nfrom board.archive import specs") == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_archive_and_gdpr_import_no_feature_s_models(path):
    assert models_imported(path.read_text()) == [], (
        f"{path.parent.name}/{path.name} imports a feature's models: describe what it needs in that "
        "feature's archive.py (board/archive/specs.py) instead")
