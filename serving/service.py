"""The BentoML service: ``/predict/<task>``, ``GET /models``, ``/livez``, ``/readyz``, metrics.

Small on purpose: request parsing, size and auth live in ASGI middlewares (``limits``,
``auth``), scoring in :class:`serving.Scorer`, model loading and the alias swap in
:class:`serving.registry_watch.ChampionWatcher`. Settings come from the environment that
``crmml serve`` sets (``CRMML_SERVING_CONFIG``, ``CRMML_SCORING_DIR``, API keys).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import bentoml
import orjson
from fastapi import FastAPI
from starlette.responses import JSONResponse

from serving.auth import ApiKeyMiddleware
from serving.limits import BODY_KEY, BodyLimitMiddleware

log = logging.getLogger("crmml.serving")
SCORING_DIR_ENV = "CRMML_SCORING_DIR"

_views = FastAPI(title="crmml", docs_url=None, redoc_url=None, openapi_url=None)
# Exposed on /metrics next to BentoML's own; labels carry versions, never customer data.
_PREDICTIONS = bentoml.metrics.Counter(
    name="crmml_predictions",
    documentation="Predictions served, by task and model version",
    labelnames=["task", "model_version"],
)
_REFUSED = bentoml.metrics.Counter(
    name="crmml_refused_requests",
    documentation="Prediction requests answered 4xx/5xx, by task and status",
    labelnames=["task", "status"],
)


class _Json(JSONResponse):
    """A JSON response rendered by orjson (1,000 predictions: ~1 ms instead of ~5 ms)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, error: str, detail: Any) -> _Json:
    return _Json({"error": error, "detail": detail}, status_code=status)


@bentoml.service(name="crmml", traffic={"timeout": 60})
@bentoml.asgi_app(_views, path="/")
class CrmmlService:
    """Serves each task's ``crm-<task>@champion`` and follows the alias when it moves."""

    def __init__(self) -> None:
        _setup_logging()
        # Models are data (JSON + LightGBM text): refuse anything that would unpickle.
        os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        from crmml.paths import default_tracking_uri
        from serving.audit import PredictionLog
        from serving.bundle import find_bundle, load_bundle
        from serving.config import load_serving_config
        from serving.entities import ScoringSetStore
        from serving.registry_watch import ChampionWatcher

        self.cfg = load_serving_config()
        self.watcher = ChampionWatcher(self.cfg, tracking_uri=default_tracking_uri())
        bundle = find_bundle()
        if bundle is not None:
            self.watcher.seed(load_bundle(self.cfg, bundle))
            for task in self.watcher.not_served:
                self.watcher.not_served[task] = f"not in the bundle {bundle}"
        if bundle is None or os.environ.get("MLFLOW_TRACKING_URI"):
            # A bento without a registry serves its bundle; with one, it follows the alias.
            self.watcher.refresh()
            self.watcher.start()
        scoring_dir = os.environ.get(SCORING_DIR_ENV)
        self.entities = ScoringSetStore(Path(scoring_dir)) if scoring_dir else None
        self.audit = PredictionLog(enabled=self.cfg.log_predictions)
        self._scoring = anyio.CapacityLimiter(1)  # one scoring thread per worker, as BentoML's
        for task, reason in self.watcher.not_served.items():
            log.warning("task %s not served: %s", task, reason)
        from serving.heap import settle

        settle()  # start-up objects out of every later GC pass (see serving.heap)

    @bentoml.on_shutdown
    def _stop(self) -> None:
        self.watcher.stop()
        self.audit.close()

    def __is_ready__(self) -> bool:
        return bool(self.watcher.champions())

    # -- prediction ----------------------------------------------------------------------
    @bentoml.api(route="/predict/churn")
    async def predict_churn(self, ctx: bentoml.Context):
        """Score churn: body ``{"records": [...]}`` or ``{"entity_ids": [...]}``."""
        return await self._dispatch("churn", ctx)

    @bentoml.api(route="/predict/repurchase")
    async def predict_repurchase(self, ctx: bentoml.Context):
        """Score repurchase: body ``{"records": [...]}`` or ``{"entity_ids": [...]}``."""
        return await self._dispatch("repurchase", ctx)

    @bentoml.api(route="/predict/lead_score")
    async def predict_lead_score(self, ctx: bentoml.Context):
        """Score leads: ``records``, ``entity_ids`` or raw CRM lead rows (``leads``)."""
        return await self._dispatch("lead_score", ctx)

    async def _dispatch(self, task: str, ctx: bentoml.Context) -> _Json:
        """Answer a quick request on the event loop, anything longer on the scoring thread.

        A one-record score takes ~0.2 ms (~1 ms with reasons): handing it to a thread and
        back costs more than that, and under 16 connections the hand-offs queued behind the
        GIL made the p99 tail. A request that may take longer (many records, entity ids read
        from the scoring set, raw leads) goes to one scoring thread so the loop stays free.
        """
        if _quick(ctx.request.scope.get(BODY_KEY)):
            return self._predict(task, ctx)
        return await anyio.to_thread.run_sync(self._predict, task, ctx, limiter=self._scoring)

    def _predict(self, task: str, ctx: bentoml.Context) -> _Json:
        response = self._answer(task, ctx)
        ctx.response.status_code = response.status_code  # BentoML copies it over ours
        if response.status_code != 200:
            _REFUSED.labels(task=task, status=str(response.status_code)).inc()
        return response

    def _answer(self, task: str, ctx: bentoml.Context) -> _Json:
        from serving.validation import RequestInvalid

        start = time.perf_counter()
        scope = ctx.request.scope
        request_id = str(scope.get("request_id") or uuid.uuid4().hex)
        body = scope.get(BODY_KEY)
        if not isinstance(body, dict):
            return _error(422, "invalid request", [_problem(None, "expected a JSON object")])
        champion = self.watcher.get(task)  # one reference for the whole request
        if champion is None:
            reason = self.watcher.not_served.get(task, "task not configured")
            return _error(503, "task not served", f"{task}: {reason}")
        explain = body.get("explain", True)
        if not isinstance(explain, bool):
            return _error(422, "invalid request", [_problem("explain", "expected true or false")])
        try:
            if "records" in body:
                predictions = champion.scorer.score_records(body["records"], explain=explain)
                logged = predictions
            elif "entity_ids" in body:
                predictions, logged = self._by_entity(task, champion, body["entity_ids"], explain)
            elif "leads" in body and task == "lead_score":
                predictions, logged = self._by_lead(champion, body["leads"], explain)
            else:
                return _error(
                    422,
                    "invalid request",
                    [_problem(None, 'expected "records", "entity_ids" or (lead_score) "leads"')],
                )
        except RequestInvalid as exc:
            log.info("request %s: %s invalid (%d problems)", request_id, task, len(exc.problems))
            return _error(422, "invalid request", [p.as_dict() for p in exc.problems])
        except Exception as exc:  # a bug must not leak data or a traceback to the client
            from crmml.errors import CrmmlError

            if isinstance(exc, CrmmlError):
                return _error(422, "invalid request", [_problem(None, str(exc))])
            log.exception("request %s: %s scoring failed", request_id, task)
            return _error(500, "internal error", f"see server log, request id {request_id}")
        latency_ms = (time.perf_counter() - start) * 1000
        _PREDICTIONS.labels(task=task, model_version=champion.version).inc(len(logged))
        try:
            self.audit.write(task, logged, request_id=request_id, latency_ms=latency_ms)
        except OSError as exc:
            log.error("request %s: prediction log not written (%s)", request_id, exc)
        # Each prediction is in the prediction log and BentoML logs each request: debug only.
        log.debug(
            "request %s: %s %d record(s) by %s v%s in %.1f ms",
            request_id,
            task,
            len(predictions),
            champion.name,
            champion.version,
            latency_ms,
        )
        return _Json({"predictions": predictions}, headers={"X-Request-ID": request_id})

    def _by_entity(self, task, champion, ids, explain):
        from serving.validation import Problem, RequestInvalid

        if self.entities is None:
            raise RequestInvalid(
                [
                    Problem(
                        None, "entity_ids", "no scoring set: start crmml serve --scoring-dir DIR"
                    )
                ]
            )
        if (
            not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids)
        ):
            raise RequestInvalid([Problem(None, "entity_ids", "expected a non-empty id list")])
        if len(ids) > self.cfg.max_records:
            raise RequestInvalid(
                [Problem(None, "entity_ids", f"{len(ids)} ids, at most {self.cfg.max_records}")]
            )
        records, version = self.entities.records(task, ids)
        wanted = champion.scorer.feature_version
        if version and wanted and version != wanted:
            raise RequestInvalid(
                [
                    Problem(
                        None,
                        "entity_ids",
                        (
                            f"the scoring set was built by feature version {version!r}, the model "
                            f"{champion.name} v{champion.version} needs {wanted!r}: "
                            "rerun crmml features"
                        ),
                    )
                ]
            )
        return _merge(champion, ids, records, explain=explain, missing="unknown entity")

    def _by_lead(self, champion, rows, explain):
        from serving.leads import lead_records
        from serving.validation import Problem, RequestInvalid

        ids, records, version = lead_records(rows, max_records=self.cfg.max_records)
        wanted = champion.scorer.feature_version
        if wanted and version != wanted:
            raise RequestInvalid(
                [
                    Problem(
                        None,
                        "leads",
                        (
                            f"this server's feature code is version {version!r}, the model "
                            f"{champion.name} v{champion.version} needs {wanted!r}"
                        ),
                    )
                ]
            )
        return _merge(
            champion,
            ids,
            records,
            explain=explain,
            missing="not an open lead at created_at: not scored",
        )

    # -- model info ----------------------------------------------------------------------
    @_views.get("/models")
    def models(self) -> dict:
        """Served models: name, version, approval, training as_of, report link."""
        served = {t: c.info for t, c in self.watcher.champions().items()}
        return {"served": served, "not_served": dict(self.watcher.not_served)}


def _merge(champion, ids, records, *, explain: bool, missing: str):
    """Score the found records; answer each id in order (an error entry where none)."""
    found = [r for r in records if r is not None]
    scored = iter(champion.scorer.score_records(found, explain=explain) if found else [])
    out, logged = [], []
    for given, rec in zip(ids, records, strict=True):
        if rec is None:
            out.append(
                {"entity_id": str(given), "error": missing, "model": champion.scorer.model_ref}
            )
            continue
        pred = next(scored)
        logged.append(pred)  # the log keeps the pseudonym; the caller gets its own id back
        out.append({**pred, "entity_id": str(given)})
    return out, logged


# Estimated cost of a request kept on the event loop (ms); one record with reasons is ~1.
_QUICK_MS = 3.0


def _quick(body: Any) -> bool:
    """Whether ``body`` is a small ``records`` request, cheap enough for the event loop."""
    if not isinstance(body, dict) or not isinstance(records := body.get("records"), list):
        return False
    per_record = 1.0 if body.get("explain", True) is not False else 0.05
    return len(records) * per_record <= _QUICK_MS


def _setup_logging() -> None:
    # BentoML configures its own loggers only; ours would be silent without a handler.
    logger = logging.getLogger("crmml")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s [%(levelname)s] [%(name)s] %(message)s")
        )
        logger.addHandler(handler)
        logger.setLevel(os.environ.get("CRMML_LOG_LEVEL", "INFO"))


def _problem(field: str | None, reason: str) -> dict:
    return {"record": None, "field": field, "reason": reason}


# Auth first (outermost): an unauthenticated body is never read or parsed.
CrmmlService.add_asgi_middleware(ApiKeyMiddleware)
CrmmlService.add_asgi_middleware(BodyLimitMiddleware)
