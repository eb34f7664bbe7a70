"""The label of a single customer table, and the seeded stratified random split.

Every value other than the spec's positive one is a 0; empty cells are unlabelled rows (scored,
not trained). The value counts go to the manifest so a stray ``pending`` is visible.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crmml.errors import DataQualityError
from features.dataset_spec import DatasetSpec


def parse_label(spec: DatasetSpec, table: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """(row has a label, label is positive); rows with an empty label are scored, not trained."""
    text = table[spec.label.column].astype("str").str.strip()
    labelled = table[spec.label.column].notna() & (text != "")
    positive = spec.label.positive
    if isinstance(positive, bool):  # YAML reads an unquoted yes/no as a boolean
        truthy = {"true", "1", "yes", "y"} if positive else {"false", "0", "no", "n"}
        is_pos = text.str.lower().isin(truthy)
    elif isinstance(positive, int | float):
        is_pos = pd.to_numeric(text, errors="coerce") == float(positive)
    else:
        is_pos = text == positive.strip()
    is_pos = is_pos.fillna(False).astype(bool) & labelled
    if not is_pos.any():
        counts = text[labelled].value_counts().head(10)
        found = ", ".join(f"{v!r} ({n})" for v, n in counts.items()) or "no values"
        raise DataQualityError(
            f"{spec.source}: key 'label.positive': value {positive!r} not found in column "
            f"'{spec.label.column}' of {path.name}; values found: {found}"
        )
    return labelled, is_pos.astype("int64")


def check_classes(spec: DatasetSpec, label: pd.Series, path: Path) -> None:
    """Both outcomes occur among the training rows."""
    if label.nunique() < 2:
        raise DataQualityError(
            f"{path.name}: column '{spec.label.column}' has one class only among the "
            f"{len(label)} labelled rows in range (all {'positive' if label.all() else 'negative'}"
            f"); a model needs both outcomes"
        )


def value_counts(values: pd.Series, top: int = 20) -> dict[str, int]:
    """The ``top`` most frequent stripped values and their counts."""
    counts = values.astype("string").str.strip().value_counts().head(top)
    return {str(k): int(v) for k, v in counts.items()}


def random_split(label: pd.Series, spec: DatasetSpec) -> pd.Series:
    """``train``/``valid``/``test`` per row: ``train_test_split`` twice, stratified, seeded.

    ``valid_size`` is a share of all rows, so the second split takes ``valid / (1 - test)``.
    """
    from sklearn.model_selection import train_test_split

    split = pd.Series("train", index=label.index, dtype="string")
    s = spec.split
    try:
        rest, test = train_test_split(
            label.index, test_size=s.test_size, stratify=label, random_state=s.seed
        )
        split[test] = "test"
        if s.valid_size > 0:
            _, valid = train_test_split(
                rest,
                test_size=s.valid_size / (1 - s.test_size),
                stratify=label[rest],
                random_state=s.seed,
            )
            split[valid] = "valid"
    except ValueError as exc:
        raise DataQualityError(
            f"{spec.source}: key 'split': cannot make a stratified split of "
            f"{len(label)} rows with {int(label.sum())} positives ({exc})"
        ) from None
    return split
