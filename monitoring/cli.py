"""CLI of monitoring: ``crmml monitor`` (drift) and ``crmml backtest`` (realised performance)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)

TaskOpt = Annotated[str, typer.Option("--task", help="churn, repurchase or lead_score.")]


@app.command("monitor")
def monitor(
    task: TaskOpt,
    current: Annotated[
        Path, typer.Option("--current", help="Scoring population (parquet/CSV with features).")
    ],
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Reference rows (parquet/CSV) or profile JSON. Default: the champion's "
            "training rows (profile cached with its run).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Retraining config YAML; its 'drift' section is used."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default reports/T/drift).")
    ] = None,
) -> None:
    """Compare the scoring population with the champion's training reference.

    PSI per feature and for the score, missing-rate changes and new category values; writes
    drift.json and drift.html. Exits 4 when drift passes the policy (so a scheduler can
    trigger `crmml retrain --if-drift`), 0 otherwise.

    Examples:

      crmml monitor --task churn --current ~/.crmml/runs/2026-06-30/churn.scoring.parquet
    """
    from monitoring.drift import load_drift_policy
    from monitoring.monitor import DRIFT_EXIT, monitor_task
    from training.tracking import resolve_tracking_uri

    report = monitor_task(
        task=task,
        current=current,
        tracking_uri=resolve_tracking_uri(),
        policy=load_drift_policy(config),
        reference=reference,
        out_dir=out,
    )
    m = report["model"]
    colour = "red" if report["drifted"] else "green"
    verdict = "drift" if report["drifted"] else "no drift"
    console.print(f"{m['name']} v{m['version']}: [bold {colour}]{verdict}[/]", highlight=False)
    for reason in report["reasons"]:
        console.print(f"  {reason}", highlight=False)
    if report["score"]:
        console.print(f"  score PSI {report['score']['psi']:.3f}", highlight=False)
    for kind, p in report["paths"].items():
        console.print(f"  {kind}: {p}", highlight=False)
    if report["drifted"]:
        raise typer.Exit(DRIFT_EXIT)


@app.command("backtest")
def backtest(
    task: TaskOpt,
    raw: Annotated[Path, typer.Option("--raw", help="CRM export reaching the label horizon.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Past snapshot date (YYYY-MM-DD).")],
    version: Annotated[
        str | None,
        typer.Option("--version", help="Score with this version (default: champion then)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default reports/T/backtest-D).")
    ] = None,
) -> None:
    """Score a matured past snapshot with the champion of that date; realised AUC, ECE, fairness.

    Examples:

      crmml backtest --task churn --raw data/raw --as-of 2026-01-31
    """
    from features.ingest import resolve_as_of
    from monitoring.backtest import backtest as run_backtest
    from training.tracking import resolve_tracking_uri

    day = resolve_as_of(raw, as_of)
    r = run_backtest(
        task=task,
        raw=raw,
        as_of=day,
        tracking_uri=resolve_tracking_uri(),
        version=version,
        out_dir=out,
    )
    auc, ece = r["roc_auc"], r["ece"]
    console.print(
        f"{r['model']['name']} v{r['model']['version']} on {task} @ {r['as_of']} "
        f"({r['rows']} rows, label rate {r['label_rate']:.1%}): ROC AUC {auc['value']:.3f}, "
        f"ECE {ece['value']:.3f}; gate {r['gate']['verdict']}",
        highlight=False,
    )
    for failed in r["gate"]["failed"]:
        console.print(f"  [red]failed[/] {failed}", highlight=False)
    console.print(f"  report: {r['path']}", highlight=False)
