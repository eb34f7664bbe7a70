"""CLI of retraining: ``crmml retrain``, ``crmml schedule``, ``crmml erase``. Thin: parse,
load config and policy, call the stage function, print the summary."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crmml.errors import CrmmlError

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)


def _blocked(exc: CrmmlError) -> CrmmlError:
    from retraining.job import BLOCKED_EXIT

    exc.exit_code = BLOCKED_EXIT
    return exc


@app.command("retrain")
def retrain(
    raw: Annotated[Path, typer.Option("--raw", help="Folder of the CRM export.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Cut-off date (YYYY-MM-DD); default DIR/export.json."),
    ] = None,
    tasks: Annotated[
        list[str] | None,
        typer.Option("--tasks", help="Tasks (repeat or comma-separate). Default: all buildable."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Approval policy YAML (overrides its keys).")
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Promote a passing challenger without review.")
    ] = False,
    work: Annotated[
        Path | None,
        typer.Option("--work", help="Working folder (default $CRMML_HOME/runs/<as_of>)."),
    ] = None,
    summary: Annotated[
        Path | None, typer.Option("--summary", help="Write the JSON summary here too.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Retrain even if this data was already trained on.")
    ] = False,
    if_drift: Annotated[
        bool, typer.Option("--if-drift", help="Only retrain tasks whose population drifted.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", help="Retraining config YAML.")
    ] = None,
    train_config: Annotated[
        Path | None, typer.Option("--train-config", help="Training config YAML.")
    ] = None,
    features_config: Annotated[
        Path | None, typer.Option("--features-config", help="Features config YAML.")
    ] = None,
    eval_config: Annotated[
        Path | None, typer.Option("--eval-config", help="Evaluation config YAML.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Column mapping YAML of the export.")
    ] = None,
) -> None:
    """Validate, build features, train and evaluate a challenger per task, promote if allowed.

    The challenger is promoted to champion when its gate passes (not worse than the champion
    by more than the policy allows) and the policy allows automatic approval; otherwise it
    stays challenger with its report waiting for `crmml approve`.

    Exit codes: 0 the job completed (promoted or not: the summary says), 2 bad input or the
    data-quality gate blocked it, 75 another retrain holds the lock, 1 any other failure.

    Examples:

      crmml retrain --raw data/raw --as-of 2026-06-30 --auto-approve

      crmml retrain --raw data/raw --tasks churn --policy strict.yaml --summary out.json
    """
    from evaluation.config import load_eval_config
    from evaluation.policy import load_policy
    from features.config import load_features_config
    from features.ingest import resolve_as_of
    from retraining.config import load_retrain_config
    from retraining.job import RetrainOptions
    from retraining.job import retrain as run_retrain
    from retraining.summary import summary_lines
    from training.config import load_train_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        day = resolve_as_of(raw, as_of)
        pol = load_policy(policy)
        if auto_approve:
            pol = pol.model_copy(update={"auto_approve": True})
        cfg = load_retrain_config(config)
        tcfg = load_train_config(train_config)
        fcfg = load_features_config(features_config)
        ecfg = load_eval_config(eval_config)
    except CrmmlError as exc:
        raise _blocked(exc) from None
    wanted = tuple(t.strip() for item in tasks or [] for t in item.split(",") if t.strip())
    options = RetrainOptions(
        raw=raw,
        as_of=day,
        tasks=wanted,
        work=work,
        mapping=mapping,
        force=force,
        if_drift=if_drift,
        summary=summary,
    )
    result = run_retrain(
        options,
        policy=pol,
        config=cfg,
        train_config=tcfg,
        features_config=fcfg,
        eval_config=ecfg,
    )
    console.print(f"retrain {result['as_of']}: {result['status']}", highlight=False)
    for line in summary_lines(result):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    console.print(f"  summary: {options.summary or Path(result['work']) / 'retrain-summary.json'}")


@app.command("schedule", context_settings={"allow_interspersed_args": False})
def schedule(
    cron: Annotated[str, typer.Option("--cron", help='Crontab expression, e.g. "0 2 * * 1".')],
    command: Annotated[
        list[str] | None,
        typer.Argument(metavar="-- COMMAND...", help="The crmml command to run, after --."),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Time zone of the cron (default: local).")
    ] = None,
    grace: Annotated[
        float, typer.Option("--grace", help="Seconds a running job gets after SIGTERM.")
    ] = 60.0,
    max_runs: Annotated[
        int | None, typer.Option("--max-runs", help="Stop after this many runs.")
    ] = None,
) -> None:
    """Run a crmml command on a cron schedule until SIGTERM (embedded APScheduler).

    One run at a time; missed runs are coalesced. See docs/scheduling.md for the crontab,
    systemd timer and Kubernetes CronJob equivalents.

    Examples:

      crmml schedule --cron "0 2 * * 1" -- retrain --raw data/raw --auto-approve
    """
    from retraining.schedule import run_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    codes = run_schedule(
        list(command or []), cron=cron, timezone=timezone, grace=grace, max_runs=max_runs
    )
    console.print(f"scheduler stopped after {len(codes)} run(s): exit codes {codes}")


@app.command("erase")
def erase(
    customer: Annotated[
        list[str], typer.Option("--customer", help="Raw CRM id (customer or lead); repeatable.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Recorded with the entry.")
    ] = "erasure request",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Suppress customers from every future training set (PIPL / GDPR erasure requests).

    Stores keyed pseudonyms (never raw ids) in $CRMML_HOME/suppression.json, and lists the
    registered versions whose training set included them: the next `crmml retrain`
    produces models without them. Merged duplicates are resolved with the id maps of every
    retrain and registered version the tracking store knows, whatever their --work.

    Examples:

      crmml erase --customer CUST-00042 --customer CUST-00077 --reason "GDPR art. 17"
    """
    from retraining.erasure import erase as run_erase
    from retraining.erasure import known_id_maps, suppression_path, versions_trained_on

    client = _store_client()
    entries = run_erase(customer, id_maps=known_id_maps(client), reason=reason)
    pseudonyms = {p for e in entries for p in e["pseudonyms"]}
    versions = None if client is None else versions_trained_on(client, pseudonyms)
    if as_json:
        print(json.dumps({"added": entries, "versions": versions}, indent=2))
        return
    new = sum(e["new"] for e in entries)
    console.print(
        f"{new} new erasure(s), {len(entries) - new} already suppressed; list: "
        f"{suppression_path()}",
        highlight=False,
    )
    if versions is None:
        console.print("no tracking store found: trained versions not checked")
        return
    hit = [v for v in versions if v["included"]]
    unknown = [v for v in versions if v["included"] is None]
    for v in hit:
        console.print(f"  trained on them: crm-{v['task'].replace('_', '-')} v{v['version']}")
    if unknown:
        shown = ", ".join(f"{v['task']} v{v['version']}" for v in unknown)
        console.print(f"  could not check (training set gone or rebuilt): {shown}")
    console.print("run `crmml retrain` to replace the versions trained on them")


def _store_client():
    """A client of the tracking store, or None when there is no store yet."""
    from urllib.parse import urlparse

    from mlflow import MlflowClient

    from training.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri()
    if urlparse(uri).scheme == "sqlite" and not Path(uri.removeprefix("sqlite:///")).is_file():
        return None  # do not create an empty store as a side effect
    return MlflowClient(uri)
