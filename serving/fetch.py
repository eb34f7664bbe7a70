"""A registry version's files, fetched here or in a child process while the caller imports.

:func:`fetch_version` downloads one version of ``crm-<task>`` (its logged model and the run's
feature manifest) with MLflow. :class:`BackgroundFetch` runs the same in a child process:
``crmml score`` spends about 1.2 s of CPU importing MLflow and opening its store, and about
as much importing pandas, scikit-learn and LightGBM, all single-threaded. Side by side on two
cores the fixed start-up falls by about a second. This module stays light (no MLflow, pandas
or models at import) so that the child and the parent each import only their half.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("crmml.serving")
_ANSWER = "fetched.json"


@dataclass(frozen=True)
class Fetched:
    """One downloaded version: its files and what the registry says of it."""

    local: str  # the logged model's folder (MLmodel + pyfunc data)
    version: str
    tags: dict[str, str]
    run_id: str | None
    features: list[dict] | None  # the run's feature manifest entries, if logged


def fetch_version(client, name: str, *, task: str, version: str, dest: Path) -> Fetched:
    """Download version ``version`` of ``name`` into ``dest`` (raises on any fault)."""
    import mlflow

    mv = client.get_model_version(name, str(version))
    # The version's own artifact location, resolved by this client: a ``models:/`` URI would
    # be resolved against the process-wide registry (``./mlflow.db`` when none is set).
    uri = client.get_model_version_download_uri(name, str(mv.version))
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=uri, dst_path=str(dest), tracking_uri=client.tracking_uri
    )
    return Fetched(
        local=str(local),
        version=str(mv.version),
        tags=dict(mv.tags or {}),
        run_id=mv.run_id,
        features=_run_features(client, mv.run_id, task, dest),
    )


def alias_version(client, name: str, alias: str) -> str:
    return str(client.get_model_version_by_alias(name, alias).version)


def cannot_load(what: str, tracking_uri: str, exc: BaseException) -> str:
    return f"cannot load {what} from {tracking_uri}: {getattr(exc, 'message', exc)}"


def _run_features(client, run_id: str | None, task: str, dest: Path) -> list[dict] | None:
    """The run's feature manifest entries (``features/<task>.json``, logged by training)."""
    if not run_id:
        return None
    try:
        path = client.download_artifacts(run_id, f"features/{task}.json", str(dest))
        return json.loads(Path(path).read_text(encoding="utf-8")).get("features")
    except Exception as exc:  # an old run without the manifest: plain phrases
        log.warning("no feature manifest for run %s (%s): generic reason phrases", run_id, exc)
        return None


class BackgroundFetch:
    """Resolve ``name@alias`` (or ``version``) and download it in a child process.

    Use as a context manager: the download folder is removed (and a still running child
    stopped) on exit. :meth:`result` waits for the child and returns the :class:`Fetched`
    version, or raises ``CrmmlError`` with the same message an in-process load gives.
    """

    def __init__(
        self, *, name: str, alias: str, task: str, tracking_uri: str, version: str | None
    ):
        self.dest = Path(tempfile.mkdtemp(prefix="crmml-model-"))
        self.what = f"{name} v{version}" if version else f"{name}@{alias}"
        self.tracking_uri = tracking_uri
        request = {
            "name": name,
            "alias": alias,
            "task": task,
            "tracking_uri": tracking_uri,
            "version": version,
            "dest": str(self.dest),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "serving.fetch", json.dumps(request)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def running(self) -> bool:
        """The child is still at work (it takes a core while it runs)."""
        return self.proc.poll() is None

    def result(self) -> Fetched:
        from crmml.errors import CrmmlError

        _, err = self.proc.communicate()
        answer = self.dest / _ANSWER
        if self.proc.returncode != 0 or not answer.is_file():
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise CrmmlError(
                f"cannot load {self.what} from {self.tracking_uri}: the registry reader "
                f"exited with {self.proc.returncode} ({' / '.join(tail) or 'no message'})"
            )
        got: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
        if "error" in got:
            raise CrmmlError(got["error"])
        return Fetched(**got)

    def __enter__(self) -> BackgroundFetch:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dest, ignore_errors=True)


def _child(request: dict[str, Any]) -> None:
    from mlflow import MlflowClient

    dest, uri = Path(request["dest"]), request["tracking_uri"]
    name, version = request["name"], request["version"]
    what = f"{name} v{version}" if version else f"{name}@{request['alias']}"
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        if version is None:
            version = alias_version(client, name, request["alias"])
        fetched = fetch_version(client, name, task=request["task"], version=version, dest=dest)
        got: dict[str, Any] = asdict(fetched)
    except Exception as exc:
        got = {"error": cannot_load(what, uri, exc)}
    tmp = dest / f".{_ANSWER}.tmp"
    tmp.write_text(json.dumps(got), encoding="utf-8")
    tmp.replace(dest / _ANSWER)  # the parent reads a whole answer or none


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
