"""Console summary of a data-quality result (what ``crmml validate`` prints without --report)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from features.quality import QualityResult

MAX_WARNINGS_SHOWN = 30


def print_summary(result: QualityResult, *, console: Console) -> None:
    """Tables with rows read and kept, then the warnings and notes, one line each."""
    report = result.report
    table = Table(title=f"export {report['source_dir']} (as of {report['as_of']})")
    for col in ("table", "file", "rows read", "rows kept", "latest date"):
        table.add_column(col, justify="right" if col.startswith("rows") else "left")
    for name, info in report["tables"].items():
        table.add_row(
            name,
            info.get("file") or "(derived)",
            f"{info['rows_read']:,}",
            f"{info['rows_kept']:,}",
            info.get("latest_date") or "",
        )
    console.print(table)
    warnings = result.warnings
    if warnings:
        console.print(f"[yellow]{len(warnings)} warnings:[/]")
        for line in warnings[:MAX_WARNINGS_SHOWN]:
            console.print(f"  - {line}", highlight=False, soft_wrap=True)
        if len(warnings) > MAX_WARNINGS_SHOWN:
            console.print(f"  ... and {len(warnings) - MAX_WARNINGS_SHOWN} more (use --report)")
    for line in result.info:
        console.print(f"[dim]  note: {line}[/]", highlight=False, soft_wrap=True)
