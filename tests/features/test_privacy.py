import hashlib
import hmac
import os
import stat

import pandas as pd
import pytest

from features.privacy import KEY_ENV, KEY_FILE, PSEUDONYM_CHARS, load_key, pseudonymize


def test_pseudonyms_stable_with_same_key_and_differ_with_another():
    ids = pd.Series(["C1", "C2", "C1", None], dtype="string")
    a = pseudonymize(ids, key=b"key-1")
    assert a.equals(pseudonymize(ids.copy(), key=b"key-1"))
    b = pseudonymize(ids, key=b"key-2")
    assert (a.iloc[:3] != b.iloc[:3]).all()
    assert a.iloc[0] == a.iloc[2] and a.iloc[0] != a.iloc[1]
    assert pd.isna(a.iloc[3])
    assert len(a.iloc[0]) == PSEUDONYM_CHARS and "C1" not in a.iloc[0]
    assert pd.api.types.is_string_dtype(a)


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"y" * 65, bytes(range(32)).hex().encode()])
def test_pseudonyms_are_the_standard_hmac_sha256(key: bytes):
    # The pads are precomputed for speed; the result must stay the textbook HMAC, so ids
    # pseudonymised by earlier versions keep their pseudonyms.
    ids = pd.Series(["C1", "客户-7", "x" * 200], dtype="string")
    expected = [hmac.new(key, i.encode("utf-8"), hashlib.sha256).hexdigest() for i in ids]
    got = pseudonymize(ids, key=key, kind="customer")
    assert list(got) == ["c_" + e[:PSEUDONYM_CHARS] for e in expected]


def test_kind_prefix_keeps_customers_and_leads_apart():
    ids = pd.Series(["7"], dtype="string")
    c = pseudonymize(ids, key=b"k", kind="customer").iloc[0]
    lead = pseudonymize(ids, key=b"k", kind="lead").iloc[0]
    assert c.startswith("c_") and lead.startswith("l_") and c[2:] == lead[2:]


def test_many_ids_keep_index_order_and_uniqueness():
    # More ids than one chunk of hashing (65,536), so the chunks must join in order.
    ids = pd.Series([f"id{i}" for i in range(70_000)], index=range(5, 70_005), dtype="string")
    out = pseudonymize(ids, key=b"k")
    assert out.index.equals(ids.index) and out.nunique() == len(ids)
    for pos in (0, 65_535, 65_536, 69_999):
        assert out.iloc[pos] == pseudonymize(ids.iloc[pos : pos + 1], key=b"k").iloc[0]


def test_load_key_prefers_env(monkeypatch, tmp_path):
    monkeypatch.setenv("CRMML_HOME", str(tmp_path))
    monkeypatch.setenv(KEY_ENV, "from-env")
    assert load_key() == b"from-env"
    assert not (tmp_path / KEY_FILE).exists()


def test_key_file_created_0600_once_and_reused(monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("CRMML_HOME", str(home))
    monkeypatch.delenv(KEY_ENV, raising=False)
    key = load_key()
    path = home / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64  # 32 random bytes, hex
    assert load_key() == key
    assert [p.name for p in home.iterdir()] == [KEY_FILE]  # no temp file left behind


def test_wide_key_file_permissions_warn(monkeypatch, tmp_path):
    monkeypatch.setenv("CRMML_HOME", str(tmp_path))
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / KEY_FILE
    path.write_text("abc\n")
    os.chmod(path, 0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        assert load_key() == b"abc"


def test_distinct_ids_hash_like_any_others():
    ids = pd.Series(["C1", "客户-7", "C3"], index=[4, 5, 6], dtype=object)
    out = pseudonymize(ids, key=b"k", kind="customer", distinct=True)
    assert out.equals(pseudonymize(ids, key=b"k", kind="customer"))
