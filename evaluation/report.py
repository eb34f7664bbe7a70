"""Write ``evaluation.json`` first, then ``report.html`` and ``report.md`` rendered from it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jinja2

from crmml.atomic import write_text as write_atomic
from evaluation.evaluate import to_jsonable

SECTIONS = [
    "summary",
    "performance",
    "explanations",
    "fairness",
    "mitigation",
    "model-card",
    "gate",
]


def _num(x, digits: int = 3) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | float):
        if float(x).is_integer() and abs(x) >= 1:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return str(x)


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _ci(m: dict | None) -> str:
    if not m or m.get("ci_low") is None:
        return ""
    return f"[{_num(m['ci_low'])}, {_num(m['ci_high'])}]"


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evaluation", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct, ci=_ci)
    return env


def render_html(report: dict, *, images: dict[str, bytes] | None = None) -> str:
    """Self-contained HTML: figures embedded as data URIs, so it opens from any artifact view."""
    uris = {
        k: "data:image/png;base64," + base64.b64encode(v).decode("ascii")
        for k, v in (images or {}).items()
    }
    return _env(True).get_template("report.html.j2").render(r=report, images=uris)


def render_markdown(report: dict) -> str:
    """Markdown with the same numbers (figures left out: see report.html)."""
    return _env(False).get_template("report.md.j2").render(r=report)


def write_reports(
    report: dict, out_dir: Path, *, images: dict[str, bytes] | None = None
) -> dict[str, Path]:
    """``evaluation.json``, then ``report.html`` and ``report.md`` rendered from that JSON."""
    out_dir = Path(out_dir)
    text = json.dumps(to_jsonable(report), indent=2, ensure_ascii=False, allow_nan=False)
    paths = {
        "json": out_dir / "evaluation.json",
        "html": out_dir / "report.html",
        "md": out_dir / "report.md",
    }
    write_atomic(paths["json"], text + "\n")
    data = json.loads(text)  # render what was written, so all three carry the same numbers
    write_atomic(paths["html"], render_html(data, images=images))
    write_atomic(paths["md"], render_markdown(data))
    return paths
