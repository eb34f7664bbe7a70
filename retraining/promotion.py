"""Promotion decisions of a retrain, and recovery of promotions a killed job left half-done.

Moving ``champion`` is one registry call (the alias names the old or the new version, never
none); the promotion-log entry is a second call. A job killed between the two leaves a moved
alias without a log entry: :func:`reconcile_promotion_log` records it on the next run, so
``crmml rollback`` still knows the previous champion.
"""

from __future__ import annotations

from retraining import summary as sm


def version_tag(client, task: str, version: str, key: str) -> str | None:
    """A tag of a registered version (None when unset)."""
    from training.registry import registered_name

    mv = client.get_model_version(registered_name(task), version)
    return (mv.tags or {}).get(key)


def decide(result, *, task: str, version: str, report: str | None) -> tuple[str, str]:
    """(decision, reason) of an evaluated challenger (``evaluation.run.EvaluationResult``)."""
    if result.auto_approved:
        return sm.PROMOTED, "gate passed and the policy allows automatic approval"
    if result.verdict == "pass":
        return sm.AWAITING_REVIEW, (
            f"gate passed; stays challenger until `crmml approve --task {task} --version "
            f"{version}` (report {report})"
        )
    failed = ", ".join(result.report["gate"]["failed"])
    return sm.NOT_PROMOTED, f"gate failed: {failed}"


def resume_promotion(client, task: str, version: str, *, verdict: str, champion: str | None):
    """Promote ``version`` whose gate passed but whose automatic promotion never happened.

    Never re-promotes a version the promotion log already mentions (one that was promoted
    and later rolled back stays rolled back). Returns True when it promoted.
    """
    from evaluation import registry_ops as ops

    version = str(version)
    if verdict != "pass" or champion == version:
        return False
    entries = ops.promotion_log(client, task)
    if any(version in (e.get("to"), e.get("from")) for e in entries):
        return False
    ops.approve(
        client,
        task=task,
        version=version,
        reviewer="crmml auto-approve",
        note="auto_approve: true in the policy; the gate passed (resumed after interruption)",
    )
    return True


def reconcile_promotion_log(client, task: str) -> dict | None:
    """Record a champion move whose log entry was lost (a job killed mid-promotion)."""
    from mlflow.exceptions import MlflowException

    from evaluation import registry_ops as ops

    champion = ops.current_champion(client, task)
    if champion is None:
        return None
    try:
        stack = ops.champion_stack(ops.promotion_log(client, task))
    except MlflowException:
        return None
    if stack and stack[-1] == champion:
        return None
    # The log is owned by evaluation.registry_ops; its appender keeps the entry format.
    return ops.append_log(
        client,
        task,
        {
            "action": "approve",
            "from": stack[-1] if stack else None,
            "to": champion,
            "by": "crmml retrain (recovered)",
            "why": "the champion alias moved without a log entry (interrupted promotion)",
            "verdict": version_tag(client, task, champion, ops.VERDICT) or "not evaluated",
        },
    )
