"""The column mapping: from a user's own file names and headers to the canonical contract.

Format (YAML)::

    tables:
      customers:
        file: 客户          # optional: file stem (or file name) of this table
        columns:
          客户编号: customer_id
          客户名称: company_name

Every mistake in it is a blocking problem that names the key, what was found and what was
expected, so a user can fix the file without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from features.contract import TABLES


@dataclass(frozen=True)
class TableMapping:
    """How one canonical table appears in the export: its file stem and header renames."""

    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class Mapping:
    """A parsed mapping file (empty when there is none) and the problems found in it."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    source: str = "mapping"
    problems: list[str] = field(default_factory=list)

    def for_table(self, table: str) -> TableMapping:
        return self.tables.get(table, TableMapping())

    def table_for_file(self, path: Path) -> str | None:
        """Canonical table a file holds according to ``file:`` (stem or full name)."""
        for name, tm in self.tables.items():
            if tm.file is not None and tm.file in (path.stem, path.name):
                return name
        return None


def _expected(names: object) -> str:
    return ", ".join(str(n) for n in names)


def load_mapping(path: Path | None) -> Mapping:
    """Read and check a mapping file; problems are collected, never raised."""
    if path is None:
        return Mapping()
    path = Path(path)
    src = path.name
    mapping = Mapping(source=src)
    if not path.is_file():
        mapping.problems.append(f"{path}: mapping file not found")
        return mapping
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mapping.problems.append(f"{src}: not valid YAML ({' '.join(str(exc).split())})")
        return mapping
    except UnicodeDecodeError:
        mapping.problems.append(f"{src}: not UTF-8 text; save the mapping as UTF-8")
        return mapping
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        mapping.problems.append(
            f"{src}: expected a top-level key 'tables' holding a mapping of table names, "
            f"found {type(data.get('tables') if isinstance(data, dict) else data).__name__}"
        )
        return mapping
    extra = sorted(set(data) - {"tables"})
    if extra:
        mapping.problems.append(f"{src}: unknown top-level key(s) {extra}; expected only 'tables'")
    for table, spec in data["tables"].items():
        key = f"{src}: tables.{table}"
        if table not in TABLES:
            mapping.problems.append(f"{key}: no such table; expected one of {_expected(TABLES)}")
            continue
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            mapping.problems.append(f"{key}: expected a mapping with 'file' and/or 'columns'")
            continue
        unknown = sorted(set(spec) - {"file", "columns"})
        if unknown:
            mapping.problems.append(f"{key}: unknown key(s) {unknown}; expected file, columns")
        file = spec.get("file")
        columns = spec.get("columns") or {}
        if not isinstance(columns, dict):
            mapping.problems.append(f"{key}.columns: expected 'header: canonical_name' pairs")
            columns = {}
        checked: dict[str, str] = {}
        canonical = TABLES[table].column_names
        for header, target in columns.items():
            if str(target) not in canonical:
                mapping.problems.append(
                    f"{key}.columns.{header} -> '{target}': no such column in table {table}; "
                    f"expected one of {_expected(canonical)}"
                )
                continue
            checked[str(header).strip()] = str(target)
        targets = list(checked.values())
        for target in sorted({t for t in targets if targets.count(t) > 1}):
            headers = [h for h, t in checked.items() if t == target]
            mapping.problems.append(
                f"{key}.columns: headers {headers} all map to '{target}'; keep one"
            )
        mapping.tables[table] = TableMapping(
            file=None if file is None else str(file), columns=checked
        )
    return mapping


def canonical_header(header: str) -> str:
    """``" Customer ID "`` -> ``customer_id``: how an unmapped header meets the contract."""
    return "_".join(str(header).strip().lstrip("\ufeff").lower().replace("-", " ").split())


def apply_mapping(
    headers: list[str], table: str, tm: TableMapping, *, file_name: str, source: str
) -> tuple[dict[str, str], list[str], list[str]]:
    """Renames for one file's headers.

    Returns
    -------
    renames : raw header -> canonical column (only the columns kept).
    problems : blocking mapping problems (a mapped header that is not in the file).
    dropped : headers that are neither mapped nor canonical (dropped with an info note).
    """
    present = {h.strip().lstrip("\ufeff"): h for h in headers}
    renames: dict[str, str] = {}
    problems = []
    for header, target in tm.columns.items():
        if header in present:
            renames[present[header]] = target
        else:
            problems.append(
                f"{source}: tables.{table}.columns: header '{header}' not found in {file_name}; "
                f"found headers: {_expected(headers)}"
            )
    canonical = set(TABLES[table].column_names)
    taken = set(renames.values())
    dropped = []
    for h in headers:
        if h in renames:
            continue
        name = canonical_header(h)
        if name in canonical and name not in taken:
            renames[h] = name
            taken.add(name)
        else:
            dropped.append(h)
    return renames, problems, dropped
