"""The package's shape: the import graph has no cycle, and the tree keeps the two tracks and the tooling apart."""
import ast
from pathlib import Path

import modgap
from modgap.paths import REPO_ROOT

PACKAGE = Path(modgap.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(top_level_only: bool) -> dict[str, set[str]]:
    """module -> the modgap modules it imports (``top_level_only``: only imports run when it is imported)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        targets = set()
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("modgap"):
                for alias in node.names:  # `from modgap.x import y` imports modgap.x.y when y is a module
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in modules else node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("modgap")}
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == "open":
                return stack[stack.index(m):] + [m]
            if m not in state and (c := visit(m)):
                return c
        state[n] = "done"
        stack.pop()
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)):
            return c
    return None


def test_the_import_graph_has_no_cycle():
    assert find_cycle(import_graph(top_level_only=True)) is None
    assert find_cycle(import_graph(top_level_only=False)) is None  # not even through imports inside functions


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_tracks_do_not_import_each_other_and_the_shared_parts_import_neither():
    graph = import_graph(top_level_only=False)
    for name, targets in graph.items():
        if name.startswith("modgap.matching"):
            assert not any(t.startswith("modgap.contrastive") for t in targets), name
        if name.startswith("modgap.contrastive"):
            assert not any(t.startswith("modgap.matching") for t in targets), name
        if name.split(".")[1:2] and name.split(".")[1] in ("data", "models", "losses", "metrics", "training"):
            assert not any(t.startswith(("modgap.matching", "modgap.contrastive", "modgap.tooling")) for t in targets), name


def test_no_module_name_collides_with_a_folder():
    """A module is not named like a folder (singular or plural) unless it is the tool for that folder's files."""
    folders = {p.name.rstrip("s") for p in PACKAGE.parent.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    folders |= {p.name.rstrip("s") for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"}
    modules = {p.stem.rstrip("s") for p in PACKAGE.rglob("*.py") if p.stem != "__init__"}
    tools = {"sweep"}  # modgap/tooling/sweep.py runs the grids in sweeps/
    assert not (modules & folders) - tools, (modules & folders) - tools


def test_committed_notebooks_carry_no_outputs():
    """Notebooks and exercises are committed clean (the pre-commit hook strips them): outputs belong to runs/."""
    import nbformat

    for nb_path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")) + sorted((REPO_ROOT / "exercises").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{nb_path.name}: cells {dirty} have outputs; clear them (jupyter nbconvert --clear-output)"
