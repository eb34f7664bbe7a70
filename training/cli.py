"""CLI of the training stage: ``crmml train``. Parse, load config, call the job, summarise."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("train")
def train(
    task: Annotated[str, typer.Option(help="churn, repurchase or lead_score.")],
    features: Annotated[
        Path, typer.Option("--features", help="Output folder of `crmml features`.")
    ],
    families: Annotated[
        list[str] | None,
        typer.Option(
            "--families",
            help="Model families to tune (repeat or comma-separate): scorecard, tree, lgbm. "
            "Default: all, from the config.",
        ),
    ] = None,
    trials: Annotated[
        int | None, typer.Option(help="Optuna trials per family (config default 20).", min=1)
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds of tuning per family; stops early (results may differ).", min=1
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (same seed, same metrics).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Training config YAML (overrides defaults).")
    ] = None,
) -> None:
    """Tune, calibrate, track and register the model of one task.

    Time split (oldest snapshots train, next validate, latest matured snapshot tests),
    leakage guard, Optuna per family, family choice by validation ROC AUC with a preference
    for interpretable families, calibration on validation, MLflow run + registration as
    crm-<task> with alias 'challenger'. Runs go to MLFLOW_TRACKING_URI, or ./mlflow.db.

    Examples:

      crmml train --task churn --features .demo/features

      crmml train --task lead_score --features out --families scorecard,lgbm --trials 10

      MLFLOW_TRACKING_URI=http://127.0.0.1:5000 crmml train --task repurchase --features out
    """
    from training.config import load_train_config
    from training.job import train_task
    from training.split import describe_split

    fams = [f.strip() for item in families or [] for f in item.split(",") if f.strip()]
    cfg = load_train_config(
        config,
        overrides={
            "families": fams or None,
            "tuning.trials": trials,
            "tuning.timeout": timeout,
            "seed": seed,
        },
    )
    total = len(cfg.families) * cfg.tuning.trials
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(f"tuning {task}", total=total, status="")
        best: dict[str, float] = {}

        def on_trial(family: str, number: int, value: float | None, state: str) -> None:
            if value is not None and state == "COMPLETE":
                best[family] = max(best.get(family, 0.0), value)
            shown = ", ".join(f"{f} {a:.3f}" for f, a in best.items())
            progress.update(bar, advance=1, status=f"{family} #{number} {state.lower()} | {shown}")

        result = train_task(task=task, features_dir=features, config=cfg, on_trial=on_trial)
        progress.update(bar, completed=total)

    out = Console()
    out.print(f"[bold]{task}[/]: chose [bold]{result.family}[/] ({describe_split(result.split)})")
    out.print(
        "  best validation ROC AUC per family: "
        + ", ".join(f"{fam} {auc:.4f}" for fam, auc in result.family_auc.items())
    )
    table = Table(show_edge=False, pad_edge=False)
    keys = ("roc_auc", "pr_auc", "log_loss", "brier", "positive_rate")
    for col in ("part", *keys):
        table.add_column(col, justify="left" if col == "part" else "right")
    for part in ("valid", "test"):
        m = result.metrics
        table.add_row(
            part, *(f"{m[f'{part}_{k}']:.4f}" if f"{part}_{k}" in m else "-" for k in keys)
        )
    out.print(table)
    out.print(f"  run {result.run_id} in {result.tracking_uri}")
    if result.model_version:
        out.print(
            f"  registered {result.model_name} v{result.model_version} (@{cfg.tracking.alias})"
        )
    if result.allowed_leaks:
        out.print(f"  [yellow]allowed by config despite high AUC:[/] {result.allowed_leaks}")
