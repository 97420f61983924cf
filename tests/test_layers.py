"""The layers: contract → constructs → stack → app, with operations beside, importing only downward.

modules/contract/  what users write and tools share: plain Python, no cdktf, no jsii
modules/constructs/ the cdktf constructs and the provider bindings
modules/stack.py, modules/app.py, main.py  on top
ops/               operator commands: the contract only (a command that synthesizes runs main.py)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

JSII_WORLD = ("cdktf", "constructs", "jsii", "cdktf_cdktf_provider_aws", "cdktn", "cdktn_provider_aws")
RULES = {
    # layer: modules it must not import
    "modules/contract": (*JSII_WORLD, "modules.constructs", "modules.stack", "modules.app"),
    "modules/constructs": ("modules.stack", "modules.app"),
    "modules/stack.py": ("modules.app",),
    "ops": (*JSII_WORLD, "modules.constructs", "modules.stack", "modules.app"),
}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def files(layer: str) -> list[Path]:
    path = ROOT / layer
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_downward(layer: str) -> None:
    assert files(layer), layer
    breaches = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files(layer)
        for name in sorted(imported(path))
        if any(name == banned or name.startswith(f"{banned}.") for banned in RULES[layer])
    ]
    assert breaches == []


def test_the_check_sees_a_breach(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from cdktf import App\n    import modules.stack\n")
    assert {"cdktf.App", "modules.stack"} <= imported(bad)


def test_every_module_belongs_to_a_layer() -> None:
    top = sorted(p.name for p in (ROOT / "modules").iterdir() if p.suffix == ".py" and p.name != "__init__.py")
    assert top == ["app.py", "stack.py"]
    assert sorted(p.name for p in (ROOT / "modules").iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "constructs",
        "contract",
    ]


def test_operator_commands_start_without_jsii() -> None:
    code = (
        "import sys, ops.__main__, ops.common, ops.review, ops.verify, ops.rollout, ops.cost\n"
        "from modules.contract.validation import load_config\n"
        "load_config('environments.toml')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{JSII_WORLD!r})\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
