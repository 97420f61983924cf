"""The one place that chooses the engine (CDKTF or CDK Terrain) and imports its hashicorp/aws bindings.

``ARCHIVE_ENGINE`` (``cdktf``, the default, or ``cdktn``) is read here only: ``core`` is that engine's
core library (``cdktf`` or ``cdktn``: the same API), and ``aws.<submodule>`` its AWS provider's classes.
Constructs, the stack, the app and the tests use ``core`` and ``aws`` and never know which engine runs.

For CDKTF:

Importing ``cdktf_cdktf_provider_aws`` runs its package ``__init__``, which
imports all ~2,200 resource modules: 20-30 s and up to 1.6 GB per process on a
2-core machine, before a single resource exists. We need about twenty of them.

So this module puts a bare package object (with ``__path__``, without running
``__init__``) in ``sys.modules``, loads the jsii assembly from ``_jsii`` and
then only the submodules that are asked for::

    from modules.constructs import aws
    bucket = aws.s3_bucket.S3Bucket(scope, "archive", ...)

If the shortcut fails (another package version, a changed layout) the normal
import is used and a single line on stderr says so. Setting
``ARCHIVE_EAGER_PROVIDER_IMPORT=1`` forces the normal import (the benchmark's
baseline). Nothing else in the code base imports the package directly.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType

ENGINE_ENV = "ARCHIVE_ENGINE"
# engine → (core library, prebuilt aws provider package). cdktn-provider-aws loads its submodules lazily
# itself, so only cdktf's package needs the shortcut below.
ENGINES = {"cdktf": ("cdktf", "cdktf_cdktf_provider_aws"), "cdktn": ("cdktn", "cdktn_provider_aws")}
ENGINE = os.environ.get(ENGINE_ENV, "cdktf") or "cdktf"
if ENGINE not in ENGINES:  # main.py reports this before importing anything (synth_environment_problems)
    raise ImportError(f"{ENGINE_ENV}: expected one of {', '.join(ENGINES)}, got {ENGINE!r}")
CORE, PACKAGE = ENGINES[ENGINE]
core = importlib.import_module(CORE)
EAGER_IMPORT_ENV = "ARCHIVE_EAGER_PROVIDER_IMPORT"


class ProviderBindings:
    """Loads a jsii provider package's submodules on demand.

    The package name is a parameter so that the mechanism can be tested on a
    small fake package; the application uses the single ``_AWS`` instance.
    """

    def __init__(self, package: str, *, eager: bool) -> None:
        self.package = package
        self.eager = eager
        self._ready = False

    def _prepare(self) -> None:
        if self._ready:
            return
        self._ready = True
        if self.eager:
            importlib.import_module(self.package)
            return
        try:
            self._install_package_shell()
        except Exception as error:  # any failure means: use the supported path
            self._forget_package()
            self.eager = True
            print(
                f"note: fast import of {self.package} failed ({error!r}); "
                "falling back to the full import (slower, same result)",
                file=sys.stderr,
            )
            importlib.import_module(self.package)

    def _install_package_shell(self) -> None:
        if self.package in sys.modules:  # already imported in full elsewhere
            return
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"{self.package} is not an installed package")
        # module_from_spec gives the package its __path__ without executing it.
        sys.modules[self.package] = importlib.util.module_from_spec(spec)
        importlib.import_module(f"{self.package}._jsii")

    def _forget_package(self) -> None:
        for name in [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]:
            del sys.modules[name]

    def submodule(self, name: str) -> ModuleType:
        """Return the package's submodule ``name`` (e.g. ``"s3_bucket"``), importing it once."""
        self._prepare()
        return importlib.import_module(f"{self.package}.{name}")

    def loaded_submodules(self) -> list[str]:
        """Names of the package's submodules loaded in this process."""
        prefix = self.package + "."
        return sorted({n[len(prefix) :].split(".")[0] for n in sys.modules if n.startswith(prefix)})


_AWS = ProviderBindings(PACKAGE, eager=ENGINE == "cdktn" or os.environ.get(EAGER_IMPORT_ENV) == "1")


def loaded_submodules() -> list[str]:
    return _AWS.loaded_submodules()


def __getattr__(name: str) -> ModuleType:
    # PEP 562: ``aws.s3_bucket`` loads exactly that submodule on first use.
    if name.startswith("__") or name == "core":
        raise AttributeError(name)
    try:
        return _AWS.submodule(name)
    except ModuleNotFoundError as error:
        if error.name == f"{PACKAGE}.{name}":
            raise AttributeError(f"{PACKAGE} has no submodule {name!r}") from None
        raise
