"""Writing a sample export atomically: everything goes to a temp folder, then is swapped in."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from crmml.atomic import replace_dir as _swap
from crmml.errors import CrmmlError
from features.contract import TABLES
from features.sample.zh import ZH_TABLES, mapping_yaml

META_FILE = "export.json"
MAPPING_FILE = "mapping.yaml"
ENCODINGS = {"en": "utf-8", "zh": "gb18030"}


def export_file_names() -> set[str]:
    """Every file name a sample export can hold (both locales, both formats)."""
    stems = set(TABLES) | {stem for stem, _ in ZH_TABLES.values()}
    return {f"{s}.{ext}" for s in stems for ext in ("csv", "parquet")} | {META_FILE, MAPPING_FILE}


def check_target(out: Path) -> None:
    """Refuse to write over a file or a folder holding anything but a previous sample export."""
    if out.exists() and not out.is_dir():
        raise CrmmlError(f"--out {out}: expected a folder, found a file")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in export_file_names())
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise CrmmlError(
                f"--out {out}: the folder holds files that are not part of a sample export "
                f"({shown}); choose an empty or new folder"
            )


def write_export(out: Path, tables: dict[str, pd.DataFrame], meta: dict) -> dict[str, str]:
    """Write every table, ``export.json`` and (zh) ``mapping.yaml`` into ``out`` atomically.

    ``tables`` hold canonical columns; headers and file names follow ``meta["locale"]``.
    A previous sample export in ``out`` is replaced as a whole. Returns table -> file name.
    """
    locale, fmt = meta["locale"], meta["format"]
    check_target(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        tmp.chmod(0o755)  # mkdtemp makes it owner-only; the export is an ordinary folder
    except OSError as exc:
        raise CrmmlError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    try:
        files = {}
        for name, frame in tables.items():
            stem, headers = (
                (ZH_TABLES[name][0], ZH_TABLES[name][1]) if locale == "zh" else (name, {})
            )
            files[name] = f"{stem}.{fmt}"
            data = pa.Table.from_pandas(frame.rename(columns=headers), preserve_index=False)
            if fmt == "csv":
                _write_csv(data, tmp / files[name], encoding=ENCODINGS[locale])
            else:
                pq.write_table(data, tmp / files[name])
        if locale == "zh":
            (tmp / MAPPING_FILE).write_text(mapping_yaml(), encoding="utf-8")
        meta = {**meta, "files": files}
        (tmp / META_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CrmmlError(f"--out {out}: could not write the export ({exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return files


def _write_csv(table: pa.Table, path: Path, *, encoding: str) -> None:
    """CSV with every text value quoted (as many CRMs export), nulls as empty cells.

    pyarrow's writer is ~10x faster than ``DataFrame.to_csv`` on a million rows; it writes
    UTF-8, so other encodings are transcoded in memory.
    """
    options = pa_csv.WriteOptions(quoting_style="needed")
    if encoding == "utf-8":
        pa_csv.write_csv(table, path, options)
        return
    buffer = pa.BufferOutputStream()
    pa_csv.write_csv(table, buffer, options)
    text = buffer.getvalue().to_pybytes().decode("utf-8")
    path.write_bytes(text.encode(encoding))
