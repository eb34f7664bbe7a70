"""Tests of features/single_table.py: one labelled customer table -> the training-set layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmml.errors import ConfigError, CrmmlError, DataQualityError
from features.contract import FEATURE_VERSION
from features.dataset_spec import DatasetSpec, load_dataset_spec
from features.single_table import RANDOM_NOTE, build_frames, build_from_spec

KEY = b"test-key"


def _table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"{i:05d}" for i in range(n)],
            "plan": rng.choice(["basic", "pro", "team"], n),
            "tenure_months": rng.integers(1, 60, n),
            "spend": rng.gamma(2.0, 100.0, n).round(2),
            "age": rng.integers(18, 80, n),
            "gender": rng.choice(["f", "m"], n),
            "email": [f"user{i}@example.com" for i in range(n)],
            "refund_amount": rng.random(n),
            "signup_date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "churned": np.where(rng.random(n) < 0.3, "yes", "no"),
        }
    )


def _spec(tmp_path: Path, table: pd.DataFrame | None = None, **overrides) -> DatasetSpec:
    path = tmp_path / "customers.csv"
    (_table() if table is None else table).to_csv(path, index=False)
    fields = {
        "task": "churn",
        "file": path,
        "id_column": "customer_id",
        "label": {"column": "churned", "positive": "yes"},
        "sensitive": {"age": {"bins": [0, 30, 60, 200], "labels": ["<30", "30-60", "60+"]}},
        "known_after_outcome": ["refund_amount"],
        "drop": ["email", "signup_date"],
    }
    return DatasetSpec.model_validate(fields | overrides)


def _lines(err: pytest.ExceptionInfo) -> str:
    return "\n".join(err.value.lines())


def test_layout_matches_the_event_path(tmp_path):
    training, scoring, manifest, _ = build_frames(_spec(tmp_path), key=KEY)
    assert list(training.columns[:2]) == ["entity_id", "as_of"]
    assert list(training.columns[-2:]) == ["label", "split"]
    features = [f["name"] for f in manifest["tasks"]["churn"]["features"]]
    assert features == ["plan", "tenure_months", "spend", "gender"]
    assert training["label"].dtype == "int64" and set(training["label"]) == {0, 1}
    assert training["as_of"].dtype == "datetime64[us]"
    for name in ("tenure_months", "spend"):
        assert training[name].dtype == "float64"
    for name in ("plan", "gender", "sensitive__age_band", "entity_id"):
        assert pd.api.types.is_string_dtype(training[name]) and training[name].dtype != "category"
    assert "refund_amount" not in training and "email" not in training and "age" not in training
    assert list(scoring.columns) == [c for c in training.columns if c not in ("label", "split")]
    assert len(scoring) == len(training) == 200


def test_ids_are_pseudonymised_not_raw(tmp_path):
    training, _, manifest, id_map = build_frames(_spec(tmp_path), key=KEY)
    assert manifest["id_map_file"] == "id_map.parquet"
    assert id_map["pseudonym"].tolist() == training["entity_id"].tolist()
    assert id_map["raw_id"].iloc[0] == "00000" and set(id_map["kind"]) == {"customer"}
    assert not training["entity_id"].isin(_table()["customer_id"]).any()
    assert training["entity_id"].str.startswith("c_").all() and training["entity_id"].is_unique
    again = build_frames(_spec(tmp_path), key=KEY).training
    assert again["entity_id"].equals(training["entity_id"])


def test_without_id_column_rows_are_numbered(tmp_path):
    training, *_ = build_frames(_spec(tmp_path, id_column=None, drop=["email", "customer_id"]))
    assert training["entity_id"].iloc[0] == "row-1" and training["entity_id"].iloc[-1] == "row-200"


def test_random_split_is_seeded_stratified_and_noted(tmp_path):
    training, _, manifest, _ = build_frames(_spec(tmp_path), key=KEY)
    counts = training["split"].value_counts()
    assert counts.to_dict() == {"train": 120, "valid": 40, "test": 40}
    rates = training.groupby("split")["label"].mean()
    assert rates.max() - rates.min() < 0.03
    again, *_ = build_frames(_spec(tmp_path), key=KEY)
    assert again["split"].equals(training["split"])
    other, *_ = build_frames(_spec(tmp_path, split={"seed": 7}), key=KEY)
    assert not other["split"].equals(training["split"])
    assert manifest["split"] == "random" and manifest["evaluation_note"] == RANDOM_NOTE
    assert manifest["split_seed"] == 42 and manifest["tasks"]["churn"]["split_column"] == "split"


def test_manifest(tmp_path):
    spec = _spec(tmp_path, as_of="2025-06-30", descriptions={"spend": "Total spend (EUR)"})
    training, _, manifest, _ = build_frames(spec, key=KEY)
    assert manifest["source"] == "single_table" and manifest["feature_version"] == FEATURE_VERSION
    assert manifest["as_of"] == "2025-06-30" and (training["as_of"] == "2025-06-30").all()
    assert set(manifest["inputs"]) == {"customers.csv"} and len(manifest["data_hash"]) == 64
    task = manifest["tasks"]["churn"]
    assert task["drop_after_outcome"] == ["refund_amount"]
    assert task["sensitive"] == ["sensitive__age_band"]
    by_name = {f["name"]: f for f in task["features"]}
    assert by_name["spend"]["description"] == "Total spend (EUR)"
    assert by_name["tenure_months"]["description"] == "Tenure months"
    assert by_name["spend"]["phrase"].format(value=12.5) == "spend is 12.5"
    assert by_name["plan"]["kind"] == "categorical"
    assert by_name["plan"]["phrase"].format(value="pro") == "plan is pro"
    json.dumps(manifest)  # JSON-ready


def test_sensitive_bands_are_left_closed_and_missing_is_unknown(tmp_path):
    table = _table(6)
    table["age"] = [29, 30, 59, 60, None, 250]
    table["churned"] = ["yes", "no"] * 3
    training, *_ = build_frames(
        _spec(tmp_path, table, split={"test_size": 0.34, "valid_size": 0}), key=KEY
    )
    bands = training["sensitive__age_band"].tolist()
    assert bands == ["<30", "30-60", "30-60", "60+", "unknown", "unknown"]


def test_inference_keeps_ids_free_text_and_sensitive_out(tmp_path):
    spec = _spec(tmp_path, drop=[], sensitive={"gender": {}}, known_after_outcome=[])
    training, _, manifest, _ = build_frames(spec, key=KEY)
    kinds = {f["name"]: f["kind"] for f in manifest["tasks"]["churn"]["features"]}
    assert kinds == {
        "plan": "categorical",
        "tenure_months": "numeric",
        "spend": "numeric",
        "age": "numeric",
        "refund_amount": "numeric",
    }
    excluded = manifest["quality"]["excluded_columns"]
    assert set(excluded) == {"email", "signup_date"} and "distinct values" in excluded["email"]
    assert "gender" not in training and "sensitive__gender" in training


def test_explicit_lists_and_a_sensitive_feature(tmp_path):
    spec = _spec(tmp_path, categorical=["plan", "tenure_months"], numeric=["age"])
    training, _, manifest, _ = build_frames(spec, key=KEY)
    assert [f["name"] for f in manifest["tasks"]["churn"]["features"]] == [
        "plan",
        "tenure_months",
        "age",
    ]
    assert training["tenure_months"].iloc[0] == str(_table()["tenure_months"].iloc[0])
    assert "age" in training and "sensitive__age_band" in training
    assert set(manifest["quality"]["unused_columns"]) == {"spend", "gender"}


def test_only_categorical_given_infers_numeric(tmp_path):
    training, _, manifest, _ = build_frames(_spec(tmp_path, categorical=["plan"]), key=KEY)
    assert [f["name"] for f in manifest["tasks"]["churn"]["features"]] == [
        "plan",
        "tenure_months",
        "spend",
    ]
    assert manifest["quality"]["unused_columns"] == ["gender"]


def test_date_column_gives_time_split(tmp_path):
    spec = _spec(tmp_path, date_column="signup_date", drop=["email"], as_of="2024-06-30")
    training, scoring, manifest, _ = build_frames(spec, key=KEY)
    assert manifest["split"] == "time" and "evaluation_note" not in manifest
    assert "split" not in training and manifest["tasks"]["churn"]["split_column"] is None
    months = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]
    assert sorted(training["as_of"].dt.strftime("%Y-%m-%d").unique()) == months
    assert (training["as_of"] == "2024-03-31").sum() == 31
    assert len(training) == len(scoring) == 182 and manifest["quality"]["future_rows"] == 18


def test_date_column_default_as_of_is_latest_date(tmp_path):
    spec = _spec(tmp_path, date_column="signup_date", drop=["email"])
    training, _, manifest, _ = build_frames(spec, key=KEY)
    assert manifest["as_of"] == "2024-07-18" and manifest["as_of_from"] == "latest date"
    assert training["as_of"].max() == pd.Timestamp("2024-07-18")  # never after the as-of


def test_date_period_day_keeps_each_date(tmp_path):
    spec = _spec(tmp_path, date_column="signup_date", drop=["email"], date_period="day")
    training, *_ = build_frames(spec, key=KEY)
    assert training["as_of"].nunique() == 200 and training["as_of"].min() == pd.Timestamp(
        "2024-01-01"
    )


def test_dates_keep_the_wall_clock_day_across_offsets(tmp_path):
    table = _table(4).assign(churned=["yes", "no", "yes", "no"])
    table["signup_date"] = [
        "2024-03-01T23:30:00+08:00",
        "2024-03-31 23:59:59-05:00",
        "2024-04-01T00:10:00Z",
        "2024-04-02",
    ]
    spec = _spec(tmp_path, table, date_column="signup_date", date_period="day", drop=["email"])
    training, *_ = build_frames(spec, key=KEY)
    days = training["as_of"].dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2024-03-01", "2024-03-31", "2024-04-01", "2024-04-02"]


def test_unlabelled_rows_are_scored_not_trained(tmp_path):
    table = _table()
    table.loc[:9, "churned"] = None
    training, scoring, manifest, _ = build_frames(_spec(tmp_path, table), key=KEY)
    assert len(training) == 190 and len(scoring) == 200
    assert manifest["quality"]["unlabeled_rows"] == 10
    assert set(manifest["quality"]["label_values"]) == {"yes", "no"}


@pytest.mark.parametrize(
    ("positive", "values"), [(True, ["yes", "no"]), (1, ["1", "0"]), (1, ["1.0", "0.0"])]
)
def test_positive_value_forms(tmp_path, positive, values):
    table = _table()
    table["churned"] = np.where(table["churned"] == "yes", values[0], values[1])
    training, *_ = build_frames(
        _spec(tmp_path, table, label={"column": "churned", "positive": positive}), key=KEY
    )
    assert training["label"].sum() == (_table()["churned"] == "yes").sum()


def test_non_utf8_csv_is_detected(tmp_path):
    table = _table(100)
    table["plan"] = np.where(table["plan"] == "pro", "专业版", "基础版")
    path = tmp_path / "gb.csv"
    table.to_csv(path, index=False, encoding="gb18030")
    training, *_ = build_frames(_spec(tmp_path, file=path), table_path=path, key=KEY)
    assert set(training["plan"]) == {"专业版", "基础版"}


def test_other_encodings_must_be_named(tmp_path):
    table = _table(40)
    table["plan"] = np.where(table["plan"] == "pro", "Málaga", "São Paulo")
    path = tmp_path / "cp.csv"
    table.to_csv(path, index=False, encoding="cp1252")
    with pytest.raises(CrmmlError, match="could not be detected.*key 'read.encoding'"):
        build_frames(_spec(tmp_path, file=path), table_path=path, key=KEY)
    spec = _spec(tmp_path, read={"encoding": "cp1252"})
    training, *_ = build_frames(spec, table_path=path, key=KEY)
    assert set(training["plan"]) == {"Málaga", "São Paulo"}


def test_parquet_table_and_override(tmp_path):
    path = tmp_path / "t.parquet"
    _table().to_parquet(path)
    training, _, manifest, _ = build_frames(_spec(tmp_path), table_path=path, key=KEY)
    assert len(training) == 200 and set(manifest["inputs"]) == {"t.parquet"}


# --- user mistakes: one clear error each ------------------------------------------------------


def test_label_column_missing(tmp_path):
    with pytest.raises(ConfigError) as err:
        build_frames(_spec(tmp_path, label={"column": "churn", "positive": "yes"}), key=KEY)
    text = _lines(err)
    assert "key 'label.column': column 'churn' not in table customers.csv" in text
    assert "did you mean 'churned'" in text


def test_positive_value_not_present_lists_values(tmp_path):
    with pytest.raises(DataQualityError) as err:
        build_frames(_spec(tmp_path, label={"column": "churned", "positive": "Yes"}), key=KEY)
    text = _lines(err)
    assert "'label.positive'" in text and "'Yes' not found in column 'churned'" in text
    assert "'no' (" in text and "'yes' (" in text


def test_one_class(tmp_path):
    table = _table()
    table.loc[:, "churned"] = "no"
    table.loc[0, "churned"] = "yes"
    table.loc[0, "signup_date"] = "2030-01-01"
    spec = _spec(tmp_path, table, date_column="signup_date", as_of="2025-01-01", drop=["email"])
    with pytest.raises(DataQualityError, match="one class only .* \\(all negative\\)"):
        build_frames(spec, key=KEY)


def test_spec_columns_not_in_table_are_all_listed(tmp_path):
    spec = _spec(tmp_path, numeric=["spnd"], drop=["email", "phone"])
    with pytest.raises(ConfigError) as err:
        build_frames(spec, key=KEY)
    assert len(err.value.problems) == 2
    assert "key 'numeric': column 'spnd'" in _lines(
        err
    ) and "key 'drop': column 'phone'" in _lines(err)


def test_duplicate_ids(tmp_path):
    table = _table()
    table.loc[5, "customer_id"] = table.loc[4, "customer_id"]
    with pytest.raises(DataQualityError, match="one row per id, found 1 duplicated ids .*'00004'"):
        build_frames(_spec(tmp_path, table), key=KEY)


def test_empty_ids(tmp_path):
    table = _table()
    table.loc[3, "customer_id"] = None
    with pytest.raises(DataQualityError, match="1 empty ids \\(data rows 4\\)"):
        build_frames(_spec(tmp_path, table), key=KEY)


def test_unparseable_dates(tmp_path):
    table = _table()
    table.loc[2, "signup_date"] = "03/15/2024"
    spec = _spec(tmp_path, table, date_column="signup_date", drop=["email"])
    with pytest.raises(DataQualityError, match="1 unparseable values, e.g. '03/15/2024'"):
        build_frames(spec, key=KEY)
    spec = _spec(
        tmp_path,
        table.assign(signup_date="15/03/2024"),
        date_column="signup_date",
        drop=["email"],
        read={"date_format": "%d/%m/%Y"},
    )
    training, *_ = build_frames(spec, key=KEY)
    assert (training["as_of"] == "2024-03-15").all()


def test_empty_table(tmp_path):
    spec = _spec(tmp_path, _table().iloc[:0])
    with pytest.raises(DataQualityError, match="header but no rows"):
        build_frames(spec, key=KEY)
    (tmp_path / "customers.csv").write_text("")
    with pytest.raises(CrmmlError, match="empty file"):
        build_frames(spec, key=KEY)


def test_non_numeric_values_in_numeric_column(tmp_path):
    table = _table().astype({"spend": "str"})
    table.loc[7, "spend"] = "n/a?"
    with pytest.raises(
        DataQualityError, match="column 'spend' .* expected numbers, found 1 other"
    ):
        build_frames(_spec(tmp_path, table, numeric=["spend"]), key=KEY)


def test_reserved_column_name_clash(tmp_path):
    table = _table().rename(columns={"plan": "label"})
    with pytest.raises(ConfigError, match="'label' clash .* list them under 'drop'"):
        build_frames(_spec(tmp_path, table), key=KEY)


def test_no_feature_left(tmp_path):
    table = _table()[["customer_id", "email", "churned"]]
    with pytest.raises(ConfigError, match="no feature columns left .*'email'"):
        build_frames(
            _spec(tmp_path, table, drop=[], known_after_outcome=[], sensitive={}), key=KEY
        )


def test_wrong_separator_is_explained(tmp_path):
    spec = _spec(tmp_path, read={"sep": ";"})
    with pytest.raises(CrmmlError, match="separator is probably not ';'"):
        build_frames(spec, key=KEY)


# --- end to end with the writer ---------------------------------------------------------------


def test_build_from_spec_writes_the_layout(tmp_path, monkeypatch):
    pytest.importorskip("features.output", reason="features/output.py not written yet")
    monkeypatch.setenv("CRMML_PSEUDONYM_KEY", "test-key")
    spec_path = tmp_path / "spec.yaml"
    _table().to_csv(tmp_path / "customers.csv", index=False)
    spec_path.write_text(
        "task: churn\nfile: customers.csv\nid_column: customer_id\n"
        "label: {column: churned, positive: 'yes'}\ndrop: [email, signup_date]\n"
        "sensitive: {gender: {}}\nknown_after_outcome: [refund_amount]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    manifest = build_from_spec(load_dataset_spec(spec_path), out=out)
    written = json.loads((out / "manifest.json").read_text())
    assert written["split"] == "random" and written["evaluation_note"] == RANDOM_NOTE
    assert manifest["tasks"]["churn"]["rows"] == 200
    training = pd.read_parquet(out / "churn.parquet")
    scoring = pd.read_parquet(out / "churn.scoring.parquet")
    assert {"entity_id", "as_of", "label", "split", "sensitive__gender"} <= set(training)
    assert "label" not in scoring and len(scoring) == 200
    id_map = pd.read_parquet(out / "id_map.parquet")
    assert set(id_map["pseudonym"]) == set(training["entity_id"])
    assert training["label"].dtype == "int64"
