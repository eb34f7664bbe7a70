"""Fake company and person names, emails and phone numbers, assembled from syllable lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.sample import vocab
from features.sample.timeline import pick

_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTWXYZ"))


def company_parts(
    rng: np.random.Generator, industry: np.ndarray, city: np.ndarray
) -> pd.DataFrame:
    """Name parts of one company per row (brand, industry word, suffix), Chinese and English.

    ``industry`` and ``city`` are indices into :data:`vocab.INDUSTRIES` and
    :data:`vocab.CITIES`. The parts let :mod:`features.sample.mess` spell duplicates differently.
    """
    n = len(industry)
    syl_zh = np.array([s for s, _ in vocab.BRAND_SYLLABLES])
    syl_en = np.array([p for _, p in vocab.BRAND_SYLLABLES])
    a, b, c = (rng.integers(0, len(syl_zh), n) for _ in range(3))
    three = rng.random(n) < 0.3
    brand_zh = np.strings.add(np.strings.add(syl_zh[a], syl_zh[b]), np.where(three, syl_zh[c], ""))
    brand_en = np.strings.add(
        np.strings.add(syl_en[a], np.strings.lower(syl_en[b])),
        np.where(three, np.strings.lower(syl_en[c]), ""),
    )
    # About one company in ten uses a Latin acronym brand, e.g. "KTX科技有限公司".
    latin = rng.random(n) < 0.1
    acronym = np.strings.add(
        np.strings.add(_LETTERS[rng.integers(0, 21, n)], _LETTERS[rng.integers(0, 21, n)]),
        np.where(rng.random(n) < 0.6, _LETTERS[rng.integers(0, 21, n)], ""),
    )
    brand_zh = np.where(latin, acronym, brand_zh)
    brand_en = np.where(latin, acronym, brand_en)

    n_words = np.array([len(words) for _, words, _ in vocab.INDUSTRIES])
    word_i = (rng.random(n) * n_words[industry]).astype(int)
    word_zh = np.array(
        [w[k][0] if k < len(w) else "" for _, w, _ in vocab.INDUSTRIES for k in range(3)]
    )
    word_en = np.array(
        [w[k][1] if k < len(w) else "" for _, w, _ in vocab.INDUSTRIES for k in range(3)]
    )
    flat = industry * 3 + word_i
    suffix = pick(rng, n, np.array([0.7, 0.22, 0.08]))
    suf_zh = np.array([s for s, _ in vocab.SUFFIXES])[suffix]
    suf_en = np.array([s for _, s in vocab.SUFFIXES])[suffix]
    city_zh = np.array([c for _, c, _ in vocab.CITIES])[city]
    city_en = np.array([e for _, _, e in vocab.CITIES])[city]
    parts = pd.DataFrame(
        {
            "brand_zh": brand_zh,
            "brand_en": brand_en,
            "latin": latin,
            "word_zh": word_zh[flat],
            "word_en": word_en[flat],
            "suffix_zh": suf_zh,
            "suffix_en": suf_en,
            "city_zh": city_zh,
            "city_en": city_en,
        }
    )
    for col in parts.columns.drop("latin"):
        parts[col] = parts[col].astype(object)
    return parts


def company_name(parts: pd.DataFrame) -> pd.Series:
    """The registered (canonical) name, e.g. ``华信科技有限公司``."""
    return parts["brand_zh"] + parts["word_zh"] + parts["suffix_zh"]


def person_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Chinese full names and the pinyin used for their e-mail (``wei.wang``)."""
    sur = rng.integers(0, len(vocab.SURNAMES), n)
    g1 = rng.integers(0, len(vocab.GIVEN), n)
    g2 = rng.integers(0, len(vocab.GIVEN), n)
    two = rng.random(n) < 0.6
    sur_zh = np.array([s for s, _ in vocab.SURNAMES])[sur]
    sur_en = np.strings.lower(np.array([p for _, p in vocab.SURNAMES])[sur])
    giv_zh = np.array([s for s, _ in vocab.GIVEN])
    giv_en = np.strings.lower(np.array([p for _, p in vocab.GIVEN]))
    full = np.strings.add(sur_zh, np.strings.add(giv_zh[g1], np.where(two, giv_zh[g2], "")))
    given_py = np.strings.add(giv_en[g1], np.where(two, giv_en[g2], ""))
    return full.astype(object), np.strings.add(np.strings.add(given_py, "."), sur_en)


def emails(rng: np.random.Generator, login: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """Addresses under ``<company>.example.com``, a domain nobody can receive mail at."""
    n = len(login)
    num = np.where(rng.random(n) < 0.3, rng.integers(1, 99, n).astype(str), "")
    user = np.strings.add(login, num)
    host = np.strings.add(np.strings.lower(domain.astype(str)), ".example.com")
    return np.strings.add(np.strings.add(user, "@"), host).astype(object)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Eleven-digit numbers starting ``100`` (not a mobile prefix in China), in mixed formats."""
    a = rng.integers(0, 10_000, n)
    b = rng.integers(0, 10_000, n)
    a4 = np.strings.zfill(a.astype(str), 4)
    b4 = np.strings.zfill(b.astype(str), 4)
    plain = np.strings.add(np.strings.add("100", a4), b4)
    dashed = np.strings.add(np.strings.add(np.strings.add("100-", a4), "-"), b4)
    intl = np.strings.add(np.strings.add(np.strings.add("+86 100 ", a4), " "), b4)
    style = rng.integers(0, 3, n)
    return np.select([style == 0, style == 1], [plain, dashed], intl).astype(object)


def titles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Job titles (Chinese and English mixed) and their seniority (2 exec, 1 manager, 0 staff)."""
    i = pick(rng, n, vocab.TITLE_WEIGHTS)
    names = np.array([t for t, _ in vocab.TITLES], dtype=object)
    level = np.array([s for _, s in vocab.TITLES])
    return names[i], level[i]


def firmographics(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Region, city, industry and size indices of ``n`` companies."""
    region = pick(rng, n, vocab.weights(vocab.REGIONS))
    city_region = np.array([r for r, _, _ in vocab.CITIES])
    first = np.searchsorted(city_region, region)
    count = np.bincount(city_region)[region]
    city = first + (rng.random(n) ** 1.6 * count).astype(int)  # big cities come first
    industry = pick(rng, n, vocab.weights(vocab.INDUSTRIES))
    size = pick(rng, n, vocab.SIZE_WEIGHTS)
    return {"region": region, "city": city, "industry": industry, "size": size}


def make_ids(prefix: str, n: int, *, start: int = 1, width: int = 6) -> np.ndarray:
    """Zero-padded ids ``<prefix>000001``.. (wider when the numbers need it)."""
    width = max(width, len(str(n + start)))
    if n == 0:
        return np.empty(0, dtype=object)
    nums = np.strings.zfill(np.arange(start, n + start).astype(str), width)
    return np.strings.add(prefix, nums).astype(object)


def owner_ids(i: np.ndarray) -> np.ndarray:
    """Sales rep ids ``U001``.. from indices."""
    return np.strings.add("U", np.strings.zfill((i + 1).astype(str), 3)).astype(object)


def make_unique(rng: np.random.Generator, parts: pd.DataFrame, *, frozen: int = 0) -> None:
    """Give every company its own brand + industry word (in place).

    Two companies called 泰飞餐饮有限公司 would be one company to any reader, so colliding rows
    get a fresh three-syllable brand. The first ``frozen`` rows keep theirs.
    """
    syl_zh = np.array([s for s, _ in vocab.BRAND_SYLLABLES])
    syl_en = np.array([p for _, p in vocab.BRAND_SYLLABLES])
    for _ in range(50):
        dup = (parts["brand_zh"] + parts["word_zh"]).duplicated(keep="first").to_numpy().copy()
        dup[:frozen] = False
        k = int(dup.sum())
        if k == 0:
            return
        a, b, c = (rng.integers(0, len(syl_zh), k) for _ in range(3))
        zh = np.strings.add(np.strings.add(syl_zh[a], syl_zh[b]), syl_zh[c])
        en = np.strings.add(
            np.strings.add(syl_en[a], np.strings.lower(syl_en[b])), np.strings.lower(syl_en[c])
        )
        parts.loc[dup, "brand_zh"] = zh.astype(object)
        parts.loc[dup, "brand_en"] = en.astype(object)
        parts.loc[dup, "latin"] = False
