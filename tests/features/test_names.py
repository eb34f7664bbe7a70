"""Company-name normalisation and duplicate clustering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from features import names
from features.names import cluster_companies, normalize_company_name, normalize_company_names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ABC公司", "ABC Co., Ltd."),
        ("北京ABC科技有限公司", "ABC科技公司"),
        ("ＡＢＣ科技（北京）有限公司", "ABC科技公司"),  # full-width letters and brackets
        ("创恒机械（石家庄）有限公司", "石家庄创恒机械公司"),
        ("Acme Inc.", "ACME, LLC"),
        ("Acme Corporation", "acme corp"),
        ("Beijing Acme Group", "Acme"),
        ("华信科技股份有限公司", "华信科技有限责任公司"),
    ],
)
def test_spellings_of_one_company_share_a_key(a: str, b: str) -> None:
    assert normalize_company_name(a) == normalize_company_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华信科技有限公司", "Huaxin Technology Co., Ltd."),  # no translation
        ("北京银行", "上海银行"),  # a place is kept when little else is left
        ("Taco Inc", "Ta Inc"),  # "co" is only a suffix as a word
    ],
)
def test_different_companies_keep_different_keys(a: str, b: str) -> None:
    assert normalize_company_name(a) != normalize_company_name(b)


def test_key_examples() -> None:
    assert normalize_company_name("ABC Co., Ltd.") == "abc"
    assert normalize_company_name("北京ABC科技有限公司") == "abc科技"
    assert normalize_company_name("公司") == "公司"  # only a suffix: kept as it is
    assert normalize_company_name("  ") == ""


def test_vectorised_keeps_index_and_missing() -> None:
    names = pd.Series(["ABC公司", None, ""], index=[10, 11, 12], dtype="str")
    keys = normalize_company_names(names)
    assert keys.index.tolist() == [10, 11, 12]
    assert keys.iloc[0] == "abc" and keys.iloc[1:].isna().all()


def test_cluster_labels_group_duplicates_only() -> None:
    names = pd.Series(
        ["ABC公司", "ABC Co., Ltd.", "北京ABC科技有限公司", "ABC科技公司", "Acme Trading",
         "Acme Tradng", None, None, "XYZ"],
        index=list("abcdefghi"),
    )  # fmt: skip
    labels = cluster_companies(names, threshold=92)
    assert labels.index.tolist() == list("abcdefghi")
    assert labels["a"] == labels["b"] != labels["c"]
    assert labels["c"] == labels["d"]
    assert labels["e"] == labels["f"]  # a typo within the threshold
    assert labels["g"] != labels["h"]  # blank names are never one company
    assert labels.nunique() == 6


def test_threshold_100_clusters_equal_keys_only() -> None:
    labels = cluster_companies(pd.Series(["Acme Trading", "Acme Tradng", "ACME trading"]),
                               threshold=100)  # fmt: skip
    assert labels.iloc[0] == labels.iloc[2] != labels.iloc[1]


def test_clustering_many_names_keeps_distinct_companies_apart() -> None:
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz华信达科技贸易"))
    names = pd.Series(["".join(rng.choice(letters, 10)) + " Co., Ltd." for _ in range(30_000)])
    labels = cluster_companies(names, threshold=92)
    assert labels.nunique() > 29_000


def _typos(rng: np.random.Generator, n: int) -> np.ndarray:
    alphabet = list("abcdefgh科技信达海")
    keys = []
    for _ in range(n):
        word = list(rng.choice(alphabet, size=rng.integers(3, 16)))
        keys.append("".join(word))
        at = rng.integers(len(word))
        keys.append("".join(word[:at] + [str(rng.choice(alphabet))] + word[at:]))  # one more
        keys.append("".join(word[:at] + word[at + 1 :]))  # one less
    return pd.unique(pd.Series(keys)).astype(object)


@pytest.mark.parametrize("threshold", [50, 75, 85, 90, 92, 95])
def test_keys_skipped_by_length_could_not_have_matched(threshold: float) -> None:
    # Every pair a full comparison within each prefix block finds, and no other.
    from rapidfuzz import fuzz, process

    keys = _typos(np.random.default_rng(int(threshold)), 700)
    lengths = pd.Series(keys, dtype="str").str.len().to_numpy()
    found = np.concatenate(names._fuzzy_pairs(keys, lengths, threshold=threshold, prefix=2))
    expected = set()
    for block in pd.Series(np.arange(len(keys))).groupby(pd.Series(keys).str[:2].to_numpy()):
        pos = block[1].to_numpy()
        scores = process.cdist(keys[pos].tolist(), keys[pos].tolist(), scorer=fuzz.ratio)
        i, j = np.nonzero(np.triu(scores >= threshold, k=1))
        expected |= {(pos[a], pos[b]) for a, b in zip(i, j, strict=True)}
    assert {tuple(sorted(p)) for p in found.tolist()} == {tuple(sorted(p)) for p in expected}
    assert expected  # the sample has typos to find at every threshold


_BRAND = st.text(alphabet="abcdefghijklmnopqrstuvwxyz华信达科技贸易星辰", min_size=4, max_size=12)


@settings(max_examples=80, deadline=None)
@given(brand=_BRAND, suffix=st.sampled_from(["有限公司", " Co., Ltd.", "公司", " Inc.", "集团"]),
       width=st.booleans())  # fmt: skip
def test_suffix_and_width_never_change_the_key(brand: str, suffix: str, width: bool) -> None:
    # A brand that is itself a legal suffix ("incorporated") is a name of suffixes only, which
    # keeps its plain form by design: not a brand this property is about.
    assume(brand not in names._EN_SUFFIXES)
    name = brand + suffix
    if width:  # the same name typed with a full-width input method
        name = name.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert normalize_company_name(name) == normalize_company_name(brand)
