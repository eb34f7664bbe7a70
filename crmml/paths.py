"""Where crmml keeps its local state. Nothing is created at import time."""

from __future__ import annotations

import os
from pathlib import Path


def crmml_home() -> Path:
    """``$CRMML_HOME``, default ``~/.crmml`` (not created here)."""
    return Path(os.environ.get("CRMML_HOME") or Path.home() / ".crmml").expanduser()


def default_tracking_uri(workdir: Path | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a SQLite store in the working directory."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    base = (workdir or Path.cwd()).resolve()
    return f"sqlite:///{base / 'mlflow.db'}"


def default_artifact_root(workdir: Path | None = None) -> str:
    """Local artifact folder used with the embedded SQLite store."""
    return str((workdir or Path.cwd()).resolve() / "mlartifacts")
