"""The registry version ``crmml score`` used last, kept on disk to score before MLflow answers.

Asking the registry for ``crm-<task>@champion`` costs ``crmml score`` about 1.9 s (importing
MLflow, opening its store, the queries and the download: :mod:`serving.fetch`), as long as
scoring a million rows. So ``crmml score`` keeps the version it used under
``$CRMML_HOME/models`` and, while its child process asks the registry, scores the file with
that copy into a hidden file. The registry's answer decides: the very same version (number,
tags, run, feature entries and file bytes) publishes the hidden file; anything else throws it
away, and the file is scored again with the version the registry named. The registry stays
the only authority; the copy only saves the wait for it.

Hand-written on purpose: MLflow keeps no local cache of registry versions, and what makes a
copy reusable here (same answer, same bytes) is this product's rule.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from crmml.atomic import write_text
from serving.fetch import Fetched

log = logging.getLogger("crmml.serving")
_ENTRY = "entry.json"


def recall(home: Path, *, tracking_uri: str, name: str, ref: str) -> Fetched | None:
    """The version last used for ``name`` ``ref`` (``@alias`` or ``v3``) of this registry."""
    entry = _slot(home, tracking_uri, name, ref) / _ENTRY
    try:
        got = Fetched(**json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # none yet, or damaged: no head start
        return None
    return got if Path(got.local).is_dir() else None


def remember(home: Path, *, tracking_uri: str, name: str, ref: str, got: Fetched) -> None:
    """Keep a copy of ``got`` as the version of ``name`` ``ref``; older copies are removed.

    Best effort: a copy that cannot be written (full disk, read-only home) costs the next
    run its head start, nothing else.
    """
    slot = _slot(home, tracking_uri, name, ref)
    current = recall(home, tracking_uri=tracking_uri, name=name, ref=ref)
    if current is not None and same_version(current, got):
        return
    try:
        slot.mkdir(parents=True, exist_ok=True, mode=0o700)
        want = digest(Path(got.local))
        folder = slot / f"v{got.version}-{want[:16]}"
        if folder.is_dir() and digest(folder / "model") != want:  # damaged since: replace it
            shutil.rmtree(folder, ignore_errors=True)
        if not folder.is_dir():
            tmp = Path(tempfile.mkdtemp(prefix=".copy-", dir=slot))
            try:
                shutil.copytree(got.local, tmp / "model")
                tmp.rename(folder)  # complete or absent, never half a copy
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        write_text(slot / _ENTRY, json.dumps({**asdict(got), "local": str(folder / "model")}))
        for old in slot.iterdir():
            if old.is_dir() and old.name.startswith("v") and old != folder:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        log.warning("could not keep %s v%s under %s: %s", name, got.version, slot, exc)


def same_version(a: Fetched, b: Fetched) -> bool:
    """The same registry answer and the same model files (their folders may differ)."""
    if (a.version, a.tags, a.run_id, a.features) != (b.version, b.tags, b.run_id, b.features):
        return False
    return digest(Path(a.local)) == digest(Path(b.local))


def digest(folder: Path) -> str:
    """SHA-256 over a folder's relative file paths and contents."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _slot(home: Path, tracking_uri: str, name: str, ref: str) -> Path:
    key = hashlib.sha256(f"{tracking_uri}\n{name}\n{ref}".encode()).hexdigest()[:24]
    return Path(home) / "models" / key
