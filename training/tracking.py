"""Where runs go: tracking URI, a fail-fast reachability check, experiments, batched logging."""

from __future__ import annotations

import contextlib
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlparse

from crmml.errors import CrmmlError
from crmml.paths import default_artifact_root, default_tracking_uri


def resolve_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the embedded SQLite store in the working directory."""
    return default_tracking_uri()


def artifact_location(uri: str) -> str | None:
    """Artifact root for a new experiment: beside a SQLite file, the working dir for other
    databases, and the server's own choice (None) over HTTP."""
    scheme = urlparse(uri).scheme
    if scheme in ("http", "https", "databricks"):
        return None
    if scheme == "sqlite":
        # Artifacts beside the database file (the default store: ./mlflow.db + ./mlartifacts).
        db = Path(uri.removeprefix("sqlite:///"))
        return Path(default_artifact_root(db.parent)).as_uri()
    if scheme in ("", "file"):
        return None
    return Path(default_artifact_root()).as_uri()


def ensure_reachable(uri: str, *, timeout: float = 5.0) -> None:
    """Fail fast, before any training, if the tracking store cannot be reached.

    Raises
    ------
    CrmmlError
        Naming the URI (without credentials) and what failed.
    """
    parsed = urlparse(uri)
    shown = _redact(uri)
    if parsed.scheme in ("http", "https"):
        url = uri.rstrip("/") + "/health"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (user's URI)
                if resp.status >= 500:
                    raise CrmmlError(f"tracking server {shown} answered HTTP {resp.status}")
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 404 and not _api_answers(uri, timeout):
                raise CrmmlError(
                    f"tracking server {shown} is not an MLflow server (HTTP {exc.code} on /health)"
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CrmmlError(
                f"tracking server {shown} is unreachable ({reason}); start it or set "
                "MLFLOW_TRACKING_URI to a reachable server"
            ) from None
    elif parsed.scheme == "sqlite":
        folder = Path(uri.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            raise CrmmlError(f"tracking store {shown}: folder {folder} does not exist")
    elif parsed.scheme.startswith(("postgresql", "mysql", "mssql")):
        _check_database(uri, shown, timeout)


def _api_answers(uri: str, timeout: float) -> bool:
    url = uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310
            return resp.status < 400
    except (urllib.error.URLError, OSError):
        return False


def _check_database(uri: str, shown: str, timeout: float) -> None:
    import sqlalchemy

    args = {"connect_timeout": max(1, int(timeout))} if uri.startswith("postgres") else {}
    engine = sqlalchemy.create_engine(uri, connect_args=args, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except Exception as exc:  # driver errors differ per database
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CrmmlError(f"tracking store {shown} is unreachable ({first})") from None
    finally:
        engine.dispose()


def _redact(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.password:
        return uri.replace(f":{parsed.password}@", ":***@")
    return uri


@contextlib.contextmanager
def fail_fast_http(*, timeout: int = 30) -> Iterator[None]:
    """No retries and a bounded request timeout while the job runs (unless the user set them)."""
    wanted = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(timeout),
    }
    previous = {key: os.environ.get(key) for key in wanted}
    for key, value in wanted.items():
        os.environ.setdefault(key, value)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)


def get_or_create_experiment(client, name: str, *, tracking_uri: str) -> str:
    """The experiment id of ``name``, created with our artifact location if it is new."""
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            client.restore_experiment(exp.experiment_id)
        return exp.experiment_id
    return client.create_experiment(name, artifact_location=artifact_location(tracking_uri))


def log_batch(
    client,
    run_id: str,
    *,
    params: Mapping[str, object] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    step: int = 0,
) -> None:
    """Log params, metrics and tags in one ``MlflowClient.log_batch`` call (chunked by MLflow)."""
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[
            Metric(k, float(v), now, step) for k, v in (metrics or {}).items() if v is not None
        ],
        params=[Param(k, _param_value(v)) for k, v in (params or {}).items()],
        tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
    )


def _param_value(value: object) -> str:
    text = str(value)
    # MLflow caps param values (6000 chars); a longer value is kept as an artifact instead.
    return text if len(text) <= 6000 else text[:5990] + "..."
