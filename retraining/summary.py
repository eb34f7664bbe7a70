"""The retrain summary: per task, old and new version, metrics side by side, verdict, decision.

Written as JSON (``--summary PATH``, and as the parent run's ``retrain_summary.json``), so a
scheduler, a reviewer and MLflow read the same record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from monitoring.report import write_json

EXPERIMENT = "crmml-retrain"
METRICS = ("roc_auc", "pr_auc", "ece", "brier", "log_loss")

# Decisions a task can end with.
PROMOTED = "promoted"
AWAITING_REVIEW = "awaiting review"
NOT_PROMOTED = "not promoted"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class TaskOutcome:
    """What one task of a retrain came to."""

    task: str
    old_version: str | None = None
    new_version: str | None = None
    old_metrics: dict[str, float | None] = field(default_factory=dict)
    new_metrics: dict[str, float | None] = field(default_factory=dict)
    verdict: str | None = None
    decision: str = SKIPPED
    reason: str = ""
    failed_checks: list[str] = field(default_factory=list)
    run_id: str | None = None
    report: str | None = None
    drift: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def metrics_from_report(report: dict) -> tuple[dict, dict]:
    """(challenger, champion) metrics on the same test rows, from an evaluation report."""
    new = {k: report["overall"].get(k, {}).get("value") for k in METRICS}
    champ = report.get("champion_comparison") or {}
    old = {k: champ["champion"].get(k) for k in METRICS} if champ else {}
    return new, old


def build_summary(
    *,
    as_of: str,
    raw: str,
    work: str,
    status: str,
    outcomes: list[TaskOutcome],
    parent_run_id: str | None,
    tracking_uri: str,
    data_hash: str | None = None,
    problems: list[str] | None = None,
    policy: dict | None = None,
) -> dict:
    """The summary mapping (``status``: completed, blocked or failed)."""
    return {
        "as_of": as_of,
        "raw": raw,
        "work": work,
        "status": status,
        "problems": list(problems or []),
        "data_hash": data_hash,
        "parent_run_id": parent_run_id,
        "tracking_uri": tracking_uri,
        "promoted": [o.task for o in outcomes if o.decision == PROMOTED],
        "policy": policy,
        "tasks": {o.task: o.as_dict() for o in outcomes},
    }


def write_summary(summary: dict, path: Path) -> Path:
    """Atomic JSON write of the summary."""
    return write_json(Path(path), summary)


def summary_lines(summary: dict) -> list[str]:
    """One human line per task (for the CLI and the run's note)."""
    lines = []
    for task, o in summary["tasks"].items():
        new_auc, old_auc = o["new_metrics"].get("roc_auc"), o["old_metrics"].get("roc_auc")
        auc = ""
        if new_auc is not None:
            auc = f" AUC {new_auc:.3f}" + (f" vs {old_auc:.3f}" if old_auc is not None else "")
        versions = f"v{o['old_version'] or '-'} -> v{o['new_version'] or '-'}"
        lines.append(
            f"{task}: {o['decision']} ({versions};{auc} verdict {o['verdict'] or '-'})"
            + (f": {o['reason']}" if o["reason"] else "")
        )
    return lines


def log_parent_run(client, run_id: str, summary: dict, outcomes: list[TaskOutcome]) -> None:
    """Summary artifact, metrics side by side and decisions on the retrain's parent run."""
    import tempfile

    from training.tracking import log_batch

    with tempfile.TemporaryDirectory(prefix="crmml-retrain-") as tmp:
        client.log_artifact(run_id, str(write_json(Path(tmp) / "retrain_summary.json", summary)))
    metrics = {}
    for o in outcomes:
        metrics.update({f"{o.task}_new_{k}": v for k, v in o.new_metrics.items()})
        metrics.update({f"{o.task}_old_{k}": v for k, v in o.old_metrics.items()})
    tags = {f"crmml.{o.task}.decision": o.decision for o in outcomes}
    tags["crmml.status"] = summary["status"]
    note = "\n".join(summary_lines(summary) + summary["problems"])
    tags["mlflow.note.content"] = note[:4000]
    log_batch(client, run_id, metrics=metrics, tags=tags)
    client.set_terminated(run_id, "FINISHED" if summary["status"] == "completed" else "FAILED")


def start_parent_run(client, tracking_uri: str, *, as_of, params: dict):
    """The retrain's parent run (``retrain-<as_of>`` in experiment ``crmml-retrain``).

    Created with the client, not ``mlflow.start_run``: training opens its own active run,
    and the fluent API allows one active run per process.
    """
    from training.tracking import get_or_create_experiment, log_batch

    exp = get_or_create_experiment(client, EXPERIMENT, tracking_uri=tracking_uri)
    run = client.create_run(exp, run_name=f"retrain-{as_of}", tags={"crmml.as_of": str(as_of)})
    log_batch(client, run.info.run_id, params=params)
    return run
