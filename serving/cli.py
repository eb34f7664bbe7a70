"""CLI of the serving stage: ``crmml serve`` and ``crmml score``.

Thin by design: parse, load config, call the stage function, print a summary.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Serving config YAML (overrides defaults).")
]
TrackingOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri", help="MLflow store. Default: MLFLOW_TRACKING_URI or ./mlflow.db."
    ),
]


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="HTTP port.", min=1, max=65535)] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "0.0.0.0",
    workers: Annotated[
        int, typer.Option(help="Worker processes (each loads the models).", min=1)
    ] = 1,
    scoring_dir: Annotated[
        Path | None,
        typer.Option(
            "--scoring-dir", help='A crmml features output: enables {"entity_ids": [...]}.'
        ),
    ] = None,
    insecure_no_auth: Annotated[
        bool, typer.Option("--insecure-no-auth", help="Serve without API keys (local tests only).")
    ] = False,
    config: ConfigOpt = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Serve crm-<task>@champion of each task over HTTP (BentoML), following alias moves.

    API keys come from CRMML_API_KEYS (comma-separated) or CRMML_API_KEYS_FILE.

    Examples:

      CRMML_API_KEYS=secret crmml serve --port 3000 --scoring-dir data/features
    """
    from crmml.errors import CrmmlError
    from crmml.paths import default_tracking_uri
    from serving.auth import INSECURE_ENV, load_keys_or_refuse
    from serving.config import CONFIG_ENV, load_serving_config

    env = dict(os.environ)
    if config is not None:
        load_serving_config(config)  # fail here, with file and key, not in a worker
        env[CONFIG_ENV] = str(config.resolve())
    else:
        load_serving_config()
    if insecure_no_auth:
        os.environ[INSECURE_ENV] = env[INSECURE_ENV] = "1"
    keys = load_keys_or_refuse()
    if scoring_dir is not None:
        from serving.entities import newest_manifest

        newest_manifest(scoring_dir)
        env["CRMML_SCORING_DIR"] = str(scoring_dir.resolve())
    if tracking_uri is None and "MLFLOW_TRACKING_URI" not in env:
        tracking_uri = default_tracking_uri()
    if tracking_uri is not None:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    env.update(
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="false",
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
        OMP_NUM_THREADS="1",  # one LightGBM thread per worker: workers are the parallelism
        BENTOML_DO_NOT_TRACK="true",
    )
    overrides = [env.get("BENTOML_CONFIG_OPTIONS", ""), f"services.crmml.workers={workers}"]
    env["BENTOML_CONFIG_OPTIONS"] = " ".join(o for o in overrides if o)
    if not keys:
        console.print(
            "[bold red]WARNING: authentication is DISABLED (--insecure-no-auth); "
            "anyone who can reach the port can score.[/]"
        )
    console.print(
        f"crmml serve: http://{host}:{port} ({workers} worker(s)), "
        f"registry {env['MLFLOW_TRACKING_URI']}",
        soft_wrap=True,
        highlight=False,
    )
    args = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        "serving.service:CrmmlService",
        "--port",
        str(port),
        "--host",
        host,
    ]
    try:
        os.execve(sys.executable, args, env)  # signals reach the server directly
    except OSError as exc:
        raise CrmmlError(f"cannot start the server: {exc}") from None


@app.command("score")
def score(
    task: Annotated[str, typer.Option(help="churn, repurchase or lead_score.")],
    input: Annotated[
        Path,
        typer.Option(
            "--input", help="Parquet or CSV with entity_id and the model's feature columns."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output .parquet or .csv.")],
    with_reasons: Annotated[
        bool, typer.Option("--with-reasons", help="Add the top reasons (JSON).")
    ] = False,
    model_version: Annotated[
        str | None,
        typer.Option(
            "--model-version", help="Score with this registry version instead of @champion."
        ),
    ] = None,
    tags: Annotated[
        bool, typer.Option("--tags/--no-tags", help="Add customer tags (rules in --tag-rules).")
    ] = True,
    tag_rules: Annotated[
        Path | None,
        typer.Option("--tag-rules", help="Tag rules YAML (default: the shipped rules)."),
    ] = None,
    id_map: Annotated[
        Path | None,
        typer.Option(
            "--id-map",
            help="Private id_map.parquet of crmml features, to add the CRM's raw ids "
            "(default: the one beside --input, if any).",
        ),
    ] = None,
    config: ConfigOpt = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Score a file with crm-<task>@champion: entity_id, raw_id, score, tier, tags, reasons.

    Examples:

      crmml score --task churn --input data/features/churn.scoring.parquet --out churn.parquet

      crmml score --task lead_score --input leads.csv --out scored.csv --with-reasons \
        --tag-rules configs/tags.yaml
    """
    from crmml.errors import CrmmlError
    from crmml.paths import crmml_home, default_tracking_uri
    from serving.config import TASKS, load_serving_config
    from serving.score_job import ScoreRequest, score_with_registry

    if task not in TASKS:
        raise CrmmlError(f"--task: expected one of {', '.join(TASKS)}, found {task!r}")
    cfg = load_serving_config(config)
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    req = ScoreRequest(
        task=task,
        input=input,
        out=out,
        home=crmml_home(),
        with_reasons=with_reasons,
        tags=tags,
        tag_rules=tag_rules,
        id_map=id_map,
    )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        job = bar.add_task("rows", total=None)
        done = score_with_registry(
            req,
            cfg,
            tracking_uri=tracking_uri or default_tracking_uri(),
            version=model_version,
            on_progress=lambda n, total: bar.update(job, completed=n, total=total),
        )
    engine = f" ({done.engine})" if done.engine else ""
    console.print(f"scored {done.rows} row(s) with {done.name} v{done.version}{engine} -> {out}")


@app.command("bundle")
def bundle(
    out: Annotated[Path, typer.Option("--out", help="Folder for the bundled champions.")] = Path(
        "serving/bundle"
    ),
    config: ConfigOpt = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Copy each task's @champion into a folder that `bentoml build` packs into the bento.

    Examples:

      crmml bundle --out serving/bundle && bentoml build
    """
    from crmml.paths import default_tracking_uri
    from serving.bundle import export_champions
    from serving.config import load_serving_config

    cfg = load_serving_config(config)
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    done = export_champions(cfg, tracking_uri=tracking_uri or default_tracking_uri(), out=out)
    for task, version in done.items():
        console.print(f"bundled {cfg.model_name(task)} v{version} -> {out / task}")
