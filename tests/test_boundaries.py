"""Architecture rules that keep one guarded path to every case."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE_MODELS = {
    "CasePattern",
    "CaseSubPattern",
    "CasePerpetrator",
    "CaseUserGrant",
    "CaseGroupGrant",
}


def _model_manager_uses(source: str, label: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"objects", "_default_manager", "_base_manager"}
            and isinstance(node.value, ast.Name)
            and node.value.id in CASE_MODELS
        ):
            found.append(f"{label}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_views_never_query_case_models_directly():
    views = sorted((ROOT / "casebook" / "views").rglob("*.py"))
    assert views, "no view modules found"
    offenders = [
        use
        for path in views
        for use in _model_manager_uses(path.read_text(encoding="utf-8"), path.name)
    ]
    assert offenders == []


def test_the_checker_catches_a_direct_query():
    source = "def leak():\n    return CasePattern.objects.all()\n"
    assert _model_manager_uses(source, "probe.py") == ["probe.py:2 CasePattern.objects"]
