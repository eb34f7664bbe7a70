"""Schemathesis over the real server's OpenAPI (``/docs.json``): no request gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from tests.serving.conftest import KEY, Server, server_env
from tests.serving.registry_fixture import register

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def served_all(store):
    """One server with a champion for every task, so no endpoint answers 503 by design."""
    tmp, uri = store
    register(uri, task="churn", seed=0)
    register(uri, task="repurchase", family="tree", seed=1)
    register(uri, task="lead_score", family="scorecard", seed=2)
    server = Server([], server_env(tmp, uri, CRMML_API_KEYS=KEY), tmp / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(served_all):
    # BentoML 1.4 publishes the OpenAPI at /docs.json (behind the API key, like /models).
    return schemathesis.openapi.from_url(
        f"{served_all.url}/docs.json", headers={"X-API-Key": KEY}, timeout=30
    )


# Each operation's cases are drawn with ``as_strategy`` inside one test rather than with
# ``schemathesis.pytest.from_fixture(...).parametrize()``: its lazy loader sets
# ``node._nodeid``, which pytest 9 no longer has.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(served_all, api_schema, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"POST /predict/churn", "GET /models", "GET /readyz"} <= labels, labels
    if mode is GenerationMode.NEGATIVE:  # a GET without parameters has no invalid input
        operations = [op for op in operations if _has_input(op)]
        assert any(op.label == "POST /predict/churn" for op in operations)
    failures: dict[str, str] = {}
    for operation in operations:

        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,  # the same cases each run: a failure here is reproducible
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            response = case.call(base_url=served_all.url, headers={"X-API-Key": KEY}, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            check()
        # Collect every operation's failure, then report them all. Schemathesis raises a
        # FailureGroup, a BaseExceptionGroup (not an Exception).
        except (Exception, FailureGroup) as exc:
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items()) + (
        f"\n\nserver log:\n{served_all.text()[-3000:]}"
    )


def _has_input(operation) -> bool:
    parts = ("body", "query", "headers", "path_parameters", "cookies")
    return any(len(getattr(operation, part)) for part in parts)
