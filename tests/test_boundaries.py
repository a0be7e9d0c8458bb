"""The import table of DESIGN.md: which Recoupe packages and which heavy libraries each package may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "recoupe"
SUBPACKAGES = ("ontology", "nlp", "ingest", "graph", "gnn", "web")
MAY_IMPORT = {
    "ontology": set(),
    "nlp": {"ontology"},
    "ingest": {"ontology", "nlp", "graph"},
    "graph": {"ontology"},
    "gnn": {"ontology", "graph"},
    "web": {"ontology", "nlp", "ingest", "graph", "gnn"},
}
# Third-party libraries that belong to one package only.
OWNER = {
    "neo4j": "graph",
    "torch": "gnn",
    "torch_geometric": "gnn",
    "rdflib": "ontology",
    "pyshacl": "ontology",
    "owlrl": "ontology",
    "spacy": "nlp",
    "flask": "web",
}
HEAVY = {"torch", "torch_geometric", "spacy"}  # only inside functions, never at module level


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path, root: Path = PACKAGE) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    top_level = {id(node) for node in tree.body}
    # `if TYPE_CHECKING:` blocks at module level count as module level
    for node in tree.body:
        if isinstance(node, ast.If):
            top_level |= {id(child) for child in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.append((name, id(node) in top_level))
    return found


def _owner(path: Path, root: Path = PACKAGE) -> str | None:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 and parts[0] in SUBPACKAGES else None


def boundary_problems(path: Path, root: Path = PACKAGE) -> list[str]:
    """What in one module breaks the import table."""
    owner = _owner(path, root)
    problems = []
    for name, module_level in _imports(path, root):
        root = name.split(".")[0]
        if root == "recoupe" and "." in name:
            target = name.split(".")[1]
            allowed = target == owner or (owner is not None and target in MAY_IMPORT[owner])
            allowed = allowed or (owner is None and target == "web")  # recoupe/__main__.py starts the CLI
            if target in SUBPACKAGES and not allowed:
                problems.append(f"imports recoupe.{target}")
        if root in OWNER and OWNER[root] != owner:
            problems.append(f"imports {root}, which belongs to recoupe/{OWNER[root]}")
        if root in HEAVY and module_level:
            problems.append(f"imports {root} at module level (import it inside the function that needs it)")
    return problems


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_the_import_table(path: Path) -> None:
    assert boundary_problems(path) == [], path


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    probe = tmp_path / "recoupe" / "graph" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("import torch\nfrom ..web import create_app\n\ndef f():\n    import spacy\n")
    assert boundary_problems(probe, tmp_path / "recoupe") == [
        "imports torch, which belongs to recoupe/gnn",
        "imports torch at module level (import it inside the function that needs it)",
        "imports recoupe.web",
        "imports spacy, which belongs to recoupe/nlp",
    ]


def test_nothing_imports_web() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _modules()
        if _owner(p) not in ("web", None) and any(n.startswith("recoupe.web") for n, _ in _imports(p))
    ]
    assert offenders == []


def test_command_line_starts_without_heavy_libraries() -> None:
    """`recoupe --help` must stay fast: the CLI module loads no driver, RDF, NLP or ML library."""
    probe = "import sys, recoupe.web.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'neo4j', 'rdflib', 'spacy', 'torch', 'torch_geometric', 'pyshacl', 'networkx'}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
