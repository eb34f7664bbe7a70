"""Request guard: body size limit (413), content types (415) and JSON parsing (422).

BentoML 1.4 has no request size limit and answers a malformed body with 400 (and a 422 body
that is not JSON), so the prediction routes are parsed here: the middleware reads the body up
to the limit (Content-Length first, then the streamed size), parses it once and hands the
object to the API method through the ASGI scope.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from serving.auth import send_json
from serving.config import load_serving_config

BODY_KEY = "crmml.body"
PREDICT_PREFIX = "/predict/"


class BodyLimitMiddleware:
    """ASGI middleware; ``max_body_bytes`` defaults to the serving config's."""

    def __init__(self, app, max_body_bytes: int | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes or load_serving_config().max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        ctype = headers.get(b"content-type", b"").decode("latin-1").lower()
        if "pickle" in ctype:
            await send_json(send, 415, {"error": "unsupported media type", "detail": ctype})
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _too_large(send, self.max_body_bytes)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(PREDICT_PREFIX) and ctype and "json" not in ctype:
            await send_json(
                send, 415, {"error": "unsupported media type", "detail": "send application/json"}
            )
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _too_large(send, self.max_body_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if scope["path"].startswith(PREDICT_PREFIX):
            parsed, problem = parse_body(body)
            if problem:
                await send_json(send, 422, {"error": "invalid request", "detail": [problem]})
                return
            scope[BODY_KEY] = parsed
            body = b"{}"  # the API method reads the parsed body; BentoML parses a trivial one
            scope["headers"] = [
                (k, v) for k, v in scope.get("headers", ()) if k != b"content-length"
            ] + [(b"content-length", b"2")]

        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def parse_body(body: bytes) -> tuple[Any, dict | None]:
    """The JSON object of a prediction request, or a problem ``{"record", "field", "reason"}``."""
    try:
        parsed = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        # orjson refuses NaN and integers beyond 64 bits; json reads them, so validation can
        # name the record and field instead of calling the whole body invalid.
        try:
            parsed = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return None, {
                "record": None,
                "field": None,
                "reason": f"body is not valid JSON: {exc}",
            }
    if not isinstance(parsed, dict):
        return None, {
            "record": None,
            "field": None,
            "reason": 'expected a JSON object such as {"records": [...]}',
        }
    return parsed, None


async def _too_large(send, limit: int) -> None:
    await send_json(
        send, 413, {"error": "request body too large", "detail": f"limit is {limit} bytes"}
    )
