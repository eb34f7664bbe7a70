"""Registry decisions on ``crm-<task>``: verdict tags, approve / reject, models, rollback.

Aliases keep no history, so every move of ``champion`` is appended to a promotion log kept
with the registered model: one tag per entry (``crmml.promotion.000001``, ...), each a small
JSON object, so no single tag grows past MLflow's value-size limit.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crmml.errors import CrmmlError
from training.config import TASKS
from training.registry import registered_name

CHAMPION, CHALLENGER = "champion", "challenger"
VERDICT, FAILED, REPORT, EVALUATED_AT = (
    "crmml.verdict",
    "crmml.failed_checks",
    "crmml.report",
    "crmml.evaluated_at",
)
DECISION = "crmml.decision"
LOG_PREFIX = "crmml.promotion."
_MAX_TAG = 4000  # below MLflow's smallest tag-value limit (5,000 for model versions)
REFUSED = 3  # exit code of a refused approval and of a failed gate with --fail-on-gate


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clip(text: str, limit: int = _MAX_TAG) -> str:
    return text if len(text) <= limit else text[: limit - 15] + "... (truncated)"


def get_version(client, task: str, *, version: str | None = None, alias: str | None = None):
    """The model version named by number or alias; a clear error if there is none."""
    from mlflow.exceptions import MlflowException

    name = registered_name(task)
    try:
        if version is not None:
            return client.get_model_version(name, str(version))
        return client.get_model_version_by_alias(name, alias or CHALLENGER)
    except MlflowException:
        what = f"version {version}" if version is not None else f"alias '{alias or CHALLENGER}'"
        raise CrmmlError(
            f"registered model '{name}': no {what} (see `crmml models --task {task}`)"
        ) from None


def current_champion(client, task: str) -> str | None:
    """Version number the ``champion`` alias points at, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(registered_name(task), CHAMPION).version)
    except MlflowException:
        return None


def record_verdict(client, task: str, version: str, gate: dict, *, report_uri: str) -> None:
    """Store the gate's verdict and failed checks on the version (tags)."""
    name = registered_name(task)
    failed = ", ".join(gate["failed"]) or "-"
    client.set_model_version_tag(name, version, VERDICT, gate["verdict"])
    client.set_model_version_tag(name, version, FAILED, _clip(failed))
    client.set_model_version_tag(name, version, REPORT, _clip(report_uri))
    client.set_model_version_tag(name, version, EVALUATED_AT, _now())


def promotion_log(client, task: str) -> list[dict]:
    """Every recorded move of the champion alias, oldest first."""
    tags = client.get_registered_model(registered_name(task)).tags or {}
    entries = [json.loads(v) for k, v in tags.items() if k.startswith(LOG_PREFIX)]
    return sorted(entries, key=lambda e: e["n"])


def append_log(client, task: str, entry: dict) -> dict:
    n = max((e["n"] for e in promotion_log(client, task)), default=0) + 1
    entry = {"n": n, "at": _now(), **entry}
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    if len(text) > _MAX_TAG:
        entry["why"] = _clip(entry.get("why") or "", _MAX_TAG - len(text) + len(entry["why"]))
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    client.set_registered_model_tag(registered_name(task), f"{LOG_PREFIX}{n:06d}", text)
    return entry


def _decide(client, task, version, *, decision, reviewer, note, override=False, reason=None):
    mv = get_version(client, task, version=version)
    tags = mv.tags or {}
    record = {
        "decision": decision,
        "reviewer": reviewer,
        "at": _now(),
        "note": _clip(note, 1000),
        "verdict": tags.get(VERDICT, "not evaluated"),
        "failed_checks": tags.get(FAILED, "-"),
        "report": tags.get(REPORT),
        "override": override,
        "reason": _clip(reason, 1000) if reason else None,
    }
    client.set_model_version_tag(
        registered_name(task),
        str(mv.version),
        DECISION,
        _clip(json.dumps(record, ensure_ascii=False)),
    )
    return mv, record


def approve(
    client,
    *,
    task: str,
    version: str,
    reviewer: str,
    note: str,
    override: bool = False,
    reason: str | None = None,
) -> dict:
    """Move ``champion`` to ``version`` if its verdict passed (or on a recorded override).

    Raises
    ------
    CrmmlError
        (exit 3) The version was not evaluated or failed the gate and no override was given;
        the champion stays where it was.
    """
    if override and not (reason and reason.strip()):
        raise CrmmlError("--override needs --reason TEXT (it is recorded with the approval)")
    mv = get_version(client, task, version=version)
    verdict = (mv.tags or {}).get(VERDICT)
    if verdict != "pass" and not override:
        failed = (mv.tags or {}).get(FAILED, "")
        problems = [
            f"{registered_name(task)} v{mv.version}: approval refused: "
            + (
                "not evaluated yet (run `crmml evaluate`)"
                if verdict is None
                else f"gate verdict is '{verdict}'"
            )
        ]
        problems += [f"failed check: {c}" for c in failed.split(", ") if c and c != "-"]
        problems.append("the champion was not moved (use --override --reason TEXT to overrule)")
        raise CrmmlError(problems[0], problems=problems, exit_code=REFUSED)
    previous = current_champion(client, task)
    _, record = _decide(
        client,
        task,
        str(mv.version),
        decision="approved",
        reviewer=reviewer,
        note=note,
        override=override,
        reason=reason,
    )
    client.set_registered_model_alias(registered_name(task), CHAMPION, str(mv.version))
    entry = append_log(
        client,
        task,
        {
            "action": "override" if override else "approve",
            "from": previous,
            "to": str(mv.version),
            "by": reviewer,
            "why": reason if override else note,
            "verdict": record["verdict"],
        },
    )
    return {**record, "version": str(mv.version), "previous_champion": previous, "log": entry}


def reject(client, *, task: str, version: str, reviewer: str, note: str) -> dict:
    """Record a rejection on the version; aliases are left as they are."""
    mv, record = _decide(client, task, version, decision="rejected", reviewer=reviewer, note=note)
    return {**record, "version": str(mv.version)}


def champion_stack(log: list[dict]) -> list[str]:
    """Champions in order, as the log leaves them: promotions push, rollbacks pop."""
    stack: list[str] = []
    for e in log:
        if e["action"] == "rollback":
            stack = stack[:-1] if stack and stack[-1] == e["from"] else stack
            if not stack or stack[-1] != e["to"]:
                stack.append(e["to"])
        else:
            stack.append(e["to"])
    return stack


def rollback(client, *, task: str, reviewer: str, reason: str) -> dict:
    """Move ``champion`` back to the version it replaced, as recorded in the promotion log."""
    current = current_champion(client, task)
    if current is None:
        raise CrmmlError(f"{registered_name(task)}: no champion to roll back")
    stack = champion_stack(promotion_log(client, task))
    if len(stack) < 2 or stack[-1] != current:
        raise CrmmlError(
            f"{registered_name(task)}: champion v{current} has no previous champion in the "
            "promotion log"
        )
    target = str(get_version(client, task, version=stack[-2]).version)
    client.set_registered_model_alias(registered_name(task), CHAMPION, target)
    entry = append_log(
        client,
        task,
        {
            "action": "rollback",
            "from": current,
            "to": target,
            "by": reviewer,
            "why": reason,
        },
    )
    return entry


def list_models(client, *, task: str | None = None) -> list[dict]:
    """One row per version (newest first) with aliases, verdict and decision."""
    from mlflow.exceptions import MlflowException

    rows = []
    for t in [task] if task else list(TASKS):
        name = registered_name(t)
        try:
            rm = client.get_registered_model(name)
        except MlflowException:
            continue
        aliases: dict[str, list[str]] = {}
        for alias, v in (rm.aliases or {}).items():
            aliases.setdefault(str(v), []).append(alias)
        for mv in client.search_model_versions(f"name='{name}'"):
            tags = mv.tags or {}
            decision = json.loads(tags[DECISION]) if DECISION in tags else {}
            rows.append(
                {
                    "task": t,
                    "name": name,
                    "version": str(mv.version),
                    "aliases": sorted(aliases.get(str(mv.version), [])),
                    "family": tags.get("family"),
                    "created": mv.creation_timestamp,
                    "verdict": tags.get(VERDICT, "not evaluated"),
                    "failed_checks": tags.get(FAILED),
                    "decision": decision.get("decision"),
                    "reviewer": decision.get("reviewer"),
                    "decided_at": decision.get("at"),
                    "override": decision.get("override"),
                }
            )
    return sorted(rows, key=lambda r: (r["task"], -int(r["version"])))


def approval_history(client, task: str, version: str) -> list[dict]:
    """Promotion-log entries and the decision recorded on this version (for the model card)."""
    from mlflow.exceptions import MlflowException

    try:
        log = [e for e in promotion_log(client, task) if str(version) in (e["to"], e["from"])]
        mv = get_version(client, task, version=version)
    except (MlflowException, CrmmlError):
        return []
    decision = (mv.tags or {}).get(DECISION)
    return log + ([json.loads(decision)] if decision else [])
