"""serving.score_job: crmml score with a head start from the version used last time.

A real SQLite registry; the alias is moved, a version re-tagged and the kept copy damaged
between runs, and every output is compared with a plain score of the registry's version.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from crmml.errors import CrmmlError
from serving.config import ServingConfig
from serving.model_cache import recall
from serving.score_job import ScoreRequest, score_with_registry
from tests.serving.registry_fixture import frame, register


@pytest.fixture(scope="module")
def moving(tmp_path_factory) -> str:
    """A registry of its own: these tests move its alias."""
    tmp = tmp_path_factory.mktemp("moving-registry")
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    register(uri, task="churn", seed=0)
    return uri


def _run(uri: str, tmp: Path, out: str, **kw):
    src = tmp / "in.parquet"
    if not src.is_file():
        frame(n=50, seed=3)[0].to_parquet(src, index=False)
    req = ScoreRequest(task="churn", input=src, out=tmp / out, home=tmp / "home", tags=False)
    done = score_with_registry(req, ServingConfig(), tracking_uri=uri, **kw)
    return done, pd.read_parquet(tmp / out)


def _leftovers(tmp: Path) -> list[str]:
    return [p.name for p in tmp.iterdir() if p.name.startswith(".")]


def test_the_second_run_starts_with_the_kept_copy_and_gives_the_same_scores(moving, tmp_path):
    first, a = _run(moving, tmp_path, "a.parquet")
    assert not first.head_start and first.version == "1"
    kept = recall(tmp_path / "home", tracking_uri=moving, name="crm-churn", ref="@champion")
    assert kept is not None and kept.version == "1"
    second, b = _run(moving, tmp_path, "b.parquet")
    assert second.head_start and second.version == "1"
    pd.testing.assert_frame_equal(a, b)
    assert _leftovers(tmp_path) == []


def test_a_moved_alias_or_changed_tags_throw_the_head_start_away(moving, tmp_path):
    _run(moving, tmp_path, "v1.parquet")
    version = register(moving, task="churn", seed=5)  # the alias moves to a new version
    moved, got = _run(moving, tmp_path, "moved.parquet")
    assert not moved.head_start and moved.version == version
    _, pinned = _run(moving, tmp_path, "pinned.parquet", version=version)
    pd.testing.assert_frame_equal(got, pinned)  # scored by the registry's version
    assert (got["model_version"].astype(str) == version).all()
    kept = recall(tmp_path / "home", tracking_uri=moving, name="crm-churn", ref="@champion")
    assert kept is not None and kept.version == version  # the copy follows the registry

    client = MlflowClient(tracking_uri=moving, registry_uri=moving)
    client.set_model_version_tag("crm-churn", version, "crmml.verdict", "approved")
    retagged, _ = _run(moving, tmp_path, "retagged.parquet")
    assert not retagged.head_start
    again, _ = _run(moving, tmp_path, "again.parquet")
    assert again.head_start
    assert _leftovers(tmp_path) == []


def test_a_damaged_copy_only_costs_the_head_start(moving, tmp_path):
    _, good = _run(moving, tmp_path, "good.parquet")
    kept = recall(tmp_path / "home", tracking_uri=moving, name="crm-churn", ref="@champion")
    for path in Path(kept.local).rglob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    damaged, out = _run(moving, tmp_path, "damaged.parquet")
    assert not damaged.head_start
    pd.testing.assert_frame_equal(good, out)
    assert _run(moving, tmp_path, "repaired.parquet")[0].head_start  # copied afresh


def test_registry_errors_win_over_a_kept_copy(moving, tmp_path):
    _run(moving, tmp_path, "ok.parquet")
    client = MlflowClient(tracking_uri=moving, registry_uri=moving)
    version = client.get_model_version_by_alias("crm-churn", "champion").version
    client.delete_registered_model_alias("crm-churn", "champion")
    try:
        with pytest.raises(CrmmlError, match="cannot load crm-churn@champion"):
            _run(moving, tmp_path, "nope.parquet")
    finally:
        client.set_registered_model_alias("crm-churn", "champion", version)
    assert not (tmp_path / "nope.parquet").exists()
    assert _leftovers(tmp_path) == []
