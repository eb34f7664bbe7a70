"""CLI of the evaluation stage: ``crmml evaluate``, ``approve``, ``reject``, ``models``,
``rollback``. Thin: parse, load config and policy, call the stage function, print a summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crmml.errors import CrmmlError

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)

TaskOpt = Annotated[str, typer.Option("--task", help="churn, repurchase or lead_score.")]
ReviewerOpt = Annotated[str, typer.Option("--reviewer", help="Who decides (recorded).")]


def _client():
    from mlflow import MlflowClient

    from training.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri()
    return MlflowClient(uri), uri


@app.command("evaluate")
def evaluate(
    task: TaskOpt,
    features: Annotated[
        Path, typer.Option("--features", help="Output folder of `crmml features`.")
    ],
    version: Annotated[str | None, typer.Option("--version", help="Model version.")] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Model alias (default: challenger).")
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy YAML (overrides only its keys).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Evaluation config YAML.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Local report folder (default reports/T/vV).")
    ] = None,
    mitigate: Annotated[
        bool, typer.Option("--mitigate", help="If the audit fails, fit a fairlearn mitigation.")
    ] = False,
    fail_on_gate: Annotated[
        bool, typer.Option("--fail-on-gate", help="Exit 3 when the gate verdict is fail.")
    ] = False,
) -> None:
    """Evaluate a registered version on its held-out test snapshot and record the verdict.

    Writes evaluation.json, report.html and report.md locally and as artifacts of the
    version's run, and tags the version with the verdict. Exits 0 whenever the evaluation
    ran, whatever the verdict (use --fail-on-gate to exit 3 on a failed gate).

    Examples:

      crmml evaluate --task churn --features .demo/features

      crmml evaluate --task churn --features out --version 3 --policy strict.yaml --mitigate
    """
    from evaluation.config import load_eval_config
    from evaluation.policy import load_policy
    from evaluation.registry_ops import REFUSED
    from evaluation.run import evaluate_version

    if version and alias:
        raise CrmmlError("give --version or --alias, not both")
    # The summary below is the output; MLflow's per-file download bars are noise here.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    cfg, pol = load_eval_config(config), load_policy(policy)
    client, uri = _client()
    result = evaluate_version(
        task=task,
        features_dir=features,
        config=cfg,
        policy=pol,
        tracking_uri=uri,
        version=version,
        alias=alias,
        out_dir=out,
        mitigate_audit=mitigate,
    )
    r = result.report
    colour = "green" if result.verdict == "pass" else "red"
    console.print(f"{result.name} v{result.version}: gate [bold {colour}]{result.verdict}[/]")
    auc = r["overall"]["roc_auc"]
    console.print(
        f"  ROC AUC {auc['value']:.3f} [{auc['ci_low']:.3f}, {auc['ci_high']:.3f}]"
        if auc["ci_low"] is not None
        else f"  ROC AUC {auc['value']}"
    )
    console.print(f"  operating point: {r['operating_point']['description']}")
    for c in r["gate"]["checks"]:
        if c["status"] == "fail":
            value = "n/a" if c["value"] is None else f"{c['value']:.3f}"
            console.print(
                f"  [red]fail[/] {c['name']}: {value} vs {c['threshold']} {c['detail']}".rstrip(),
                highlight=False,
            )
    if r["gate"]["warnings"]:
        console.print(
            f"  {len(r['gate']['warnings'])} warning(s): insufficient data or "
            "intersections (not blocking; see the report)"
        )
    for kind, p in result.paths.items():
        console.print(f"  {kind}: {p}")
    if result.auto_approved:
        console.print(f"  auto-approved: champion -> v{result.version}")
    if fail_on_gate and result.verdict != "pass":
        # A CrmmlError, not typer.Exit: the root CLI runs click with standalone_mode=False,
        # which returns (and so drops) the code of typer.Exit.
        raise CrmmlError(
            f"{result.name} v{result.version}: gate verdict is fail (--fail-on-gate)",
            problems=[f"{result.name} v{result.version}: gate verdict is fail (--fail-on-gate)"]
            + [f"failed check: {c}" for c in r["gate"]["failed"]],
            exit_code=REFUSED,
        )


@app.command("approve")
def approve(
    task: TaskOpt,
    reviewer: ReviewerOpt,
    note: Annotated[str, typer.Option("--note", help="Why (recorded).")],
    version: Annotated[
        str | None, typer.Option("--version", help="Version to promote to champion.")
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="Or the version an alias points at (e.g. challenger)."),
    ] = None,
    override: Annotated[
        bool, typer.Option("--override", help="Approve despite a failed gate (needs --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Reason for --override.")] = None,
) -> None:
    """Move alias champion to VERSION if its gate verdict passed (exit 3 if refused).

    Examples:

      crmml approve --task churn --version 3 --reviewer "Li Wei" --note "reviewed report"

      crmml approve --task churn --alias challenger --reviewer "Li Wei" --note "ok"

      crmml approve --task lead_score --version 2 --reviewer ana --note "pilot" \
        --override --reason "region gap accepted for a 2-week pilot, see ticket 88"
    """
    from crmml.errors import CrmmlError
    from evaluation import registry_ops as ops

    if (version is None) == (alias is None):
        raise CrmmlError("approve: give exactly one of --version V or --alias NAME")
    client, _ = _client()
    if alias is not None:
        version = str(ops.get_version(client, task, alias=alias).version)
    out = ops.approve(
        client,
        task=task,
        version=version,
        reviewer=reviewer,
        note=note,
        override=override,
        reason=reason,
    )
    console.print(
        f"{ops.registered_name(task)}: champion v{out['previous_champion'] or '-'} -> "
        f"v{out['version']} (verdict {out['verdict']}"
        f"{', OVERRIDE: ' + out['reason'] if out['override'] else ''})"
    )


@app.command("reject")
def reject(
    task: TaskOpt,
    version: Annotated[str, typer.Option("--version", help="Version to reject.")],
    reviewer: ReviewerOpt,
    note: Annotated[str, typer.Option("--note", help="Why (recorded).")],
) -> None:
    """Record a rejection on VERSION (aliases are left as they are).

    Examples:

      crmml reject --task churn --version 4 --reviewer "Li Wei" --note "ECE too high"
    """
    from evaluation import registry_ops as ops

    client, _ = _client()
    out = ops.reject(client, task=task, version=version, reviewer=reviewer, note=note)
    console.print(f"{ops.registered_name(task)} v{out['version']}: rejected by {reviewer}")


@app.command("models")
def models(
    task: Annotated[str | None, typer.Option("--task", help="Only this task.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List registered versions with aliases, gate verdicts and approvals.

    Examples:

      crmml models

      crmml models --task churn --json
    """
    from evaluation import registry_ops as ops

    client, _ = _client()
    rows = ops.list_models(client, task=task)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("no registered crmml models")
        return
    table = Table("model", "version", "aliases", "family", "verdict", "decision", "by", "failed")
    for r in rows:
        table.add_row(
            r["name"],
            r["version"],
            ",".join(r["aliases"]),
            r["family"] or "",
            r["verdict"],
            r["decision"] or "",
            r["reviewer"] or "",
            (r["failed_checks"] or "")[:60],
        )
    console.print(table)


@app.command("rollback")
def rollback(
    task: TaskOpt,
    reviewer: ReviewerOpt = "cli",
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "rollback",
) -> None:
    """Move alias champion back to the previous champion (from crmml's promotion log).

    Examples:

      crmml rollback --task churn --reviewer "Li Wei" --reason "v5 misfires on new region"
    """
    from evaluation import registry_ops as ops

    client, _ = _client()
    e = ops.rollback(client, task=task, reviewer=reviewer, reason=reason)
    console.print(f"{ops.registered_name(task)}: champion v{e['from']} -> v{e['to']} (rollback)")
