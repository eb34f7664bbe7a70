import asyncio

import pytest

from crmml.errors import ConfigError
from serving.auth import ApiKeyMiddleware, ApiKeys, load_keys_or_refuse


def test_keys_are_hashed_and_checked(monkeypatch, tmp_path):
    keys = ApiKeys(["alpha", "beta"])
    assert keys.check("beta") and not keys.check("gamma") and not keys.check(None)
    assert b"alpha" not in b"".join(keys._digests)
    file = tmp_path / "keys.txt"
    file.write_text("# ops keys\nfrom-file\n\n", encoding="utf-8")
    monkeypatch.setenv("CRMML_API_KEYS", " one , two ")
    monkeypatch.setenv("CRMML_API_KEYS_FILE", str(file))
    loaded = ApiKeys.from_env()
    assert len(loaded) == 3 and loaded.check("two") and loaded.check("from-file")


def test_no_keys_refuses_unless_insecure(monkeypatch, tmp_path):
    monkeypatch.delenv("CRMML_API_KEYS", raising=False)
    monkeypatch.delenv("CRMML_API_KEYS_FILE", raising=False)
    monkeypatch.delenv("CRMML_INSECURE_NO_AUTH", raising=False)
    with pytest.raises(ConfigError, match="no API keys configured"):
        load_keys_or_refuse()
    monkeypatch.setenv("CRMML_API_KEYS_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="file not found"):
        load_keys_or_refuse()
    monkeypatch.delenv("CRMML_API_KEYS_FILE")
    monkeypatch.setenv("CRMML_INSECURE_NO_AUTH", "1")
    assert len(load_keys_or_refuse()) == 0


def _call(app, path: str, headers: list) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "GET", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent


def test_middleware_401_and_open_probes(monkeypatch):
    monkeypatch.setenv("CRMML_API_KEYS", "k")

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})

    app = ApiKeyMiddleware(ok)
    assert _call(app, "/models", [])[0]["status"] == 401
    assert _call(app, "/models", [(b"x-api-key", b"bad")])[0]["status"] == 401
    assert _call(app, "/models", [(b"x-api-key", b"k")])[0]["status"] == 200
    assert _call(app, "/livez", [])[0]["status"] == 200
    assert _call(app, "/readyz", [])[0]["status"] == 200


def test_middleware_without_keys_fails_closed(monkeypatch):
    for name in ("CRMML_API_KEYS", "CRMML_API_KEYS_FILE", "CRMML_INSECURE_NO_AUTH"):
        monkeypatch.delenv(name, raising=False)

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})

    app = ApiKeyMiddleware(ok)
    assert _call(app, "/predict/churn", [(b"x-api-key", b"k")])[0]["status"] == 503
    assert _call(app, "/readyz", [])[0]["status"] == 503
    assert _call(app, "/livez", [])[0]["status"] == 200
