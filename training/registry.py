"""Model registry: ``crm-<task>`` names, version tags, and the ``challenger`` alias.

Registration is the job's last step, after everything else is logged, so a failed job never
leaves a version behind; if tagging or aliasing fails, the new version is deleted again.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from crmml.errors import CrmmlError
from training.config import TASKS

_READY_TIMEOUT_S = 60.0


def registered_name(task: str) -> str:
    """Registered model name of a task: ``crm-churn``, ``crm-repurchase``, ``crm-lead-score``."""
    if task not in TASKS:
        raise CrmmlError(f"unknown task '{task}': expected one of {', '.join(TASKS)}")
    return "crm-" + task.replace("_", "-")


def register_model(
    client,
    *,
    task: str,
    model_uri: str,
    run_id: str,
    model_id: str | None = None,
    tags: Mapping[str, str],
    alias: str = "challenger",
    description: str | None = None,
):
    """Register ``model_uri`` as a new version of ``crm-<task>`` and point ``alias`` at it.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion

    Raises
    ------
    CrmmlError
        Registration failed (the run stays logged; no version is left half-registered).
    """
    from mlflow.exceptions import MlflowException

    name = registered_name(task)
    try:
        try:
            client.get_registered_model(name)
        except MlflowException:
            client.create_registered_model(
                name, tags={"task": task}, description=f"crmml {task} model"
            )
    except MlflowException as exc:
        raise CrmmlError(
            f"registering run {run_id} as '{name}' failed ({exc.message}); run is logged "
            "but not registered"
        ) from None
    version = None
    try:
        version = client.create_model_version(
            name,
            model_uri,
            run_id=run_id,
            tags={k: str(v) for k, v in tags.items()},
            description=description,
            await_creation_for=0,  # polled below with our own bound
            model_id=model_id,
        )
        _wait_ready(client, name, version.version)
        client.set_registered_model_alias(name, alias, version.version)
        return client.get_model_version(name, version.version)
    except (MlflowException, CrmmlError) as exc:
        if version is not None:
            try:
                client.delete_model_version(name, version.version)
            except MlflowException:
                pass
        message = getattr(exc, "message", str(exc))
        raise CrmmlError(
            f"registering run {run_id} as '{name}' failed ({message}); the run is logged but "
            "not registered and no version was kept"
        ) from None


def _wait_ready(client, name: str, version: str) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while True:
        mv = client.get_model_version(name, version)
        status = str(mv.status)
        if status.endswith("READY"):
            return
        if status.endswith("FAILED_REGISTRATION"):
            raise CrmmlError(f"model version {name} v{version}: {mv.status_message or status}")
        if time.monotonic() > deadline:
            raise CrmmlError(f"model version {name} v{version} not ready after 60 s ({status})")
        time.sleep(0.5)
