"""The prediction log: whole JSON lines, file kept open, reopened after rotation."""

from __future__ import annotations

import json

from serving.audit import PredictionLog

PRED = {"entity_id": "c_1", "score": 0.25, "tier": "low", "model": {"name": "m", "version": "2"}}


def _lines(root):
    return [json.loads(line) for p in sorted(root.glob("*.jsonl")) for line in p.open()]


def test_lines_are_flushed_per_request_and_survive_rotation(tmp_path):
    log = PredictionLog(tmp_path / "predictions")
    log.write("churn", [PRED, {"entity_id": "c_2", "error": "unknown"}], request_id="r1",
              latency_ms=1.23456)  # fmt: skip
    first = _lines(tmp_path / "predictions")  # readable before close: flushed
    assert [(x["entity_id"], x["version"], x["latency_ms"]) for x in first] == [
        ("c_1", "2", 1.235)
    ]
    (path,) = (tmp_path / "predictions").glob("churn-*.jsonl")
    path.rename(tmp_path / "rotated.jsonl")  # logrotate moves the file away
    log.write("churn", [PRED], request_id="r2", latency_ms=1.0)
    log.close()
    assert [x["request_id"] for x in _lines(tmp_path / "predictions")] == ["r2"]
    assert json.loads((tmp_path / "rotated.jsonl").read_text())["request_id"] == "r1"


def test_disabled_log_writes_nothing(tmp_path):
    PredictionLog(tmp_path / "p", enabled=False).write("churn", [PRED], request_id="r",
                                                       latency_ms=1.0)  # fmt: skip
    assert not (tmp_path / "p").exists()
