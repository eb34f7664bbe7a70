import pandas as pd
from typer.testing import CliRunner

from crmml.cli import app
from crmml.errors import ConfigError, CrmmlError
from tests.serving.registry_fixture import frame


def test_serve_refuses_without_keys(monkeypatch, tmp_path):
    for name in ("CRMML_API_KEYS", "CRMML_API_KEYS_FILE", "CRMML_INSECURE_NO_AUTH"):
        monkeypatch.delenv(name, raising=False)
    res = CliRunner().invoke(app, ["serve", "--port", "3000"])
    assert isinstance(res.exception, ConfigError)
    assert "no API keys configured" in str(res.exception)
    bad = tmp_path / "serving.yaml"
    bad.write_text("max_records: 0\nsurprise: 1\n", encoding="utf-8")
    monkeypatch.setenv("CRMML_API_KEYS", "k")
    res = CliRunner().invoke(app, ["serve", "--config", str(bad)])
    assert isinstance(res.exception, ConfigError)
    text = " ".join(res.exception.lines())
    assert "max_records" in text and "surprise" in text and "unknown key" in text


def test_cli_score_and_its_errors(churn_store, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", churn_store[1])
    df, _ = frame(n=10)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    df.to_parquet(src, index=False)
    runner = CliRunner()
    res = runner.invoke(app, ["score", "--task", "churn", "--input", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_parquet(out)) == 10
    bad = runner.invoke(app, ["score", "--task", "nope", "--input", str(src), "--out", str(out)])
    assert isinstance(bad.exception, CrmmlError) and "--task" in str(bad.exception)
    none = runner.invoke(
        app, ["score", "--task", "repurchase", "--input", str(src), "--out", str(out)]
    )
    assert isinstance(none.exception, CrmmlError) and "crm-repurchase@champion" in str(
        none.exception
    )
