"""The layout shows the architecture: configuration < constructs < tiers < operations, imports pointing down.

Read from the source with `ast` (function-level imports count too), so a shortcut
that would load the AWS bindings where they are not needed fails here first.
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "modules"
LAYERS = ("configuration", "constructs", "tiers", "operations")
BUILDERS = {"modules.operations.synthesis", "modules.operations.export"}  # the operations that build tiers
BINDINGS = ("cdktf", "cdktf_cdktf_provider_aws", "constructs", "jsii")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    """Every module `path` imports, resolved to absolute names."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names
                      if (PACKAGE.parent / Path(*f"{target}.{alias.name}".split("."))).with_suffix(".py").exists()}
    return found


GRAPH = {module_name(path): imports(path) for path in PACKAGE.rglob("*.py")}


def layer(name: str) -> int | None:
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_layer():
    assert {name for name in GRAPH if layer(name) is None} == {"modules"}


def test_imports_only_point_down_the_layers():
    upward = [(name, target) for name, targets in GRAPH.items() for target in targets
              if layer(name) is not None and layer(target) is not None and layer(target) > layer(name)]
    assert upward == []


def reachable(name: str) -> set[str]:
    """Everything importing `name` imports, directly or through the project's own modules."""
    seen, todo = set(), [name]
    while todo:
        for target in GRAPH.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_configuration_and_the_tooling_operations_load_no_bindings():
    """Through any chain of imports: a tooling operation that imported synthesis would load them too."""
    for name in GRAPH:
        tooling = layer(name) == LAYERS.index("operations") and name not in BUILDERS
        if layer(name) == 0 or tooling:
            loaded = reachable(name)
            assert not {t for t in loaded if t.split(".")[0] in BINDINGS}, name
            assert not loaded & BUILDERS, f"{name} imports an operation that builds tiers"
            assert not {t for t in loaded if layer(t) in (1, 2)}, f"{name} imports a construct or a tier"


def test_constructs_import_no_tier_and_there_is_no_cycle():
    assert not [(n, t) for n, ts in GRAPH.items() if layer(n) == 1 for t in ts if layer(t) == 2]
    internal = {name: {t for t in targets if t in GRAPH and t != name and not name.startswith(t + ".")}
                for name, targets in GRAPH.items()}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(internal[name]):
            assert state.get(target) != 1, " -> ".join(path + [name, target])
            if target not in state:
                visit(target, path + [name])
        state[name] = 2

    for name in sorted(internal):
        if name not in state:
            visit(name, [])


def test_one_module_makes_the_aws_sdk_clients():
    """cluster_resources.Aws is the one place SDK clients are made, so SDK_RETRIES (throttling, 5xx)
    holds for every AWS call the project makes outside Terraform."""
    makers = {module_name(path) for path in PACKAGE.rglob("*.py")
              if any(name == "boto3" or name.startswith(("boto3.", "botocore.session")) for name in imports(path))}
    assert makers == {"modules.operations.cluster_resources"}


# --------------------------------------------------------------------------- the harness

# The e2e jobs run in threads beside the other tests (tests/e2e/conftest.py) and read os.environ
# (terraform's environment, botocore's proxy lookup). Reading it while another thread removes a key
# raises KeyError (a clean CI run failed so); and a value a test set would leak into their runs. So a
# test hands its variables to the code under test (main.main(argv, env), terraform_env(base=...)).
CHANGING = {"setenv", "delenv", "putenv", "unsetenv", "update", "pop", "popitem", "setdefault", "clear",
            "__setitem__", "__delitem__"}


def environment_changes(source: str) -> list[int]:
    """Lines of `source` that change the process environment."""
    def environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target, name = node.func.value, node.func.attr
            if (name in ("setenv", "delenv", "putenv", "unsetenv")
                    or (name in CHANGING and environ(target))
                    or (name in ("setitem", "delitem") and node.args and environ(node.args[0]))):
                found.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(isinstance(t, ast.Subscript) and environ(t.value) for t in targets):
                found.append(node.lineno)
    return found


def test_the_check_finds_each_way_of_changing_the_environment():
    lines = ["monkeypatch.setenv('A', '1')", "monkeypatch.delenv('A')", "os.environ['A'] = '1'",
             "del os.environ['A']", "os.environ.update(A='1')", "os.environ.pop('A')", "os.putenv('A', '1')",
             "monkeypatch.setitem(os.environ, 'A', '1')", "env = {**os.environ}", "os.environ.get('A')"]
    assert sorted(environment_changes("\n".join(lines))) == list(range(1, 9))


def test_no_test_changes_the_process_environment():
    harness = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "emulator").rglob("*.py")]
    changes = {str(path.relative_to(ROOT)): lines for path in sorted(harness)
               if (lines := environment_changes(path.read_text()))}
    assert changes == {}
