"""CLI of the features stage: ``crmml demo-data``, ``crmml validate``, ``crmml features``.

Thin by design: parse, load config, call the stage function, print a summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)

AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Cut-off date of the export (YYYY-MM-DD). Rows dated after it are future-dated: "
        "reported and left out. Default: the as_of in DIR/export.json, if there is one.",
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option("--mapping", help="YAML column mapping from your headers to canonical names."),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Features config YAML (overrides defaults).")
]


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export to.")],
    # No min= here: typer's range errors bypass CrmmlError; the generator checks (>= 10).
    customers: Annotated[int, typer.Option(help="Number of customers (at least 10).")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    locale: Annotated[
        str, typer.Option(help="en: canonical headers, UTF-8; zh: Chinese headers, GB18030.")
    ] = "en",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Cut-off date of the generated export.")
    ] = None,
    drift: Annotated[
        str | None,
        typer.Option(help="Shift customer behaviour after this date (YYYY-MM-DD) to test drift."),
    ] = None,
) -> None:
    """Write a realistic, messy sample CRM export (every table) with a hidden ground truth.

    Examples:

      crmml demo-data --out data/raw --customers 5000 --seed 7

      crmml demo-data --out data/raw_zh --locale zh --format csv
    """
    from features.sample import generate_export

    info = generate_export(
        out, customers=customers, seed=seed, locale=locale, fmt=fmt, as_of=as_of, drift=drift
    )
    counts = info["counts"]
    console.print(
        f"wrote sample export to [bold]{out}[/] (as_of {info['as_of']}, "
        f"{counts['customers']} customer rows incl. duplicates, {counts['orders']} orders, "
        f"{counts['leads']} leads; locale {locale}, {fmt})",
        soft_wrap=True,
    )


TasksOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tasks",
        help="Tasks to build: churn, repurchase, lead_score (repeat the option or separate "
        "with commas). Default: every task the export's tables allow.",
    ),
]


@app.command("features")
def features(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the training sets (replaced as a whole).")
    ],
    raw: Annotated[
        Path | None,
        typer.Option(
            "--raw",
            help="Folder of the CRM export (csv/parquet); with --spec, the table file "
            "(overrides the spec's file).",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    snapshots: Annotated[
        int | None,
        typer.Option(help="Training snapshot dates per task. Default: config (12).", min=1),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(help="Step between snapshots: 1M, 2W, 14D, 1Q, 1Y. Default: config (1M)."),
    ] = None,
    config: ConfigOpt = None,
    mapping: MappingOpt = None,
    tasks: TasksOpt = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Dataset spec YAML of one customer-level table that already has a label "
            "(instead of an export folder).",
        ),
    ] = None,
) -> None:
    """Build point-in-time training sets (one row per entity and snapshot) and scoring sets.

    Features use only data on or before each snapshot date; labels come from the window
    after it. Writes OUT/<task>.parquet, OUT/<task>.scoring.parquet, OUT/manifest.json,
    OUT/merge_map.json and OUT/id_map.parquet (the last two map raw ids to pseudonyms:
    keep them private).

    Examples:

      crmml features --raw data/raw --out data/features

      crmml features --raw data/raw --as-of 2024-12-31 --out data/features
      --snapshots 6 --every 2W --tasks churn,lead_score

      crmml features --spec examples/specs/bank.yaml --out data/bank
    """
    if spec is not None:
        _features_from_spec(spec, raw=raw, out=out, progress=progress)
        return
    if raw is None:
        from crmml.errors import CrmmlError

        raise CrmmlError("--raw DIR is required (or --spec SPEC for a single labelled table)")
    from crmml.memory import reuse_freed_memory
    from features.build import build_training_sets
    from features.config import load_features_config
    from features.ingest import resolve_as_of
    from features.quality import load_clean_exports
    from features.snapshots import parse_every

    cfg = load_features_config(config)
    every = every or cfg.every
    parse_every(every)  # a bad step fails before the export is read
    wanted = [t.strip() for item in tasks or [] for t in item.split(",") if t.strip()] or None
    day = resolve_as_of(raw, as_of)
    with reuse_freed_memory():  # the build reuses the memory the gate frees
        exports = load_clean_exports(
            raw, as_of=day, mapping=mapping, config=cfg, progress=progress
        )
        manifest = build_training_sets(
            exports,
            out=out,
            snapshots=snapshots or cfg.snapshots,
            every=every,
            config=cfg,
            tasks=wanted,
            progress=progress,
        )
    _print_summary(manifest, out)
    for task, reason in manifest.get("skipped", {}).items():
        console.print(f"[yellow]skipped {task}:[/] {reason}")
    console.print(
        f"[dim]{manifest['id_map_file']} and {manifest['merge_map_file']} map raw ids to "
        "pseudonyms: keep them private.[/]"
    )


def _features_from_spec(spec: Path, *, raw: Path | None, out: Path, progress: bool) -> None:
    from features.dataset_spec import load_dataset_spec
    from features.single_table import build_from_spec

    manifest = build_from_spec(load_dataset_spec(spec), out=out, table_path=raw, progress=progress)
    _print_summary(manifest, out)
    if manifest.get("evaluation_note"):
        console.print(f"[yellow]note:[/] {manifest['evaluation_note']}")


def _print_summary(manifest: dict, out: Path) -> None:
    from rich.table import Table

    table = Table(title=f"training sets in {out} (as of {manifest['as_of']})")
    for col in ("task", "rows", "label rate", "snapshots", "scoring rows"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for task, info in manifest["tasks"].items():
        rate = "-" if info["label_rate"] is None else f"{info['label_rate']:.1%}"
        table.add_row(
            task,
            f"{info['rows']:,}",
            rate,
            str(len(info["snapshots"])),
            f"{info['scoring_rows']:,}",
        )
    console.print(table)


@app.command("validate")
def validate(
    raw_dir: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of the CRM export.")],
    mapping: MappingOpt = None,
    as_of: AsOfOpt = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Write the JSON report here, and its .md and .html twins beside it."
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Check a CRM export against the contract (the data-quality gate) and report.

    Blocking problems exit 1 with one line each: a missing required column, an unreadable,
    undetectable-encoding or empty file, a broken mapping, nothing buildable.

    Everything else is a warning and exits 0: the report says what was left out, set to
    missing or merged (future-dated rows, negative amounts, orphans, duplicate customers).

    Examples:

      crmml validate data/raw

      crmml validate data/raw_zh --mapping examples/mappings/zh.yaml --as-of 2026-06-30

      crmml validate data/raw --report reports/quality.json
    """
    import sys

    from crmml.errors import DataQualityError
    from features.config import load_features_config
    from features.ingest import resolve_as_of
    from features.quality import run_quality_gate
    from features.quality_report import write_report
    from features.quality_summary import print_summary

    cfg = load_features_config(config)
    day = resolve_as_of(raw_dir, as_of)
    source = "--as-of" if as_of is not None else f"{raw_dir / 'export.json'}"
    console.print(f"as of {day} (from {source}), time zone {cfg.timezone}", highlight=False)
    result = run_quality_gate(
        raw_dir, as_of=day, mapping=mapping, config=cfg, progress=sys.stdout.isatty()
    )
    if report is not None:
        for path in write_report(result.report, report):
            console.print(f"wrote {path}", highlight=False)
    else:
        print_summary(result, console=console)
    if result.blocking:
        n = len(result.blocking)
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]{n} blocking problem{'s' if n > 1 else ''}[/] in {raw_dir}:",
            highlight=False,
        )
        # The root command prints each problem on its own line and exits 1.
        raise DataQualityError(f"{n} blocking problems", problems=result.blocking)
    rows = sum(result.report["summary"]["tables"].values())
    console.print(
        f"ok: {len(result.report['summary']['tables'])} tables, {rows:,} rows, "
        f"{len(result.warnings)} warnings; buildable tasks: {', '.join(result.tasks)}",
        highlight=False,
    )
