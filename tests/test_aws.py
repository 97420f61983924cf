"""modules/constructs/aws.py: the fast path into the prebuilt AWS bindings, and its fallback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from modules.constructs.aws import ProviderBindings
from tests.conftest import ROOT


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_whole_synth_loads_few_provider_submodules(tmp_path: Path) -> None:
    result = run_python(f"""
        from modules.constructs import aws
        from modules.app import synthesize
        from modules.contract.validation import load_config
        synthesize(load_config("environments.toml"), {str(tmp_path)!r})
        print(len(aws.loaded_submodules()))
    """)
    assert result.returncode == 0, result.stderr
    loaded = int(result.stdout.split()[-1])
    assert 10 < loaded < 100


def test_no_other_module_imports_the_provider_package_directly() -> None:
    direct = re.compile(r"^\s*(from|import)\s+cdktf_cdktf_provider_aws\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in [
            ROOT / "main.py",
            *ROOT.glob("modules/**/*.py"),
            *ROOT.glob("tests/**/*.py"),
            *ROOT.glob("bench/**/*.py"),
            *ROOT.glob("ops/**/*.py"),
        ]
        if path.name != "aws.py" and direct.search(path.read_text())
    ]
    assert offenders == []


# The mechanism on a small fake package: its __init__ records that it ran.
@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = "fake_provider_pkg"
    package = tmp_path / name
    (package / "_jsii").mkdir(parents=True)
    (package / "__init__.py").write_text("import builtins\nbuiltins.FAKE_INIT_RAN = True\n")
    (package / "_jsii" / "__init__.py").write_text("LOADED = True\n")
    (package / "bucket.py").write_text("class Bucket: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m.split(".")[0] == name]:
        del sys.modules[module]
    import builtins

    if hasattr(builtins, "FAKE_INIT_RAN"):
        del builtins.FAKE_INIT_RAN


def test_fast_path_skips_the_package_init(fake_package: str) -> None:
    import builtins

    bindings = ProviderBindings(fake_package, eager=False)
    assert bindings.submodule("bucket").Bucket.__name__ == "Bucket"
    assert not hasattr(builtins, "FAKE_INIT_RAN")
    assert bindings.loaded_submodules() == ["_jsii", "bucket"]


def test_eager_mode_runs_the_package_init(fake_package: str) -> None:
    import builtins

    ProviderBindings(fake_package, eager=True).submodule("bucket")
    assert builtins.FAKE_INIT_RAN is True


def test_a_changed_layout_falls_back_to_the_full_import_and_says_so_once(
    fake_package: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import builtins

    shutil.rmtree(tmp_path / fake_package / "_jsii")  # a layout without the assembly module
    bindings = ProviderBindings(fake_package, eager=False)
    bindings.submodule("bucket")
    bindings.submodule("bucket")
    assert builtins.FAKE_INIT_RAN is True
    assert bindings.eager is True
    messages = capsys.readouterr().err.strip().splitlines()
    assert len(messages) == 1 and "falling back to the full import" in messages[0]


def test_unknown_submodules_are_attribute_errors() -> None:
    from modules.constructs import aws

    with pytest.raises(AttributeError, match="no submodule 'no_such_resource'"):
        aws.no_such_resource  # noqa: B018
