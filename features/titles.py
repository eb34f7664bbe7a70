"""Seniority from free-text job titles (English and Chinese).

Rules are checked in order and the first match wins, because titles nest: 总经理 contains 经理,
副总裁 contains 总裁 and "vice president" contains "president"; assistants to an executive
("总经理助理", "assistant to the CEO") are staff.
"""

from __future__ import annotations

import re

import pandas as pd

SENIORITY_LEVELS = ("c_level", "director", "manager", "staff", "unknown")

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (level, re.compile(pattern, re.IGNORECASE))
    for level, pattern in (
        ("staff", r"assistant|\bpa\b|secretary|intern|助理|秘书|实习"),
        ("director", r"vice[\s-]*president|\bs?vp\b|\bevp\b|副总|副董事|副院长"),
        (
            "c_level",
            r"\bc[a-z]?[eotfmi]o\b|chief|founder|\bowner\b|president|chair(man|woman|person)?\b"
            r"|managing\s+director|\bpartner\b|总经理|董事长|董事|创始人|创办人|总裁|首席|老板|合伙人"
            r"|法人|厂长|院长|校长",
        ),
        ("director", r"director|\bhead\b|总监|部长|主任|总工"),
        ("manager", r"manager|\bmgr\b|\blead\b|leader|supervisor|经理|主管|组长|负责人|店长"),
    )
)


def title_seniority(title: object) -> str:
    """Seniority level of one job title (``unknown`` when missing or blank)."""
    if title is None or (isinstance(title, float) and title != title) or title is pd.NA:
        return "unknown"
    text = str(title).strip()
    if not text:
        return "unknown"
    for level, pattern in _RULES:
        if pattern.search(text):
            return level
    return "staff"


def seniority(titles: pd.Series) -> pd.Series:
    """Seniority levels (pandas string dtype) of a column of job titles, one per row."""
    values = titles.astype("string")
    uniq = pd.unique(values.dropna())
    mapping = {t: title_seniority(t) for t in uniq}
    out = [mapping.get(t, "unknown") for t in values.fillna("").to_numpy(dtype=object)]
    return pd.Series(out, dtype="string")
