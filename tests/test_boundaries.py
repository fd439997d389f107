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


CASEBOOK = ROOT / "casebook"
DECRYPTING_NAMES = {"open_fields", "_unwrap", "_open", "AESGCM", "InvalidTag"}
MAY_DECRYPT = {"envelope.py", "access.py"}
EXPORT_MODULES = ("exports", "disclosure", "dashboard")


def _names_used(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.name.split(".")[-1] for alias in node.names)
    return names


def _imports_crypto(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any("crypto" in a.name for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if "crypto" in module or any(a.name in {"crypto", "access"} for a in node.names):
                return True
            if module.endswith("access"):
                return True
    return False


def _modules():
    return [p for p in CASEBOOK.rglob("*.py") if "migrations" not in p.parts]


def test_only_crypto_and_access_decrypt():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_names_used(path.read_text()) & DECRYPTING_NAMES)
        for path in _modules()
        if path.name not in MAY_DECRYPT
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    access_source = (CASEBOOK / "access.py").read_text()
    assert "open_fields" in _names_used(access_source)


def test_only_crypto_imports_the_cipher():
    importing = [str(p.relative_to(ROOT)) for p in _modules() if "cryptography" in p.read_text()]
    assert importing == ["casebook/envelope.py"]


def test_export_code_never_imports_crypto_or_access():
    exporters = [p for p in _modules() if p.stem.startswith(EXPORT_MODULES)]
    offenders = [str(p) for p in exporters if _imports_crypto(p.read_text())]
    assert offenders == []


def test_the_checkers_catch_violations():
    assert _names_used("from casebook.crypto import open_fields\nopen_fields(1)") & DECRYPTING_NAMES
    assert _imports_crypto("from casebook import crypto")
    assert _imports_crypto("import casebook.crypto")
    assert _imports_crypto("from casebook.access import case_read")
    assert not _imports_crypto("from casebook import taxonomy")


def test_noise_never_comes_from_python_random_generators():
    for name in ("disclosure.py", "releases.py", "exports.py"):
        source = (CASEBOOK / name).read_text()
        imported = {
            alias.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {
            node.module
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not imported & {"random", "numpy", "secrets", "numpy.random"}, name
    assert "opendp" in (CASEBOOK / "disclosure.py").read_text()
