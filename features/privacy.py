"""Pseudonymous entity ids: keyed HMAC-SHA256 of the canonical id.

The key stays with the operator (env ``CRMML_PSEUDONYM_KEY`` or ``$CRMML_HOME/pseudonym.key``),
so a training set or a model artifact cannot be linked back to raw CRM ids without it, while the
same key gives the same pseudonym in every run (training rows and scoring rows line up).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from crmml.errors import ConfigError
from crmml.paths import crmml_home

KEY_ENV = "CRMML_PSEUDONYM_KEY"
KEY_FILE = "pseudonym.key"
PSEUDONYM_CHARS = 24
PREFIXES = {"customer": "c_", "lead": "l_"}


def pseudonymize(
    ids: pd.Series, *, key: bytes, kind: str | None = None, distinct: bool = False
) -> pd.Series:
    """Keyed pseudonyms of ``ids`` (hex HMAC-SHA256, 24 chars), same index, string dtype.

    Parameters
    ----------
    ids : raw or canonical ids; missing ids stay missing.
    key : the secret key (see :func:`load_key`).
    kind : ``customer`` or ``lead`` adds a ``c_`` / ``l_`` prefix, so the two never collide.
    distinct : the caller knows the ids are distinct and none is missing (an entity index):
        they are hashed as they are, without first finding the distinct ones.

    Each distinct id is hashed once, so a million rows over fewer entities stay cheap.
    """
    if not key:
        raise ConfigError("pseudonym key is empty")
    prefix = PREFIXES.get(kind or "", "")
    if ids.dtype == object:  # plain Python strings: no Arrow round trip
        values = ids.to_numpy(dtype=object)
    else:
        values = ids.astype("string").to_numpy(dtype=object, na_value=None)
    if distinct:
        codes, uniq = None, values
    else:
        codes, uniq = pd.factorize(np.where(pd.isna(values), None, values))  # missing: -1
    inner, outer = _hmac_pads(key)

    def pseudonym(raw: object) -> str:
        h = inner.copy()
        h.update(str(raw).encode("utf-8"))
        o = outer.copy()
        o.update(h.digest())
        return prefix + o.hexdigest()[:PSEUDONYM_CHARS]

    hashed = _mapped_strings(pseudonym, uniq)
    out = hashed if codes is None else hashed.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(out, dtype="string"), index=ids.index)


_CHUNK = 65_536


def _mapped_strings(fn, values: np.ndarray) -> pa.Array:
    """``fn`` of each value as one Arrow string array, built a chunk of values at a time: the
    Python strings of one chunk are freed before the next is made, so a million pseudonyms
    reuse a few MB of interpreter memory instead of taking 150 MB of fresh pages."""
    chunks = [
        pa.array([fn(v) for v in values[i : i + _CHUNK]], type=pa.large_string())
        for i in range(0, len(values), _CHUNK)
    ]
    return pa.concat_arrays(chunks) if chunks else pa.array([], type=pa.large_string())


def _hmac_pads(key: bytes):
    """SHA-256 states after the HMAC inner and outer key pads (RFC 2104).

    Copying two plain hash states per id gives ``hmac.new(key, id, sha256)`` exactly, about
    1.5x faster than copying an ``hmac`` object: millions of ids are hashed per build.
    """
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def load_key() -> bytes:
    """The pseudonym key: env ``CRMML_PSEUDONYM_KEY``, else ``$CRMML_HOME/pseudonym.key``.

    The file is created on first use (32 random bytes, hex, mode 0600, written atomically so
    two first runs never see a half-written key). A key file readable by others is used but
    warned about.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = crmml_home() / KEY_FILE
    if not path.exists():
        _create_key(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        warnings.warn(
            f"{path}: pseudonym key file has permissions {oct(mode)}, expected 0o600 "
            f"(run: chmod 600 {path})",
            stacklevel=2,
        )
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ConfigError(f"{path}: pseudonym key file is empty (delete it to create a new key)")
    return text.encode("utf-8")


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_bytes(32).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            # link() fails if another process created the key meanwhile: keep theirs.
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
