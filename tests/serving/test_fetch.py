"""serving.fetch: the registry side of crmml score, in a child process."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmml.errors import CrmmlError
from serving.fetch import BackgroundFetch


def _fetch(uri: str, **kw) -> BackgroundFetch:
    args = {"name": "crm-churn", "alias": "champion", "task": "churn", "version": None}
    return BackgroundFetch(tracking_uri=uri, **{**args, **kw})


def test_the_child_downloads_the_champion_and_its_manifest(churn_store):
    with _fetch(churn_store[1]) as fetch:
        got = fetch.result()
        assert got.version == "1" and (Path(got.local) / "MLmodel").is_file()
        assert got.features and {"name", "kind"} <= set(got.features[0])
        assert got.tags.get("feature_version") == "1"
        dest = fetch.dest
    assert not dest.exists()  # the download folder goes with the context


def test_registry_errors_come_back_as_the_in_process_message(churn_store):
    with _fetch(churn_store[1], name="crm-repurchase") as fetch, pytest.raises(CrmmlError) as err:
        fetch.result()
    assert str(err.value).startswith("cannot load crm-repurchase@champion from sqlite:")
    with _fetch(churn_store[1], version="7") as fetch, pytest.raises(CrmmlError) as err:
        fetch.result()
    assert "crm-churn v7" in str(err.value)


def test_leaving_early_stops_the_child_and_leaves_nothing(churn_store):
    with _fetch(churn_store[1]) as fetch:
        proc, dest = fetch.proc, fetch.dest
    assert proc.poll() is not None and not dest.exists()
