"""Train / validation / test split, as production sees it, and its exact rebuild.

Time split: the oldest snapshots train, the next ones validate (tuning, family choice,
calibration), the latest matured snapshot is the test set of evaluation and the approval gate.
Tuning fits on the training snapshots whose outcome window closed before validation starts
(:func:`settled_before_validation`), so validation scores a future the trials never saw.
The plan (``split_meta``) is a small JSON-able mapping recorded on the run, so evaluation
rebuilds exactly the same test set with :func:`split_frame`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmml.errors import CrmmlError
from training.config import SplitConfig
from training.data import AS_OF, LABEL

PARTS = ("train", "valid", "test")
SPLIT_COLUMN = "split"


def plan_split(frame: pd.DataFrame, *, kind: str, config: SplitConfig | None = None) -> dict:
    """Decide which snapshots (time) or ``split`` values (random) make each part.

    With fewer snapshots than the config asks for, validation shrinks first (never below one).
    """
    config = config or SplitConfig()
    if kind == "random":
        meta: dict = {"kind": "random", "column": SPLIT_COLUMN, "time_based": False}
    elif kind == "time":
        dates = sorted(pd.to_datetime(frame[AS_OF]).dt.normalize().unique())
        n_test = config.test_snapshots
        n_valid = min(config.valid_snapshots, len(dates) - n_test - config.min_train_snapshots)
        if n_valid < 1:
            need = config.min_train_snapshots + 1 + n_test
            raise CrmmlError(
                f"column '{AS_OF}': a time split needs at least {need} snapshot dates "
                f"(train, validation, test), found {len(dates)}"
            )
        iso = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates]
        meta = {
            "kind": "time",
            "time_based": True,
            "train": iso[: len(iso) - n_test - n_valid],
            "valid": iso[len(iso) - n_test - n_valid : len(iso) - n_test],
            "test": iso[len(iso) - n_test :],
        }
    else:
        raise CrmmlError(f"manifest key 'split': expected 'time' or 'random', found {kind!r}")
    parts = split_frame(frame, None, meta)
    meta["rows"] = {name: int(len(part)) for name, part in zip(PARTS, parts, strict=True)}
    meta["label_rate"] = {
        name: round(float(part[LABEL].mean()), 6) for name, part in zip(PARTS, parts, strict=True)
    }
    return meta


def split_frame(
    df: pd.DataFrame, manifest_task: dict | None, split_meta: dict
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rebuild ``(train, valid, test)`` from a recorded plan (see :func:`plan_split`).

    Parameters
    ----------
    df : DataFrame
        The task's training set (``OUT/<task>.parquet``).
    manifest_task : dict or None
        The manifest's task entry; its ``drop_after_outcome`` columns are dropped, as in training.
    split_meta : dict
        The plan recorded on the run (artifact ``split.json``, param ``split``).

    Raises
    ------
    CrmmlError
        A part is empty or lacks one of the two label classes.
    """
    drop = [c for c in (manifest_task or {}).get("drop_after_outcome") or [] if c in df.columns]
    df = df.drop(columns=drop)
    if split_meta["kind"] == "random":
        col = split_meta.get("column", SPLIT_COLUMN)
        if col not in df.columns:
            raise CrmmlError(
                f"column '{col}': a random split needs it (values train/valid/test); not found"
            )
        keys = df[col].astype("string").str.strip().str.lower()
        parts = tuple(df[keys == name] for name in PARTS)
    else:
        dates = pd.to_datetime(df[AS_OF]).dt.strftime("%Y-%m-%d")
        parts = tuple(df[dates.isin(split_meta[name])] for name in PARTS)
    for name, part in zip(PARTS, parts, strict=True):
        if part.empty:
            raise CrmmlError(f"{name} part of the {split_meta['kind']} split has no rows")
        if name != "test" and part[LABEL].nunique() < 2:
            raise CrmmlError(
                f"{name} part of the {split_meta['kind']} split has one label class only "
                f"({int(part[LABEL].iloc[0])} in {len(part)} rows); more customers or "
                "snapshots are needed (or more validation snapshots: split.valid_snapshots)"
            )
    return parts  # type: ignore[return-value]


def describe_split(meta: dict) -> str:
    """One line for logs and the CLI summary."""
    rows = meta.get("rows", {})
    if meta["kind"] == "random":
        return (
            f"random split (evaluation is NOT time-based): train {rows.get('train')} rows, "
            f"valid {rows.get('valid')}, test {rows.get('test')}"
        )
    return (
        f"time split: train {meta['train'][0]}..{meta['train'][-1]} ({rows.get('train')} rows), "
        f"valid {', '.join(meta['valid'])} ({rows.get('valid')}), "
        f"test {', '.join(meta['test'])} ({rows.get('test')})"
    )


def settled_before_validation(
    train: pd.DataFrame, split_meta: dict, window_days: int | None
) -> np.ndarray:
    """Mask of the training rows whose outcome window ends by the first validation snapshot.

    The label of a snapshot at ``s`` reads ``(s, s + window_days]``. The last training
    snapshots' windows reach into the validation snapshots' windows: the same customers and
    the same stops are then labelled on both sides, so validation rewards models that recognise
    customers (it kept rising to ~900 boosting rounds on the churn benchmark while the test
    month peaked near 200). Tuning on settled rows only sees validation as the test month
    is seen by the final model, whose training windows all end by the test snapshot.

    All rows (no mask) for a random split, an unknown window, or when the settled rows are
    empty or hold one label class only (too few snapshots).
    """
    everything = np.ones(len(train), dtype=bool)
    if split_meta.get("kind") != "time" or not window_days:
        return everything
    first_valid = pd.Timestamp(min(split_meta["valid"]))
    ends = pd.to_datetime(train[AS_OF]).dt.normalize() + pd.Timedelta(days=int(window_days))
    settled = (ends <= first_valid).to_numpy()
    if train[LABEL][settled].nunique() < 2:
        return everything
    return settled
