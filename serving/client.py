"""A small HTTP client for CRM backends (httpx): ``CrmmlClient(url, api_key).predict(...)``."""

from __future__ import annotations

from typing import Any

import httpx


class CrmmlClientError(Exception):
    """The service refused a request; ``status`` and ``detail`` (the JSON body) say why."""

    def __init__(self, status: int, detail: Any):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class CrmmlClient:
    """Call a running ``crmml serve``.

    Parameters
    ----------
    base_url : e.g. ``http://127.0.0.1:3000``.
    api_key : sent as ``X-API-Key``.
    timeout : seconds per request.
    """

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 10.0):
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> CrmmlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, task: str, body: dict) -> list[dict]:
        resp = self._http.post(f"/predict/{task}", json=body)
        if resp.status_code != 200:
            raise CrmmlClientError(resp.status_code, _json(resp))
        return resp.json()["predictions"]

    def predict(self, task: str, records: list[dict], *, explain: bool = True) -> list[dict]:
        """Score feature records (each with ``entity_id``); predictions in the same order."""
        return self._post(task, {"records": records, "explain": explain})

    def predict_entities(
        self, task: str, entity_ids: list[str], *, explain: bool = True
    ) -> list[dict]:
        """Score customers by id from the server's scoring set (unknown ids get an error)."""
        return self._post(task, {"entity_ids": entity_ids, "explain": explain})

    def models(self) -> dict:
        """The served models (name, version, approval, training as_of, report)."""
        resp = self._http.get("/models")
        if resp.status_code != 200:
            raise CrmmlClientError(resp.status_code, _json(resp))
        return resp.json()

    def ready(self) -> bool:
        """``/readyz`` answers 200 (at least one champion loaded)."""
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text
