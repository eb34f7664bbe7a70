"""Write the drift report: ``drift.json`` first, then ``drift.html`` rendered from it."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from crmml.atomic import write_bytes as write_atomic


def write_json(path: Path, obj: dict) -> Path:
    """Atomic, UTF-8, indented JSON (NaN written as null)."""
    text = json.dumps(_clean(obj), indent=2, ensure_ascii=False, default=str)
    return write_atomic(path, text.encode("utf-8"))


def _clean(x):
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def _num(x, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def render_html(report: dict) -> str:
    """The HTML view of a drift report (every number comes from the JSON)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitoring", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct)
    return env.get_template("drift.html.j2").render(r=report)


def write_drift_report(report: dict, out_dir: Path) -> dict[str, Path]:
    """``out_dir/drift.json`` and ``out_dir/drift.html``; returns their paths."""
    out_dir = Path(out_dir)
    report = _clean(report)
    paths = {"json": write_json(out_dir / "drift.json", report)}
    paths["html"] = write_atomic(out_dir / "drift.html", render_html(report).encode("utf-8"))
    return paths
