import mlflow
import pytest
from mlflow import MlflowClient

from crmml.errors import CrmmlError
from training.registry import register_model, registered_name


def test_registered_names():
    assert [registered_name(t) for t in ("churn", "repurchase", "lead_score")] == [
        "crm-churn",
        "crm-repurchase",
        "crm-lead-score",
    ]
    with pytest.raises(CrmmlError, match="unknown task"):
        registered_name("upsell")


@pytest.fixture
def client_and_run(tmp_path, store_uri):
    uri = store_uri
    client = MlflowClient(uri)
    exp = client.create_experiment("x", artifact_location=(tmp_path / "art").as_uri())
    run = client.create_run(exp)
    client.log_text(run.info.run_id, "artifact_path: model\n", "model/MLmodel")
    return client, run.info.run_id


def test_register_sets_tags_and_moves_alias(client_and_run):
    client, run_id = client_and_run
    source = f"runs:/{run_id}/model"
    v1 = register_model(
        client,
        task="churn",
        model_uri=source,
        run_id=run_id,
        tags={"family": "tree", "task": "churn"},
    )
    v2 = register_model(
        client,
        task="churn",
        model_uri=source,
        run_id=run_id,
        tags={"family": "lgbm", "task": "churn"},
    )
    assert v1.tags["family"] == "tree"
    newest = client.get_model_version_by_alias("crm-churn", "challenger")
    assert str(newest.version) == str(v2.version) and newest.tags["family"] == "lgbm"


def test_failed_alias_leaves_no_version(client_and_run):
    client, run_id = client_and_run
    with pytest.raises(CrmmlError, match="not registered"):
        # an alias like "v1" is reserved by MLflow: the version is created, then removed
        register_model(
            client,
            task="churn",
            model_uri=f"runs:/{run_id}/model",
            run_id=run_id,
            tags={},
            alias="v1",
        )
    assert client.search_model_versions("name='crm-churn'") == []
    mlflow.set_tracking_uri(None)
