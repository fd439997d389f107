"""Architecture rules: rooms whose imports run one way, one guarded path to testimony.

Every rule is a function over a source tree, so that each is also shown failing on a
tree with a planted violation (the tests at the bottom).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rooms from the top down, as data. A module may import its own room and the rooms of
# lower layers; never a room of its own layer or of a layer above.
ROOMS: dict[str, tuple[str, ...]] = {
    "entry points": (
        "config",
        "casebook.urls",
        "casebook.apps",
        "casebook.checks",
        "casebook.admin",
        "casebook.management",
    ),
    "web": ("casebook.web",),
    "jobs": ("casebook.jobs",),
    "coalition": ("casebook.coalition",),
    "cases": ("casebook.cases",),
    "aggregates": ("casebook.aggregates",),
    "accounts": ("casebook.accounts",),
    "audit": ("casebook.audit",),
    "roles": ("casebook.roles",),
    "crypto": ("casebook.crypto",),
    "models": ("casebook.models",),
    "db": ("casebook.db",),
    "taxonomy": ("casebook.taxonomy", "casebook.references"),
    "environment": ("casebook.environment",),
}
LAYERS: list[set[str]] = [
    {"entry points"},
    {"web", "jobs"},
    {"coalition"},
    {"cases", "aggregates"},
    {"accounts"},
    {"audit"},
    {"roles", "crypto"},
    {"models", "db"},
    {"taxonomy", "environment"},
]
LAYER_OF = {room: depth for depth, rooms in enumerate(LAYERS) for room in rooms}

MANAGERS = {"objects", "_default_manager", "_base_manager"}
DECRYPTING_NAMES = {"open_fields", "_unwrap", "_open", "AESGCM", "InvalidTag"}
MAY_DECRYPT = {
    "casebook.crypto.envelope",
    "casebook.cases.access",
    # Coalition bundles sealed to the combiner (never testimony): opened only by the
    # combiner's code, see bundle_openers below.
    "casebook.crypto.coalition",
}
# What the coalition room may import: everything below it except the cases room (where
# testimony is read) and accounts.
COALITION_MAY_IMPORT = {
    "coalition",
    "aggregates",
    "crypto",
    "audit",
    "roles",
    "models",
    "db",
    "taxonomy",
}
MAY_OPEN_BUNDLES = {"casebook.crypto.coalition", "casebook.coalition.combining"}


def modules(root: Path) -> dict[str, Path]:
    """Every Python module of casebook/ and config/ (migrations aside), by dotted name."""
    found = {}
    for package in ("casebook", "config"):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).with_suffix("")
            if "migrations" in relative.parts:
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """Every casebook or config module this module imports, with the line: at the top,
    inside functions, relative or absolute. `from a import b` names a.b when b is a
    module, else a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in known else base))
    return [(line, target) for line, target in found if target.split(".")[0] in ROOT_PACKAGES]


ROOT_PACKAGES = {"casebook", "config"}


def room_of(name: str) -> str | None:
    matches = [
        (len(prefix), room)
        for room, prefixes in ROOMS.items()
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def rooms_unassigned(root: Path) -> list[str]:
    """Modules that belong to no room (the package roots excepted)."""
    return [name for name in modules(root) if name not in ROOT_PACKAGES and not room_of(name)]


def imports_against_the_direction(root: Path) -> list[str]:
    known = modules(root)
    offenders = []
    for name, path in known.items():
        room = room_of(name)
        if room is None:
            continue
        for line, target in imports(name, path, set(known)):
            target_room = room_of(target)
            if target_room is None or target_room == room:
                continue
            if LAYER_OF[target_room] <= LAYER_OF[room]:
                offenders.append(f"{name}:{line} ({room}) imports {target} ({target_room})")
    return offenders


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), imports in functions
    included."""
    known = modules(root)
    graph = {
        name: {target for _, target in imports(name, path, set(known)) if target in known}
        for name, path in known.items()
    }
    # A package's __init__ is imported by every import of its modules; it only counts
    # as a node for what it imports itself.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def manager_uses(source: str, label: str) -> list[str]:
    """`Model.objects` (or another manager) touched directly."""
    return [
        f"{label}:{node.lineno} {node.value.id}.{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in MANAGERS
        and isinstance(node.value, ast.Name)
    ]


def web_manager_uses(root: Path) -> list[str]:
    return [
        use
        for name, path in modules(root).items()
        if room_of(name) == "web"
        for use in manager_uses(path.read_text(encoding="utf-8"), name)
    ]


def views_importing_views(root: Path) -> list[str]:
    known = modules(root)
    return [
        f"{name}:{line} imports {target}"
        for name, path in known.items()
        if name.startswith("casebook.web.views.")
        for line, target in imports(name, path, set(known))
        if target.startswith("casebook.web.views") and target != "casebook.web.views"
    ]


def names_used(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.name.split(".")[-1] for alias in node.names)
    return names


def decrypting_modules(root: Path) -> dict[str, list[str]]:
    """Modules outside the one access path that use a name that decrypts."""
    found = {
        name: sorted(names_used(path.read_text(encoding="utf-8")) & DECRYPTING_NAMES)
        for name, path in modules(root).items()
        if name not in MAY_DECRYPT
    }
    return {name: used for name, used in found.items() if used}


def cipher_importers(root: Path) -> list[str]:
    return [
        name
        for name, path in modules(root).items()
        if any(
            target == "cryptography" or target.startswith("cryptography.")
            for target in _all_imported(path)
        )
    ]


def _all_imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def aggregates_reaching_secrets(root: Path) -> list[str]:
    """Aggregate code that imports crypto or the cases room (where testimony is read)."""
    known = modules(root)
    return [
        f"{name}:{line} imports {target}"
        for name, path in known.items()
        if room_of(name) == "aggregates"
        for line, target in imports(name, path, set(known))
        if room_of(target) in {"crypto", "cases"}
    ]


def coalition_imports_outside_its_rooms(root: Path) -> list[str]:
    known = modules(root)
    return [
        f"{name}:{line} imports {target}"
        for name, path in known.items()
        if room_of(name) == "coalition"
        for line, target in imports(name, path, set(known))
        if room_of(target) not in COALITION_MAY_IMPORT
    ]


def bundle_openers(root: Path) -> list[str]:
    """Modules that open sealed coalition bundles, outside the combiner's code."""
    return [
        name
        for name, path in modules(root).items()
        if name not in MAY_OPEN_BUNDLES and "open_sealed" in names_used(path.read_text("utf-8"))
    ]


def python_randomness_in_aggregates(root: Path) -> list[str]:
    return [
        name
        for name, path in modules(root).items()
        if room_of(name) == "aggregates"
        and {t.split(".")[0] for t in _all_imported(path)} & {"random", "numpy", "secrets"}
    ]


# The rules, on Casebook itself.


def test_every_module_belongs_to_a_room():
    assert rooms_unassigned(ROOT) == []


def test_imports_run_one_way():
    assert imports_against_the_direction(ROOT) == []


def test_no_import_cycles():
    assert import_cycles(ROOT) == []


def test_web_never_touches_a_model_manager():
    assert web_manager_uses(ROOT) == []


def test_no_view_imports_another_view():
    assert views_importing_views(ROOT) == []


def test_only_the_access_path_decrypts():
    assert decrypting_modules(ROOT) == {}
    access = modules(ROOT)["casebook.cases.access"].read_text(encoding="utf-8")
    assert "open_fields" in names_used(access)


def test_only_the_crypto_room_imports_the_cipher():
    assert cipher_importers(ROOT) == [
        "casebook.crypto.coalition",
        "casebook.crypto.envelope",
        "casebook.crypto.signing",
    ]


def test_aggregates_never_reach_crypto_or_cases():
    assert aggregates_reaching_secrets(ROOT) == []


def test_the_coalition_reaches_only_its_rooms_and_only_the_combiner_opens_bundles():
    assert coalition_imports_outside_its_rooms(ROOT) == []
    assert bundle_openers(ROOT) == []
    combining = modules(ROOT)["casebook.coalition.combining"].read_text(encoding="utf-8")
    assert "open_sealed" in names_used(combining)


def test_noise_never_comes_from_python_random_generators():
    assert python_randomness_in_aggregates(ROOT) == []
    disclosure = modules(ROOT)["casebook.aggregates.disclosure"]
    assert "opendp" in _all_imported(disclosure) or "opendp.prelude" in _all_imported(disclosure)


# The rules, failing on planted violations.


def _plant(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in ("casebook", "config"):
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


def test_an_upward_import_is_caught_even_inside_a_function(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/roles.py": "def of():\n    from casebook.audit import log\n",
            "casebook/audit/__init__.py": "",
            "casebook/audit/log.py": "from casebook import roles\n",
        },
    )
    assert imports_against_the_direction(root) == [
        "casebook.roles:2 (roles) imports casebook.audit.log (audit)"
    ]


def test_an_import_between_peers_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/cases/__init__.py": "",
            "casebook/cases/services.py": "from ..aggregates.releases import budget\n",
            "casebook/aggregates/__init__.py": "",
            "casebook/aggregates/releases.py": "budget = 1\n",
        },
    )
    assert imports_against_the_direction(root) == [
        "casebook.cases.services:1 (cases) imports casebook.aggregates.releases (aggregates)"
    ]


def test_a_cycle_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/audit/__init__.py": "",
            "casebook/audit/a.py": "from casebook.audit import b\n",
            "casebook/audit/b.py": "def f():\n    import casebook.audit.a\n",
        },
    )
    assert import_cycles(root) == [["casebook.audit.a", "casebook.audit.b"]]


def test_a_module_outside_every_room_is_caught(tmp_path):
    root = _plant(tmp_path, {"casebook/helpers.py": ""})
    assert rooms_unassigned(root) == ["casebook.helpers"]


def test_a_view_querying_a_model_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/web/__init__.py": "",
            "casebook/web/views/__init__.py": "",
            "casebook/web/views/leak.py": "def leak():\n    return Team.objects.all()\n",
            "casebook/web/forms/__init__.py": "",
            "casebook/web/forms/leak.py": "x = TOTPDevice._default_manager\n",
        },
    )
    assert sorted(web_manager_uses(root)) == [
        "casebook.web.forms.leak:1 TOTPDevice._default_manager",
        "casebook.web.views.leak:2 Team.objects",
    ]


def test_a_view_importing_a_view_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/web/__init__.py": "",
            "casebook/web/views/__init__.py": "",
            "casebook/web/views/a.py": "from casebook.web.views.b import helper\n",
            "casebook/web/views/b.py": "helper = 1\n",
        },
    )
    assert views_importing_views(root) == ["casebook.web.views.a:1 imports casebook.web.views.b"]


def test_decryption_outside_the_access_path_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/aggregates/__init__.py": "",
            "casebook/aggregates/peek.py": (
                "from casebook.crypto.envelope import open_fields\nopen_fields(1)\n"
            ),
            "casebook/cases/__init__.py": "",
            "casebook/cases/access.py": "from casebook.crypto import envelope\n"
            "envelope.open_fields(1)\n",
        },
    )
    assert decrypting_modules(root) == {"casebook.aggregates.peek": ["open_fields"]}
    assert aggregates_reaching_secrets(root) == [
        "casebook.aggregates.peek:1 imports casebook.crypto.envelope"
    ]


def test_a_cipher_import_or_python_noise_outside_its_room_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/aggregates/__init__.py": "",
            "casebook/aggregates/noise.py": "import random\n",
            "casebook/cases/__init__.py": "",
            "casebook/cases/seal.py": "from cryptography.hazmat.primitives import hashes\n",
        },
    )
    assert cipher_importers(root) == ["casebook.cases.seal"]
    assert python_randomness_in_aggregates(root) == ["casebook.aggregates.noise"]


def test_the_coalition_reaching_cases_or_a_view_opening_bundles_is_caught(tmp_path):
    root = _plant(
        tmp_path,
        {
            "casebook/coalition/__init__.py": "",
            "casebook/coalition/peek.py": "from casebook.cases import access\n",
            "casebook/cases/__init__.py": "",
            "casebook/cases/access.py": "",
            "casebook/web/__init__.py": "",
            "casebook/web/views/__init__.py": "",
            "casebook/web/views/bundle.py": (
                "from casebook.crypto.coalition import open_sealed\nopen_sealed(1, 2)\n"
            ),
        },
    )
    assert coalition_imports_outside_its_rooms(root) == [
        "casebook.coalition.peek:1 imports casebook.cases.access"
    ]
    assert bundle_openers(root) == ["casebook.web.views.bundle"]
