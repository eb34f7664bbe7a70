"""The dataset spec: how to read one customer-level table that already carries its label.

A YAML file names the table, its id, label and (optional) date column, which columns are
features, which are sensitive and which are known only after the outcome. It is validated once
here; an unknown key or a bad value is a :class:`~crmml.errors.ConfigError` naming the spec
file and the key. Whether the named columns exist is checked against the table when it is read
(:mod:`features.single_table`).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from crmml.config import load_model
from crmml.errors import ConfigError

_IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadOptions(_Strict):
    """How the table file is read (CSV only; Parquet files need no options)."""

    sep: str | None = Field(None, min_length=1, description="field separator; None: detected")
    encoding: str = Field(
        "auto", description="'auto': UTF-8, UTF-8 with BOM or GB18030, as for exports"
    )
    decimal: str = Field(".", min_length=1, max_length=1)
    na_values: list[str] = Field(
        default_factory=list, description="extra markers of a missing value"
    )
    date_format: str | None = Field(
        None, description="strftime format of date_column; default ISO"
    )


class LabelSpec(_Strict):
    """The label column and the value meaning the positive outcome."""

    column: str = Field(min_length=1)
    positive: str | bool | int | float


class SensitiveSpec(_Strict):
    """A sensitive attribute, carried for fairness audits only.

    With ``bins`` the (continuous) column is cut into bands ``labels``, written as
    ``sensitive__<name>_band``; without bins its values are used as groups (``sensitive__<name>``).
    """

    bins: list[float] | None = None
    labels: list[str] | None = None

    @model_validator(mode="after")
    def _bins_and_labels(self) -> SensitiveSpec:
        if self.bins is None:
            if self.labels is not None:
                raise ValueError("labels given without bins")
            return self
        edges = self.bins
        if len(edges) < 2 or any(hi <= lo for lo, hi in zip(edges, edges[1:], strict=False)):
            raise ValueError(f"bins must be at least 2 increasing edges, found {edges}")
        if self.labels is not None and len(self.labels) != len(self.bins) - 1:
            raise ValueError(
                f"expected {len(self.bins) - 1} labels for {len(self.bins)} bin edges, "
                f"found {len(self.labels)}"
            )
        return self


class SplitSpec(_Strict):
    """Seeded stratified random split, used only when the spec names no date column.

    ``test_size`` and ``valid_size`` are shares of all labelled rows.
    """

    test_size: float = Field(0.2, gt=0, lt=1)
    valid_size: float = Field(0.2, ge=0, lt=1)
    seed: int = 42

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> SplitSpec:
        if self.test_size + self.valid_size >= 0.9:
            raise ValueError(
                f"test_size + valid_size must leave at least 10% for training, "
                f"found {self.test_size} + {self.valid_size}"
            )
        return self


class DatasetSpec(_Strict):
    """A single customer-level table with a label column (one row per customer or lead)."""

    task: str = Field(pattern=_IDENTIFIER, description="task name; also the output file name")
    file: Path | None = Field(None, description="table file, relative to the spec file")
    read: ReadOptions = ReadOptions()
    id_column: str | None = Field(None, description="None: the 1-based row number is the id")
    label: LabelSpec
    date_column: str | None = Field(None, description="given: time-based split, as_of per row")
    as_of: date | None = Field(None, description="the table's as-of date")
    date_period: Literal["day", "week", "month", "quarter"] = Field(
        "month", description="rows are grouped into snapshots of this period (as_of = its end)"
    )
    categorical: list[str] | None = Field(None, description="None: inferred from the dtypes")
    numeric: list[str] | None = Field(None, description="None: inferred from the dtypes")
    sensitive: dict[str, SensitiveSpec] = Field(default_factory=dict)
    known_after_outcome: list[str] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)
    descriptions: dict[str, str] = Field(default_factory=dict)
    phrases: dict[str, str] = Field(default_factory=dict, description="reason-code templates")
    monotone: dict[str, Literal[-1, 0, 1]] = Field(default_factory=dict)
    split: SplitSpec = SplitSpec()

    _source: str = PrivateAttr(default="dataset spec")

    @property
    def source(self) -> str:
        """Where the spec came from (the YAML path), for error messages."""
        return self._source

    @field_validator("phrases")
    @classmethod
    def _phrases_format(cls, value: dict[str, str]) -> dict[str, str]:
        for column, template in value.items():
            try:
                template.format(value=1.0)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"phrase for '{column}' must be a str.format template using only "
                    f"{{value}}, found {template!r} ({exc})"
                ) from None
        return value

    @model_validator(mode="after")
    def _roles_do_not_overlap(self) -> DatasetSpec:
        roles: dict[str, list[str]] = {}
        singles = {"id_column": self.id_column, "label.column": self.label.column}
        singles["date_column"] = self.date_column
        for key, column in singles.items():
            if column is not None:
                roles.setdefault(column, []).append(key)
        lists = {
            "categorical": self.categorical or [],
            "numeric": self.numeric or [],
            "known_after_outcome": self.known_after_outcome,
            "drop": self.drop,
        }
        for key, columns in lists.items():
            for column in columns:
                roles.setdefault(column, []).append(key)
        clashes = [f"'{c}' in {' and '.join(k)}" for c, k in roles.items() if len(k) > 1]
        if clashes:
            raise ValueError(f"a column can have one role only: {'; '.join(clashes)}")
        return self


def load_dataset_spec(path: Path) -> DatasetSpec:
    """Read and validate a dataset spec YAML.

    ``file`` is resolved relative to the spec's folder. Errors name the spec file and the key.

    Parameters
    ----------
    path : the spec YAML.

    Returns
    -------
    DatasetSpec
    """
    path = Path(path)
    spec = load_model(DatasetSpec, path)
    if spec.file is not None and not spec.file.is_absolute():
        spec = spec.model_copy(update={"file": (path.parent / spec.file).resolve()})
    spec._source = str(path)
    return spec


def resolve_table_path(spec: DatasetSpec, override: Path | None = None) -> Path:
    """The table file to read: ``override`` (from the CLI) or the spec's ``file``."""
    if override is not None:
        found = Path(override)
    elif spec.file is not None:
        found = spec.file
    else:
        raise ConfigError(f"{spec.source}: key 'file': no table file given (set it or pass one)")
    if not found.is_file():
        if override is not None:
            raise ConfigError(f"{found}: table file not found (given in place of the spec's file)")
        raise ConfigError(f"{spec.source}: key 'file': table file not found: {found}")
    return found


def humanise(column: str) -> str:
    """``avg_balance`` -> ``Avg balance``: the default description of a column."""
    words = re.sub(r"[_\-.]+", " ", column).strip()
    return (words[:1].upper() + words[1:]) if words else column
