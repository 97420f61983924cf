"""Terraform without the registry: a local filesystem mirror of hashicorp/aws, found at run time.

A machine with no route to the Terraform registry can still init, validate,
plan and apply a stack when a provider mirror lies on disk in Terraform's
standard layout, ``<mirror>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/``.
When the mirror holds another version than the stack pins, Terraform is run
on a *copy* of the stack whose aws constraint names the mirror's version, and
that is said on one line: what ``make synth`` writes is never changed.

Plain Python (no cdktf): ``python -m ops validate``/``plan`` and the e2e
harness share it.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import re
import shutil
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGISTRY_HOST = "registry.terraform.io"
AWS_PROVIDER = f"{REGISTRY_HOST}/hashicorp/aws"
# Set to a folder to name the mirror; set to "off" to never use one.
MIRROR_VARIABLE = "TERRAFORM_PROVIDER_MIRROR"
# Terraform's implied local mirror directories (CLI configuration, "Implied Local Mirror Directories"),
# searched first; then the whole filesystem.
IMPLIED_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
# Never walked: virtual filesystems and trees that cannot hold a mirror but are huge.
_PRUNED = {"/proc", "/sys", "/dev", "/run", "/tmp/.X11-unix"}
# .terraform/providers has the same layout, but is one stack's installed copy (often links), not a mirror.
_PRUNED_NAMES = {"node_modules", ".git", "__pycache__", ".venv", "site-packages", ".terraform"}
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def platform_dir() -> str:
    """Terraform's <os>_<arch> for this machine (linux_amd64, darwin_arm64, ...)."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


@dataclass(frozen=True)
class ProviderMirror:
    """A filesystem mirror holding hashicorp/aws ``version`` for this platform, under ``root``."""

    root: Path
    version: str

    def cli_config(self) -> str:
        """A Terraform CLI configuration (TF_CLI_CONFIG_FILE) that installs hashicorp/aws from the
        mirror and nothing from the network."""
        return (
            "provider_installation {\n"
            f"  filesystem_mirror {{\n    path    = {json.dumps(str(self.root))}\n"
            f'    include = ["{AWS_PROVIDER}"]\n  }}\n'
            "}\n"
        )

    def write_cli_config(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.cli_config(), encoding="utf-8")
        return path


def _mirrors_under(root: Path, arch: str) -> Iterator[ProviderMirror]:
    versions = root / AWS_PROVIDER
    if not versions.is_dir():
        return
    for version_dir in sorted(versions.iterdir()):
        if _VERSION.match(version_dir.name) and any(
            map(_is_provider, (version_dir / arch).glob("terraform-provider-aws_*"))
        ):
            yield ProviderMirror(root, version_dir.name)


def _is_provider(path: Path) -> bool:
    """A provider binary Terraform can run: a non-empty executable file."""
    return path.is_file() and path.stat().st_size > 0 and os.access(path, os.X_OK)


def _walk_for_mirrors(start: Path, arch: str) -> Iterator[ProviderMirror]:
    for folder, subfolders, _ in os.walk(start):
        if folder in _PRUNED:
            subfolders[:] = []
            continue
        if REGISTRY_HOST in subfolders:
            yield from _mirrors_under(Path(folder), arch)
        subfolders[:] = [name for name in subfolders if name not in _PRUNED_NAMES and name != REGISTRY_HOST]


def find_mirrors(environ: dict[str, str] | None = None, search: Iterable[Path] | None = None) -> list[ProviderMirror]:
    """Every hashicorp/aws mirror for this platform: the named one, the implied ones, then a walk of ``search``
    (the whole filesystem by default). Newest version first."""
    environ = dict(os.environ) if environ is None else environ
    named = environ.get(MIRROR_VARIABLE, "")
    if named.lower() == "off":
        return []
    arch = platform_dir()
    if named:
        return sorted(_mirrors_under(Path(named), arch), key=_version_key, reverse=True)
    found = [m for root in IMPLIED_MIRRORS for m in _mirrors_under(Path(root).expanduser(), arch)]
    if not found:
        for start in search if search is not None else [Path("/")]:
            found.extend(_walk_for_mirrors(start, arch))
    unique = {(m.root, m.version): m for m in found}
    return sorted(unique.values(), key=_version_key, reverse=True)


def _version_key(mirror: ProviderMirror) -> tuple[int, ...]:
    return tuple(int(part) for part in mirror.version.split("."))


def choose_mirror(mirrors: list[ProviderMirror], pinned: str) -> ProviderMirror | None:
    """The mirror of the pinned version if there is one, else the newest."""
    exact = [m for m in mirrors if m.version == pinned]
    return (exact or mirrors or [None])[0]


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the Terraform registry opens (DNS and route), quickly."""
    try:
        with socket.create_connection((REGISTRY_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def pinned_aws_version(document: dict[str, Any]) -> str:
    return str(document.get("terraform", {}).get("required_providers", {}).get("aws", {}).get("version", ""))


def relaxed(document: dict[str, Any], version: str) -> dict[str, Any]:
    """The stack with its hashicorp/aws constraint set to ``version``; nothing else changes."""
    result = copy.deepcopy(document)
    result["terraform"]["required_providers"]["aws"]["version"] = version
    return result


def relaxation_notice(mirror: ProviderMirror, pinned: str) -> str:
    return f"planned with hashicorp/aws {mirror.version} from the local mirror; the stack pins {pinned}"


def copy_stack(stack_dir: Path, target: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as ``target``/cdk.tf.json beside copies of the stack's other files (not its
    .terraform/, state or plans). ``target`` is emptied first: it is a work folder of ours."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for item in stack_dir.iterdir():
        if item.is_file() and item.name != "cdk.tf.json" and not item.name.startswith(("terraform.", "tfplan")):
            shutil.copy2(item, target / item.name)
    (target / "cdk.tf.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return target
