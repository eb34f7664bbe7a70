import pytest

from crmml.errors import CrmmlError
from serving.champion import load_champion
from serving.config import ServingConfig


def test_load_champion_uses_only_the_given_store(churn_store, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    champ = load_champion(ServingConfig(), task="churn", tracking_uri=churn_store[1])
    assert champ.version == "1" and champ.info["feature_version"] == "1"
    assert champ.info["approval"]["verdict"] == "not evaluated"
    assert champ.scorer.categories["plan"] == {"basic", "pro", "team"}
    assert not (tmp_path / "mlflow.db").exists()  # no stray default store in the cwd


def test_missing_alias_or_version_is_a_clear_error(churn_store):
    with pytest.raises(CrmmlError, match=r"crm-repurchase@champion"):
        load_champion(ServingConfig(), task="repurchase", tracking_uri=churn_store[1])
    with pytest.raises(CrmmlError, match=r"crm-churn v9"):
        load_champion(ServingConfig(), task="churn", tracking_uri=churn_store[1], version="9")
