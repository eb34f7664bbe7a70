"""The data-quality report: JSON first, then a Markdown and an HTML twin rendered from it.

A machine reads the JSON and a reviewer reads the Markdown or HTML; both show the same numbers
because the twins are rendered from the JSON dict with Jinja2 and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from crmml.atomic import write_text as _write_atomic
from crmml.errors import CrmmlError

_MARKDOWN = """\
# Data-quality report

- Export: `{{ r.source_dir }}`
- As of: **{{ r.as_of }}** (time zone {{ r.timezone }})
- Mapping: {{ r.mapping or "none" }}
- Status: **{{ r.summary.status }}**; buildable tasks: {{ r.summary.tasks | join(", ") or "none" }}

{% if r.blocking %}## Blocking problems ({{ r.blocking | length }})

{% for line in r.blocking %}- {{ line }}
{% endfor %}
{% endif %}## Tables

| table | file | rows read | rows kept | latest date |
|---|---|---:|---:|---|
{% for name, t in r.tables.items() %}| {{ name }} | {{ t.file or "(derived)" }} \
| {{ t.rows_read }} | {{ t.rows_kept }} | {{ t.latest_date or "" }} |
{% endfor %}
## Warnings ({{ r.warnings | length }})

{% if r.warnings %}| kind | rows | action | message |
|---|---:|---|---|
{% for w in r.warnings %}| {{ w.kind }} | {{ w.count }} | {{ w.action }} | {{ w.message | md }} |
{% endfor %}{% else %}None.
{% endif %}
{% if r.duplicates.clusters %}## Merged duplicate customers ({{ r.duplicates.merged }} ids)

| cluster | canonical | ids | names |
|---:|---|---|---|
{% for c in r.duplicates.clusters[:100] %}| {{ c.cluster }} | {{ c.canonical }} \
| {{ c.ids | join(", ") }} | {{ c.names | join(" / ") | md }} |
{% endfor %}
{% endif %}## Missing values (share of rows)

{% for name, t in r.tables.items() %}- **{{ name }}**: {% for col, rate in t.missing_rate.items() \
%}{{ col }} {{ "%.0f" | format(rate * 100) }}%{{ ", " if not loop.last }}{% endfor %}
{% endfor %}
{% if r.info %}## Notes

{% for line in r.info %}- {{ line }}
{% endfor %}{% endif %}
## Input files

{% for name, digest in r.file_hashes.items() %}- `{{ name }}` sha256 `{{ digest }}`
{% endfor %}"""

_HTML = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data-quality report {{ r.as_of }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f3f3f3}.blocked{color:#b00020}.ok{color:#1b5e20}td.n{text-align:right}
</style></head><body>
<h1>Data-quality report</h1>
<p>Export <code>{{ r.source_dir }}</code>, as of <b>{{ r.as_of }}</b> ({{ r.timezone }}).
Status: <b class="{{ r.summary.status }}">{{ r.summary.status }}</b>.
Buildable tasks: {{ r.summary.tasks | join(", ") or "none" }}.</p>
{% if r.blocking %}<h2 class="blocked">Blocking problems ({{ r.blocking | length }})</h2><ul>
{% for line in r.blocking %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
<h2>Tables</h2><table><tr><th>table</th><th>file</th><th>rows read</th><th>rows kept</th>
<th>latest date</th></tr>
{% for name, t in r.tables.items() %}<tr><td>{{ name }}</td><td>{{ t.file or "(derived)" }}</td>
<td class="n">{{ t.rows_read }}</td><td class="n">{{ t.rows_kept }}</td>
<td>{{ t.latest_date or "" }}</td></tr>{% endfor %}</table>
<h2>Warnings ({{ r.warnings | length }})</h2>
{% if r.warnings %}<table><tr><th>kind</th><th>rows</th><th>action</th><th>message</th></tr>
{% for w in r.warnings %}<tr><td>{{ w.kind }}</td><td class="n">{{ w.count }}</td>
<td>{{ w.action }}</td><td>{{ w.message }}</td></tr>{% endfor %}</table>{% else %}<p>None.</p>
{% endif %}
{% if r.duplicates.clusters %}<h2>Merged duplicate customers ({{ r.duplicates.merged }} ids)</h2>
<table><tr><th>cluster</th><th>canonical</th><th>ids</th><th>names</th></tr>
{% for c in r.duplicates.clusters[:100] %}<tr><td class="n">{{ c.cluster }}</td>
<td>{{ c.canonical }}</td><td>{{ c.ids | join(", ") }}</td><td>{{ c.names | join(" / ") }}</td>
</tr>{% endfor %}</table>{% endif %}
<h2>Missing values</h2><ul>
{% for name, t in r.tables.items() %}<li><b>{{ name }}</b>:
{% for col, rate in t.missing_rate.items() %}{{ col }} {{ "%.0f" | format(rate * 100) }}%
{{- ", " if not loop.last }}{% endfor %}</li>
{% endfor %}</ul>
{% if r.info %}<h2>Notes</h2><ul>{% for line in r.info %}<li>{{ line }}</li>{% endfor %}</ul>
{% endif %}
<h2>Input files</h2><ul>{% for name, digest in r.file_hashes.items() %}
<li><code>{{ name }}</code> sha256 <code>{{ digest }}</code></li>{% endfor %}</ul>
</body></html>
"""


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _environment(*, html: bool) -> Environment:
    env = Environment(autoescape=html, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["md"] = _md_cell
    return env


def render_markdown(report: dict) -> str:
    """The report as Markdown."""
    return _environment(html=False).from_string(_MARKDOWN).render(r=report)


def render_html(report: dict) -> str:
    """The report as a standalone HTML page (values escaped)."""
    return _environment(html=True).from_string(_HTML).render(r=report)


def write_report(report: dict, path: Path) -> list[Path]:
    """Write the JSON report at ``path`` and ``.md`` / ``.html`` twins beside it (same stem).

    Each file is written to a temporary file and renamed, so a reader never sees half a report.
    """
    path = Path(path)
    if path.suffix.lower() in (".md", ".html"):
        raise CrmmlError(
            f"{path}: give the JSON path (e.g. quality.json); the .md and .html twins are "
            "written beside it"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Render everything first: a template error must not leave a JSON without its twins.
    texts = {
        path: json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n",
        path.with_suffix(".md"): render_markdown(report),
        path.with_suffix(".html"): render_html(report),
    }
    for target, text in texts.items():
        _write_atomic(target, text)
    return list(texts)
