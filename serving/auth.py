"""API keys: ``X-API-Key`` checked against hashed keys in constant time.

Keys come from ``CRMML_API_KEYS`` (comma-separated) or the file named by
``CRMML_API_KEYS_FILE`` (one key per line, ``#`` comments). Only their SHA-256 digests are
kept in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path

from crmml.errors import ConfigError

KEYS_ENV = "CRMML_API_KEYS"
KEYS_FILE_ENV = "CRMML_API_KEYS_FILE"
INSECURE_ENV = "CRMML_INSECURE_NO_AUTH"
OPEN_PATHS = ("/livez", "/readyz")

log = logging.getLogger("crmml.serving")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeys:
    """A set of hashed API keys; :meth:`check` takes the same time whichever key matches."""

    def __init__(self, keys: list[str]):
        self._digests = [_digest(k) for k in keys if k]

    def __len__(self) -> int:
        return len(self._digests)

    @classmethod
    def from_env(cls) -> ApiKeys:
        """Read keys from ``CRMML_API_KEYS`` and ``CRMML_API_KEYS_FILE`` (both may be used)."""
        keys = [k.strip() for k in os.environ.get(KEYS_ENV, "").split(",")]
        path = os.environ.get(KEYS_FILE_ENV)
        if path:
            file = Path(path)
            if not file.is_file():
                raise ConfigError(f"{KEYS_FILE_ENV}={path}: file not found")
            for line in file.read_text(encoding="utf-8").splitlines():
                line = line.split("#", 1)[0].strip()
                keys.append(line)
        return cls([k for k in keys if k])

    def check(self, key: str | None) -> bool:
        if not key:
            return False
        given = _digest(key)
        ok = False
        for digest in self._digests:  # no early exit: timing does not reveal which key
            ok |= hmac.compare_digest(given, digest)
        return ok


def insecure_no_auth() -> bool:
    return os.environ.get(INSECURE_ENV, "").lower() in ("1", "true", "yes")


def load_keys_or_refuse() -> ApiKeys:
    """The configured keys; with none, refuse unless ``--insecure-no-auth`` was given."""
    keys = ApiKeys.from_env()
    if not keys and not insecure_no_auth():
        raise ConfigError(
            f"no API keys configured: set {KEYS_ENV} (comma-separated) or {KEYS_FILE_ENV}, "
            "or start with --insecure-no-auth for a local test"
        )
    if not keys:
        log.warning("!!! AUTH DISABLED (--insecure-no-auth): every request is accepted !!!")
    return keys


class ApiKeyMiddleware:
    """ASGI middleware answering 401 without a valid ``X-API-Key`` (health probes stay open)."""

    def __init__(self, app, open_paths: tuple[str, ...] = OPEN_PATHS):
        self.app = app
        self.open_paths = open_paths
        self.refusal: str | None = None
        try:
            self.keys = load_keys_or_refuse()
        except ConfigError as exc:
            # `crmml serve` refuses to start; a bare `bentoml serve` gets here instead (a
            # raise would only disable the app's lifespan): fail closed, every request 503.
            self.keys, self.refusal = ApiKeys([]), str(exc)
            log.critical("refusing to serve: %s", exc)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.refusal and scope["path"] != "/livez":
            await send_json(send, 503, {"error": "refusing to serve", "detail": self.refusal})
            return
        if scope["type"] != "http" or scope["path"] in self.open_paths or not self.keys:
            await self.app(scope, receive, send)
            return
        key = None
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key":
                key = value.decode("latin-1")
                break
        if self.keys.check(key):
            await self.app(scope, receive, send)
            return
        reason = "missing X-API-Key header" if key is None else "invalid API key"
        await send_json(send, 401, {"error": "unauthorized", "detail": reason})


async def send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    """Answer a request directly from an ASGI middleware."""
    data = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
