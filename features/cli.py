"""CLI of the features stage: ``crmml demo-data``, ``crmml validate``, ``crmml features``.

Thin by design: parse, load config, call the stage function, print a summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(no_args_is_help=True)
console = Console()

AsOfOpt = Annotated[
    Optional[str],
    typer.Option(
        "--as-of",
        help="Cut-off date of the export (YYYY-MM-DD). Rows dated after it are future-dated: "
        "reported and left out. Default: the as_of in DIR/export.json, if there is one.",
    ),
]
MappingOpt = Annotated[
    Optional[Path],
    typer.Option("--mapping", help="YAML column mapping from your headers to canonical names."),
]
ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", help="Features config YAML (overrides defaults).")
]


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export to.")],
    customers: Annotated[int, typer.Option(help="Number of customers.", min=10)] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 42,
    locale: Annotated[
        str, typer.Option(help="en: canonical headers, UTF-8; zh: Chinese headers, GB18030.")
    ] = "en",
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Cut-off date of the generated export.")
    ] = None,
    drift: Annotated[
        Optional[str],
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
    console.print(
        f"wrote sample export to [bold]{out}[/] (as_of {info['as_of']}, "
        f"{info['counts']['customers']} customers, locale {locale}, {fmt})"
    )
