"""Turning raw export cells (strings) into the contract's types, counting what could not be read.

Each parser returns the typed column and a boolean mask of non-empty cells it could not read;
the gate reports the counts. Ids and text stay strings (``"00123"`` keeps its zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from features.arrow_rows import string_offsets
from features.contract import Column
from features.dates import to_calendar_dates
from features.places import PLACE_ALIASES

# Common Chinese spellings of the contract's fixed category values.
VALUE_ALIASES: dict[str, str] = {
    "已支付": "paid", "已付款": "paid", "支付": "paid", "已完成": "paid",
    "已退款": "refunded", "退款": "refunded", "已取消": "cancelled", "取消": "cancelled",
    "canceled": "cancelled",
    "开放": "open", "跟进中": "open", "未转化": "open", "进行中": "open",
    "已转化": "converted", "转化": "converted", "成交": "converted",
    "无效": "disqualified", "已失效": "disqualified", "不合格": "disqualified",
    "电话": "call", "邮件": "email", "拜访": "visit", "上门拜访": "visit", "会议": "meeting",
    "微信": "wechat", "社交媒体": "social", "社交": "social",
    "呼入": "inbound", "呼出": "outbound",
    "企业": "b2b", "企业客户": "b2b", "个人": "b2c", "个人客户": "b2c",
    # Salesforce picklist values (Opportunity stage, Lead status, campaign member status)
    "closed won": "paid", "closed lost": "cancelled",
    "open - not contacted": "open", "working - contacted": "open",
    "closed - converted": "converted", "closed - not converted": "disqualified",
    "opened": "email_open", "clicked": "click", "attended": "webinar", "registered": "webinar",
}  # fmt: skip

_PLACE_COLUMNS = ("region", "city")
_BOOLS = {
    "true": True, "yes": True, "y": True, "1": True, "1.0": True, "t": True, "是": True,
    "false": False, "no": False, "n": False, "0": False, "0.0": False, "f": False, "否": False,
}  # fmt: skip
_CURRENCY = r"[¥￥$€£\s]|RMB|CNY|USD|元"
_THOUSANDS = r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"


@dataclass
class Parsed:
    """A typed column, the mask of unreadable non-empty cells and how many cells were respelled."""

    values: pd.Series
    unparseable: pd.Series
    normalised: int = 0


def clean_strings(series: pd.Series) -> pd.Series:
    """``str`` dtype, stripped, blanks as missing; integral floats lose their ``.0``."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.notna() & (series % 1 == 0)
        text = series.astype("str")
        text[whole] = series[whole].astype("int64").astype("str")
        series = text.where(series.notna())
    elif not pd.api.types.is_string_dtype(series.dtype):
        series = series.astype("str").where(series.notna())
    text = series.astype("str")
    stripped = text.str.strip()
    if _text_bytes(stripped) == _text_bytes(text) >= 0:  # nothing stripped: keep one copy
        stripped = text
    blank = stripped == ""
    return stripped.where(~blank) if blank.any() else stripped


def _text_bytes(text: pd.Series) -> int:
    """The bytes of text in a ``str`` column (stripping only ever removes some)."""
    values = pa.array(text, from_pandas=True)
    total = 0
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if not len(chunk):
            continue
        offsets = string_offsets(chunk)  # read in place: no per-row temporary
        if offsets is None:
            return -1  # not offsets and bytes: say "changed"
        total += int(offsets[-1] - offsets[0])
    return total


def parse_number(series: pd.Series) -> Parsed:
    """float64; thousands separators and currency signs are stripped when unambiguous."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return Parsed(series.astype("float64"), pd.Series(False, index=series.index))
    text = clean_strings(series)
    try:  # fast path: every cell is a plain number (pyarrow's cast is ~10x pandas' parser)
        arr = pa.array(text, from_pandas=True).cast(pa.float64())
        return Parsed(pd.Series(arr.to_numpy(zero_copy_only=False), index=series.index),
                      pd.Series(False, index=series.index))  # fmt: skip
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    retry = text.notna() & values.isna()
    if retry.any():
        raw = text[retry].str.replace(_CURRENCY, "", regex=True)
        # Only "1,234,567.89" shapes lose their commas; "1,5" is ambiguous and stays unread.
        raw = raw.where(~raw.str.match(_THOUSANDS), raw.str.replace(",", "", regex=False))
        values[retry] = pd.to_numeric(raw, errors="coerce")
    return Parsed(values, text.notna() & values.isna())


def parse_bool(series: pd.Series) -> Parsed:
    """pandas ``boolean``: true/false/yes/no/1/0/是/否 in any case."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return Parsed(series.astype("boolean"), pd.Series(False, index=series.index))
    text = clean_strings(series).str.lower()
    values = text.map(_BOOLS).astype("boolean")
    return Parsed(values, text.notna() & values.isna())


def parse_category(series: pd.Series, column: Column, *, as_category: bool = False) -> Parsed:
    """Lower case, single spaces, full-width -> half-width; known aliases -> one spelling.

    Fixed vocabularies (order status, channel, ...) respell to the contract's value. Places
    (``region``, ``city``) respell to the most common spelling of that place in the column, so
    an export written in Chinese keeps 华东 and one written in English keeps ``east china``.
    ``as_category``: the values as a pandas categorical (a byte a row for a few spellings)
    instead of ``str``, the same values.
    """
    # Categories repeat: clean and respell each distinct value once, then spread back by code
    # (no cleaned copy of a 10-million-row column).
    raw_codes, raw_uniq = _distinct(series)
    clean_codes, uniq = pd.factorize(clean_strings(raw_uniq))
    rows = np.bincount(raw_codes[raw_codes >= 0], minlength=len(raw_uniq))  # per raw value
    kept = clean_codes >= 0  # not blank once cleaned
    counts = np.bincount(clean_codes[kept], weights=rows[kept], minlength=len(uniq))
    counts = counts.astype(np.int64)  # rows per cleaned value
    raw = pd.Series(uniq, dtype="str")
    norm = raw.str.normalize("NFKC").str.lower().str.replace(r"[ \t]+", " ", regex=True)
    if column.name in _PLACE_COLUMNS:
        group = norm.map(lambda v: PLACE_ALIASES.get(v, v))
        votes = pd.DataFrame({"group": group, "norm": norm, "n": counts})
        votes = votes.groupby(["group", "norm"], as_index=False)["n"].sum()
        best = votes.sort_values(["n", "norm"], ascending=[False, True]).drop_duplicates("group")
        norm = group.map(best.set_index("group")["norm"]).astype("str")
    else:
        # An alias applies only where its value is one of the column's allowed values.
        respell = {k: v for k, v in VALUE_ALIASES.items() if v in column.allowed}
        norm = norm.map(lambda v: respell.get(v, v)).astype("str")
    count = int(counts[(norm != raw).to_numpy()].sum())
    # Each raw value's spelling, in order of first appearance (as factorising the respelled
    # column would number them), spread back in the smallest integers that hold them: no
    # Python string, and no int64 temporary, per row.
    spelled_codes, spellings = pd.factorize(norm)
    # A blank or missing value (-1) stays missing.
    lookup = np.append(np.append(spelled_codes, -1)[clean_codes], -1)
    codes = lookup.astype(np.min_scalar_type(-max(len(spellings), 1)))[raw_codes]
    if as_category:
        categories = pd.Index(spellings, dtype="str")
        values = pd.Categorical.from_codes(codes, categories=categories, validate=False)
    else:
        spelled = pa.array(np.asarray(spellings, dtype=object), type=pa.large_string())
        values = pd.array(spelled.take(pa.array(codes, mask=codes < 0)), dtype="str")
    return Parsed(pd.Series(values, index=series.index), pd.Series(False, index=series.index),
                  normalised=count)  # fmt: skip


def _distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes (-1: missing) and distinct values of ``series``; a categorical's own."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), pd.Series(series.cat.categories)
    codes, uniq = pd.factorize(series)
    return codes, pd.Series(uniq, dtype=series.dtype)


def parse_column(
    series: pd.Series, column: Column, *, tz: str, as_category: bool = False
) -> Parsed:
    """Parse one raw column by its contract kind (``as_category``: see :func:`parse_category`)."""
    if column.kind in ("id", "text"):
        return Parsed(clean_strings(series), pd.Series(False, index=series.index))
    if column.kind == "number":
        return parse_number(series)
    if column.kind == "bool":
        return parse_bool(series)
    if column.kind == "date":
        if pd.api.types.is_string_dtype(series.dtype):
            series = clean_strings(series)
        values, bad = to_calendar_dates(series, tz=tz)
        return Parsed(values, bad)
    return parse_category(series, column, as_category=as_category)
