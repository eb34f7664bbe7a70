import asyncio
import json

from serving.limits import BODY_KEY, BodyLimitMiddleware, parse_body


def _run(path: str, chunks: list[bytes], headers: list, limit: int = 100):
    seen: dict = {}
    sent: list[dict] = []

    async def app(scope, receive, send):
        seen["body"] = (await receive())["body"]
        seen["parsed"] = scope.get(BODY_KEY)
        await send({"type": "http.response.start", "status": 200, "headers": []})

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": headers}
    asyncio.run(BodyLimitMiddleware(app, max_body_bytes=limit)(scope, receive, send))
    return sent[0]["status"], seen, sent


JSON = [(b"content-type", b"application/json")]


def test_parsed_body_reaches_the_api_once():
    status, seen, _ = _run("/predict/churn", [b'{"records":', b" [1]}"], JSON)
    assert status == 200 and seen["parsed"] == {"records": [1]} and seen["body"] == b"{}"


def test_413_by_content_length_and_by_streamed_size():
    status, seen, sent = _run("/predict/churn", [b"x"], [*JSON, (b"content-length", b"101")])
    assert status == 413 and not seen
    assert "limit is 100 bytes" in json.loads(sent[1]["body"])["detail"]
    status, seen, _ = _run("/predict/churn", [b"x" * 60, b"x" * 60], JSON)
    assert status == 413 and not seen


def test_415_and_422():
    assert _run("/predict/churn", [b"{}"], [(b"content-type", b"text/csv")])[0] == 415
    pickle = [(b"content-type", b"application/vnd.bentoml+pickle")]
    assert _run("/anything", [b"{}"], pickle)[0] == 415
    status, _, sent = _run("/predict/churn", [b"{oops"], JSON)
    assert status == 422
    assert json.loads(sent[1]["body"])["detail"][0]["reason"].startswith("body is not valid")


def test_other_routes_pass_the_body_through():
    status, seen, _ = _run("/other", [b"raw"], JSON)
    assert status == 200 and seen["body"] == b"raw" and seen["parsed"] is None


def test_parse_body_requires_an_object():
    assert parse_body(b'{"a": 1}') == ({"a": 1}, None)
    assert parse_body(b"[1]")[1]["reason"].startswith("expected a JSON object")
    assert parse_body(b"")[1] is not None
