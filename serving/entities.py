"""Score customers by id: rows of the newest scoring set that ``crmml features`` wrote.

CRM backends rarely hold model features, so ``{"entity_ids": [...]}`` looks the rows up in
the scoring set (the batch builder's output: no train/serve skew). Raw CRM ids are accepted
and pseudonymised with the same key as the feature builder. The set is reloaded when a newer
manifest appears.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from crmml.errors import CrmmlError

log = logging.getLogger("crmml.serving")


def newest_manifest(scoring_dir: Path) -> Path:
    """``DIR/manifest.json``, or the newest ``*/manifest.json`` under DIR."""
    direct = scoring_dir / "manifest.json"
    if direct.is_file():
        return direct
    found = sorted(scoring_dir.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise CrmmlError(f"--scoring-dir {scoring_dir}: no manifest.json (run crmml features)")
    return found[-1]


def _pseudonymize(ids: list[str], *, task: str) -> list[str] | None:
    import os

    from crmml.paths import crmml_home
    from features.privacy import KEY_ENV, KEY_FILE, load_key, pseudonymize

    # Never create a key here (load_key would): a new key matches no scoring-set row.
    if not os.environ.get(KEY_ENV) and not (crmml_home() / KEY_FILE).is_file():
        return None
    try:
        kind = "lead" if task == "lead_score" else "customer"
        out = pseudonymize(pd.Series(ids, dtype="string"), key=load_key(), kind=kind)
        return [str(x) for x in out]
    except Exception as exc:  # a bad key file: only pseudonyms can be looked up
        log.warning("cannot pseudonymise raw ids (%s)", type(exc).__name__)
        return None


class ScoringSetStore:
    """Scoring-set rows by entity id, per task, reloaded when the manifest changes."""

    def __init__(self, scoring_dir: Path):
        self.scoring_dir = Path(scoring_dir)
        self._lock = threading.Lock()
        self._state: tuple[Path, float, dict] | None = None  # manifest, mtime, per-task sets

    def _current(self) -> tuple[dict, dict]:
        manifest = newest_manifest(self.scoring_dir)
        mtime = manifest.stat().st_mtime
        state = self._state
        if state is None or state[0] != manifest or state[1] != mtime:
            with self._lock:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                state = (manifest, mtime, {"manifest": data, "sets": {}})
                self._state = state
                log.info("scoring set %s (as_of %s) loaded", manifest.parent, data.get("as_of"))
        return state[2]["manifest"], state[2]["sets"]

    def _task_set(self, task: str) -> tuple[pd.DataFrame, dict[str, int], str | None]:
        manifest, sets = self._current()
        if task not in sets:
            entry = (manifest.get("tasks") or {}).get(task)
            if not entry:
                raise CrmmlError(f"scoring set {self.scoring_dir} has no task '{task}'")
            path = self._state[0].parent / entry.get("scoring_file", f"{task}.scoring.parquet")
            df = pd.read_parquet(path)
            index = {str(e): i for i, e in enumerate(df["entity_id"])}
            sets[task] = (df, index, manifest.get("feature_version"))
        return sets[task]

    def records(self, task: str, ids: list[Any]) -> tuple[list[dict | None], str | None]:
        """Records (feature fields + ``entity_id``) for ``ids``, ``None`` for unknown ones,
        and the feature version the set was built with."""
        df, index, version = self._task_set(task)
        keys = [str(i) for i in ids]
        pos = [index.get(k) for k in keys]
        missing = [k for k, p in zip(keys, pos, strict=True) if p is None]
        if missing:
            pseudo = _pseudonymize(missing, task=task)
            if pseudo:
                by_raw = dict(zip(missing, pseudo, strict=True))
                pos = [
                    p if p is not None else index.get(by_raw[k])
                    for k, p in zip(keys, pos, strict=True)
                ]
        found = [p for p in pos if p is not None]
        rows = df.iloc[found].to_dict("records") if found else []
        it = iter(rows)
        out: list[dict | None] = []
        for p in pos:
            if p is None:
                out.append(None)
                continue
            rec = {
                k: _json_value(v)
                for k, v in next(it).items()
                if k != "as_of" and not k.startswith("sensitive__") and k != "label"
            }
            out.append(rec)
        return out, None if version is None else str(version)


def _json_value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v
