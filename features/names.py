"""Company-name normalisation and near-duplicate clustering.

``北京ABC科技有限公司``, ``ABC科技公司`` and ``ＡＢＣ科技（北京）有限公司`` are one company
typed three ways. Names are reduced to a key (NFKC, case, punctuation, spaces, legal suffixes
and leading place names removed), equal keys are one company, and keys that are near-equal by
:func:`rapidfuzz.fuzz.ratio` (within blocks sharing their first characters) are clustered too.
A Chinese name and its English translation are different keys: there is no translation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from features.places import CITY_NAMES_EN, CITY_NAMES_ZH

_CN_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "分公司", "公司", "集团", "企业")
_EN_SUFFIXES = (
    "co ltd", "company limited", "company", "corporation", "corp", "incorporated", "inc",
    "llc", "limited", "ltd", "group", "holdings", "co",
)  # fmt: skip
# Letters kept in a key: ASCII, Latin-1/Extended, CJK, kana, Hangul. The patterns avoid \w, \s
# and lookarounds so that pandas runs them in pyarrow (RE2), ~10x faster than Python's re.
_NOT_KEPT = "[^a-z0-9À-ɏ぀-ヿ㐀-䶿一-鿿가-힯]+"
_CN_REGION = "(?:" + "|".join(CITY_NAMES_ZH) + ")(?:市|省)?"
_EN_REGION = "(?:" + "|".join(CITY_NAMES_EN) + ")"
# A short Chinese text in brackets is a place or a note (（石家庄）, （中国）): not the name.
_PAREN_REGION = f"[(（] *(?:{_EN_REGION}|[一-鿿]{{2,5}}) *[)）]"
_LEADING_REGION = f"^(?:{_CN_REGION} ?|{_EN_REGION} )"
_SUFFIXES_AT_END = "(?: (?:" + "|".join(_EN_SUFFIXES) + ")| ?(?:" + "|".join(_CN_SUFFIXES) + "))+$"
_MIN_KEY_AFTER_REGION = 3
"""北京银行 and 上海银行 are two banks: a region prefix is only dropped when 3+ characters stay."""


def normalize_company_names(names: pd.Series) -> pd.Series:
    """Vectorised :func:`normalize_company_name`; missing or blank names stay missing."""
    s = names.astype("str").str.normalize("NFKC").str.lower()
    s = s.str.replace(_PAREN_REGION, " ", regex=True)
    # Punctuation becomes a space first so "Co., Ltd." reads as the words "co ltd".
    plain = s.str.replace(_NOT_KEPT, " ", regex=True).str.strip()
    key = (" " + plain).str.replace(_SUFFIXES_AT_END, "", regex=True).str.strip()
    short = key.str.replace(_LEADING_REGION, "", regex=True)
    short = (" " + short).str.replace(_SUFFIXES_AT_END, "", regex=True).str.replace(" ", "")
    key = key.str.replace(" ", "")
    key = short.where(short.str.len() >= _MIN_KEY_AFTER_REGION, key)
    # A name that is only a suffix or a region ("公司", "Beijing Ltd") keeps its plain form.
    key = key.where(key.str.len() > 0, plain.str.replace(" ", ""))
    return key.where(key.str.len() > 0)


def normalize_company_name(name: str) -> str:
    """The comparison key of one company name (``""`` for a blank name).

    >>> normalize_company_name("ABC Co., Ltd.") == normalize_company_name("ABC公司") == "abc"
    True
    """
    key = normalize_company_names(pd.Series([name], dtype="str")).iloc[0]
    return "" if pd.isna(key) else str(key)


def _could_match(max_len: int, threshold: float) -> np.ndarray:
    """``[la, lb]``: whether two distinct keys of these lengths can score ``threshold``.

    ``fuzz.ratio`` is ``100 * (1 - d / (la + lb))`` for the insert/delete distance ``d``,
    which is at least ``|la - lb|``, and at least 2 between distinct keys of one length. At
    92 a key of 5 characters or fewer can match none (most keys): they skip the comparison.
    """
    length = np.arange(max_len + 1)
    la, lb = length[:, None], length[None, :]
    fewest = np.where(la == lb, 2, np.abs(la - lb))
    best = 100 * (1 - fewest / np.maximum(la + lb, 1))
    return best >= threshold - 1e-6  # a hair below: rounding never drops a real pair


def _fuzzy_pairs(
    keys: np.ndarray, lengths: np.ndarray, *, threshold: float, prefix: int
) -> list[np.ndarray]:
    """Index pairs of distinct keys scoring >= threshold, compared within prefix blocks."""
    pairs: list[np.ndarray] = []
    could_match = _could_match(int(lengths.max(initial=0)), threshold)
    blocks = pd.Series(np.arange(len(keys))).groupby(pd.Series(keys).str[:prefix].to_numpy())
    for _, idx in blocks:
        pos = idx.to_numpy()
        if len(pos) < 2:
            continue
        if len(pos) > 4000 and prefix < 4:  # a huge block: split it further
            sub = _fuzzy_pairs(keys[pos], lengths[pos], threshold=threshold, prefix=prefix + 1)
            pairs.extend(pos[p] for p in sub)
            continue
        # Only keys with a length that could match another length in the block are compared.
        present = np.unique(lengths[pos])
        matchable = could_match[np.ix_(present, present)].any(axis=1)
        if not matchable.all():
            pos = pos[matchable[np.searchsorted(present, lengths[pos])]]
            if len(pos) < 2:
                continue
        block = keys[pos].tolist()
        scores = process.cdist(
            block, block, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8, workers=-1
        )
        i, j = np.nonzero(np.triu(scores, k=1))
        if len(i):
            pairs.append(np.column_stack([pos[i], pos[j]]))
    return pairs


def cluster_companies(names: pd.Series, *, threshold: float) -> pd.Series:
    """Cluster label per row: rows naming the same company share a label.

    Parameters
    ----------
    names : company names (any index).
    threshold : rapidfuzz ``ratio`` (0-100) from which two normalised names are one company;
        100 clusters only names whose normalised keys are equal.

    Returns
    -------
    int64 labels on the same index. Rows with a blank name get a label of their own.
    """
    return cluster_company_keys(normalize_company_names(names), threshold=threshold)


def cluster_company_keys(keys: pd.Series, *, threshold: float) -> pd.Series:
    """:func:`cluster_companies` of names already reduced by :func:`normalize_company_names`."""
    present = keys.notna().to_numpy()
    codes, uniq = pd.factorize(keys[present])
    uniq = np.asarray(uniq, dtype=object)
    n = len(uniq)
    if threshold < 100 and n > 1:
        lengths = pd.Series(uniq, dtype="str").str.len().to_numpy()
        pairs = _fuzzy_pairs(uniq, lengths, threshold=threshold, prefix=2)
        edges = np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)
    else:
        edges = np.empty((0, 2), dtype=np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    labels = np.empty(len(keys), dtype=np.int64)
    labels[present] = component[codes]
    labels[~present] = n + np.arange((~present).sum())
    return pd.Series(labels, index=keys.index, dtype="int64")
