"""The scoring logic on top of a loaded model: score, tier, reason codes and warnings.

Plain class, no server: the BentoML service and ``crmml score`` both wrap it, so the online
and batch paths are one code path, and it is tested without a server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from crmml.errors import CrmmlError
from models.transformers import category_strings
from serving.config import Tier
from serving.validation import Validated, field_specs, validate_records

_SENSITIVE = "sensitive__"


class Scorer:
    """Score records with a ``CrmModel`` and explain each score.

    Parameters
    ----------
    model : a loaded model (``models.load_model_dir``): ``feature_names``, ``categorical``,
        ``predict_proba(df)``, ``contributions(df)``.
    feature_info : per feature, the manifest entry (``description``, ``phrase``, ``min``...).
    tiers : score bands, highest ``min_score`` first.
    model_name, model_version : echoed in every prediction.
    top_reasons : how many reasons per prediction.
    feature_version : the feature code version the model was trained with.
    categories : per categorical feature, the values seen in training (else no warning).
    max_records : the largest request accepted by :meth:`score_records`.
    """

    def __init__(
        self,
        model: Any,
        *,
        feature_info: dict[str, dict],
        tiers: Sequence[Tier],
        model_name: str = "",
        model_version: str = "",
        top_reasons: int = 3,
        feature_version: str | None = None,
        categories: dict[str, Sequence[str]] | None = None,
        max_records: int = 1000,
    ):
        self.model = model
        self.feature_names = list(model.feature_names)
        self.categorical = [c for c in model.categorical if c in self.feature_names]
        self.feature_info = feature_info
        self.tiers = sorted(tiers, key=lambda t: t.min_score, reverse=True)
        self.model_name = model_name
        self.model_version = str(model_version)
        self.top_reasons = top_reasons
        self.feature_version = None if feature_version is None else str(feature_version)
        self.categories = {k: frozenset(v) for k, v in (categories or {}).items()}
        self.max_records = max_records
        self.specs = field_specs(self.feature_names, self.categorical, feature_info)
        # Sensitive attributes are never a reason, even if a model was (wrongly) fed one.
        self._reason_mask = np.array([not n.startswith(_SENSITIVE) for n in self.feature_names])

    @property
    def model_ref(self) -> dict[str, str]:
        return {"name": self.model_name, "version": self.model_version}

    def tier(self, score: float) -> str:
        """The first band (highest first) whose ``min_score`` the score reaches."""
        for t in self.tiers:
            if score >= t.min_score:
                return t.name
        return self.tiers[-1].name

    def warm_up(self) -> None:
        """Score one all-missing row: fails now (not on a request) if the model is broken."""
        checked = Validated(["warm-up"], {n: [None] for n in self.feature_names}, [[]])
        self.score_validated(checked, explain=True)

    # -- online path ---------------------------------------------------------------------
    def score_records(self, records: list[dict], explain: bool = True) -> list[dict]:
        """Validate and score JSON records (raises ``RequestInvalid`` listing every problem)."""
        checked = validate_records(
            records,
            self.specs,
            max_records=self.max_records,
            feature_version=self.feature_version,
        )
        return self.score_validated(checked, explain=explain)

    def score_validated(self, checked: Validated, *, explain: bool = True) -> list[dict]:
        """Score records that already passed validation."""
        scores, contributions = self.model.score_columns(
            checked.columns, explain=explain and self.top_reasons > 0
        )
        reasons = self._reasons(contributions, checked.columns) if explain else None
        unseen = self._unseen(checked.columns, len(scores))
        model_ref = self.model_ref
        out = [
            {
                "entity_id": entity_id,
                "score": score,
                "tier": tier,
                "model": model_ref,
                "warnings": warnings + extra if extra else warnings,
            }
            for entity_id, score, tier, warnings, extra in zip(
                checked.entity_ids,
                scores.tolist(),
                self._tiers(scores).tolist(),
                checked.warnings,
                unseen,
                strict=True,
            )
        ]
        if reasons is not None:
            for pred, why in zip(out, reasons, strict=True):
                pred["reasons"] = why
        return out

    # -- batch path ----------------------------------------------------------------------
    def score_frame(self, df: pd.DataFrame, explain: bool = False) -> pd.DataFrame:
        """Score a scoring-set DataFrame: ``entity_id, score, tier, model_version[, reasons]``.

        ``reasons`` is a JSON list per row (Parquet and CSV keep it as text).
        """
        missing = [c for c in ["entity_id", *self.feature_names] if c not in df.columns]
        if missing:
            raise CrmmlError(
                f"input is missing column(s) the model {self.model_name} v{self.model_version} "
                f"needs: {missing}"
            )
        if len(df) == 0:
            cols = ["entity_id", "score", "tier", "model_version"] + (
                ["reasons"] if explain else []
            )
            return pd.DataFrame(
                {c: pd.Series([], dtype="float64" if c == "score" else "str") for c in cols}
            )
        columns = {}
        for spec in self.specs:
            col = df[spec.name]
            if spec.kind == "numeric":
                numbers = pd.to_numeric(col, errors="coerce")
                columns[spec.name] = numbers.to_numpy(dtype="float64", na_value=np.nan)
            elif not explain and _arrow_strings(col):
                # Arrow strings go to the encoder as they are (coded in Arrow, no Python str)
                columns[spec.name] = pa.array(col.array)
            else:
                columns[spec.name] = category_strings(col)
        scores, contributions = self.model.score_columns(
            columns, explain=explain and self.top_reasons > 0
        )
        n = len(scores)
        out = pd.DataFrame(
            {
                "entity_id": df["entity_id"].astype("str").array,
                "score": scores,
                "tier": _str_array(self._tier_names, self._tier_index(scores)),
                "model_version": _str_array([self.model_version], np.zeros(n, np.int8)),
            }
        )
        if explain:
            out["reasons"] = [json.dumps(r) for r in self._reasons(contributions, columns)]
        return out

    # -- helpers -------------------------------------------------------------------------
    def _tiers(self, scores: np.ndarray) -> np.ndarray:
        """:meth:`tier` of every score, vectorised (an object array of names)."""
        return np.asarray(self._tier_names, dtype=object)[self._tier_index(scores)]

    @property
    def _tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def _tier_index(self, scores: np.ndarray) -> np.ndarray:
        """Index into ``tiers`` of every score: the first band reached, else the last one."""
        index = np.full(len(scores), len(self.tiers) - 1, dtype=np.int8)
        for i in reversed(range(len(self.tiers))):  # lowest band first: the highest wins
            index[scores >= self.tiers[i].min_score] = i
        return index

    def _reasons(self, contributions: Any, columns: dict[str, Any]) -> list[list[dict]]:
        n = len(next(iter(columns.values()))) if columns else 0
        if self.top_reasons == 0 or contributions is None:
            return [[] for _ in range(n)]
        values = np.asarray(contributions.values, dtype=float)
        masked = np.where(self._reason_mask, np.abs(values), -1.0)
        k = min(self.top_reasons, int(self._reason_mask.sum()))
        if k == 0:
            return [[] for _ in range(n)]
        top = np.argsort(-masked, axis=1, kind="stable")[:, :k]
        picked = np.take_along_axis(values, top, axis=1).round(6).tolist()
        out = []
        for i, idx in enumerate(top.tolist()):
            row = []
            for j, contribution in zip(idx, picked[i], strict=True):
                name = self.feature_names[j]
                row.append(
                    {
                        "feature": name,
                        "contribution": contribution,
                        "phrase": self.phrase(name, columns[name][i]),
                    }
                )
            out.append(row)
        return out

    def phrase(self, name: str, value: Any) -> str:
        """The manifest's plain phrase for ``name`` at ``value`` (falls back to description)."""
        info = self.feature_info.get(name, {})
        label = info.get("description") or name.replace("_", " ")
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return f"{label}: missing"
        template = info.get("phrase")
        if template:
            try:
                return str(template).format(value=value)
            except (ValueError, KeyError, IndexError, TypeError):
                pass
        if isinstance(value, float):
            value = f"{value:g}"
        return f"{label}: {value}"

    def _unseen(self, columns: dict[str, list], n: int) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in range(n)]
        for name, known in self.categories.items():
            for i, value in enumerate(columns.get(name, ())):
                if value is not None and value not in known:
                    out[i].append(
                        f"unseen value {value!r} for {name}: not seen in training (or rare), "
                        "scored as unknown"
                    )
        return out


def _arrow_strings(col: pd.Series) -> bool:
    """A column of pandas' Arrow-backed strings (pandas 3 reads text from Parquet so)."""
    dtype = col.dtype
    return pd.api.types.is_string_dtype(dtype) and getattr(dtype, "storage", "") == "pyarrow"


def _str_array(names: Sequence[str], index: np.ndarray) -> pd.Series:
    """``names[index]`` as a pandas ``str`` column built in Arrow (no Python str per row)."""
    taken = pa.array(list(names), type=pa.large_string()).take(pa.array(index))
    return pd.Series(taken, dtype="str")
