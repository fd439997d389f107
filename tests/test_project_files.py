"""The project's own files stay true to the tree: the README's layout table, and the
pre-commit hooks beside `make lint`.

`python -m tests.test_project_files` rewrites the README's layout table from the tree.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- layout: made from the tree by `python -m tests.test_project_files` -->"
END = "<!-- end of layout -->"


def first_line(path: Path) -> str:
    """The first sentence-line of a module's docstring (empty when it has none)."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return docstring.split("\n\n")[0].replace("\n", " ").strip()


def layout_table(root: Path = ROOT) -> str:
    """A row per subpackage of casebook/ and per module at its top, from their docstrings."""
    package = root / "casebook"
    rows = [f"| `casebook/` | {first_line(package / '__init__.py')} |"]
    for path in sorted(package.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "migrations":
            rows.append(f"| `casebook/{path.name}/` | {first_line(path / '__init__.py')} |")
        elif path.suffix == ".py" and path.name != "__init__.py":
            rows.append(f"| `casebook/{path.name}` | {first_line(path)} |")
    return "\n".join(["| path | what it owns |", "| --- | --- |", *rows])


def readme_with_layout(readme: str, table: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + "\n" + table + "\n" + readme[end:]


def test_every_room_and_top_module_has_a_docstring():
    missing = [line for line in layout_table().splitlines() if line.endswith("|  |")]
    assert missing == []


def test_readme_layout_table_is_the_tree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_with_layout(readme, layout_table()) == readme, (
        "The README's layout table differs from the tree: run `python -m tests.test_project_files`."
    )


def test_the_layout_table_follows_a_new_room(tmp_path):
    package = tmp_path / "casebook"
    (package / "drafts").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Casebook."""\n')
    (package / "drafts" / "__init__.py").write_text('"""Drafts: kept encrypted."""\n')
    (package / "taxonomy.py").write_text('"""The vocabulary."""\n')
    assert layout_table(tmp_path).splitlines()[2:] == [
        "| `casebook/` | Casebook. |",
        "| `casebook/drafts/` | Drafts: kept encrypted. |",
        "| `casebook/taxonomy.py` | The vocabulary. |",
    ]


def lint_commands() -> list[str]:
    """The commands of the Makefile's lint target, without the tree they are given."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe is not None
    commands = [line.strip().replace("$(VENV)", ".venv") for line in recipe.group(1).splitlines()]
    return [command.removesuffix(" .") for command in commands]


def test_pre_commit_runs_what_make_lint_runs():
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    entries = [hook["entry"] for hook in config["repos"][0]["hooks"]]
    assert entries == lint_commands()


if __name__ == "__main__":
    readme_path = ROOT / "README.md"
    readme_path.write_text(
        readme_with_layout(readme_path.read_text(encoding="utf-8"), layout_table()),
        encoding="utf-8",
    )
    sys.stdout.write(layout_table() + "\n")


def test_docker_compose_runs_exactly_one_sealer_beside_the_web_service():
    """Production's access log needs its sealer (README, "The access log's chain"): one
    service, the application role, no key-encryption key, started after migrations."""
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    sealers = [
        name
        for name, service in services.items()
        if "seal_access_log" in " ".join(service.get("entrypoint", []))
    ]
    assert sealers == ["sealer"]
    sealer = services["sealer"]
    assert sealer["entrypoint"] == ["python", "manage.py", "seal_access_log", "--follow"]
    assert sealer["environment"]["DATABASE_URL_FILE"] == "/run/secrets/database_url"
    assert (
        "casebook_kek" not in sealer["secrets"] and "CASEBOOK_KEK_FILE" not in sealer["environment"]
    )
    assert sealer["depends_on"]["web"]["condition"] == "service_healthy"
    assert sealer.get("deploy", {}).get("replicas", 1) == 1


def test_the_installed_package_carries_every_jinja2_template():
    """The image installs Casebook with pip: a template left out of the package data
    would be missing wherever the installed copy is imported."""
    import tomllib

    from setuptools.glob import glob

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = declared["package-data"]["casebook"]
    package = ROOT / "casebook"
    carried = {
        Path(found).relative_to(package)
        for pattern in patterns
        for found in glob(str(package / pattern), recursive=True)
    }
    templates = {path.relative_to(package) for path in (package / "jinja2").rglob("*.html")}
    assert templates and templates <= carried
