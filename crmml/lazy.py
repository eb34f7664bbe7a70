"""Lazy package re-exports (PEP 562), shared by the stage packages.

``crmml --help`` and ``crmml score`` import every stage's CLI; a stage package that imported
its whole core on import would pull in scikit-learn, SciPy, fairlearn and MLflow for nothing
(the evaluation stage alone cost ~0.6 s of ``crmml score``'s start-up). A package lists its
public names and the module of each; a name is imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` re-exporting ``name -> module``."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
            globals_of_package = importlib.import_module(package).__dict__
            globals_of_package[name] = value  # later lookups skip __getattr__
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*importlib.import_module(package).__dict__, *exports})

    return __getattr__, __dir__
