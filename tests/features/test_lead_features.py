"""Lead features computed exactly on a tiny export (see pit_data.base_exports)."""

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from features.build import snapshot_features
from features.config import FeaturesConfig
from features.lead_features import lead_specs
from tests.features.pit_data import base_exports, exports, order


def _leads(snapshot: date, ex=None):
    return snapshot_features(ex or base_exports(), task="lead_score", snapshot=snapshot)


def test_columns_and_dtypes():
    f = _leads(date(2024, 6, 30))
    specs = lead_specs(FeaturesConfig())
    assert list(f.columns) == ["as_of"] + [s.name for s in specs] + ["sensitive__region"]
    for spec in specs:
        expected = "float64" if spec.kind == "numeric" else "string"
        assert f[spec.name].dtype == expected, spec.name
    assert not {"company_name", "job_title", "owner_id", "customer_id"} & set(f.columns)


def test_features_only_see_activities_up_to_the_snapshot():
    l1 = _leads(date(2024, 6, 15)).loc["L1"]
    assert (l1["source"], l1["industry"], l1["region"], l1["seniority"]) == (
        "web",
        "retail",
        "east",
        "manager",
    )
    assert l1["lead_age_days"] == 14
    assert l1["first_response_days"] == 2 and l1["not_yet_responded"] == 0
    assert l1["activities_first7d"] == 1 and l1["activities_total"] == 1
    assert l1["activities_email"] == 1 and l1["activities_call"] == 0
    assert l1["campaign_events"] == 1 and l1["campaign_events_30d"] == 1
    assert l1["sensitive__region"] == "east" and l1["region"] == "east"
    later = _leads(date(2024, 6, 30)).loc["L1"]
    assert later["activities_total"] == 2 and later["activities_call"] == 1
    assert later["activities_first7d"] == 1  # the call on day 19 is not early


def test_lead_scored_at_creation_is_age_zero_without_history():
    l4 = _leads(date(2024, 6, 25)).loc["L4"]
    assert l4["lead_age_days"] == 0 and l4["seniority"] == "director"
    assert np.isnan(l4["first_response_days"]) and l4["not_yet_responded"] == 1
    assert l4["activities_total"] == 0 and l4["campaign_events"] == 0


def test_first_response_after_snapshot_is_missing_and_flagged():
    l2 = _leads(date(2024, 7, 11)).loc["L2"]  # first activity on 12 Jul
    assert np.isnan(l2["first_response_days"]) and l2["not_yet_responded"] == 1
    assert l2["seniority"] == "c_level"
    assert _leads(date(2024, 7, 12)).loc["L2", "first_response_days"] == 2


def _matching_export():
    """Two customers (one created 1 Jul, one known by its first order) and three leads."""
    return exports(
        customers=[
            {"customer_id": "c1", "company_name": "New Co Ltd", "created_at": "2024-07-01"},
            {"customer_id": "c2", "company_name": "Old Corp"},
        ],
        orders=[order("o1", "c2", "2024-01-05")],  # c2 has no created_at: first order counts
        leads=[
            {
                "lead_id": "a",
                "created_at": "2024-06-20",
                "company_name": "new co ltd",
                "status": "open",
            },
            {
                "lead_id": "b",
                "created_at": "2024-06-20",
                "company_name": "OLD CORP",
                "status": "open",
            },
            {"lead_id": "c", "created_at": "2024-06-20", "status": "open"},
        ],
    )


def test_existing_customer_uses_customers_known_at_the_snapshot():
    ex = _matching_export()
    before = _leads(date(2024, 6, 30), ex)["is_existing_customer"]
    after = _leads(date(2024, 7, 5), ex)["is_existing_customer"]
    assert before.to_dict() == {"a": 0, "b": 1, "c": 0}
    assert after.to_dict() == {"a": 1, "b": 1, "c": 0}


def _one_row_chunks(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text column held in one Arrow chunk per row, as Parquet reads give
    columns in many chunks."""
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_string_dtype(df[col]):
            rows = [df[col].iloc[i : i + 1] for i in range(len(df))]
            chunked = pa.chunked_array(
                [pa.array(r, pa.large_string(), from_pandas=True) for r in rows]
            )
            df[col] = pd.array(chunked, dtype=df[col].dtype)
    return df


def test_existing_customer_is_the_same_from_many_chunked_columns():
    ex = _matching_export()
    plain = _leads(date(2024, 7, 5), ex)
    for name in ("customers", "leads"):
        ex.tables[name] = _one_row_chunks(ex.tables[name])
        assert pa.array(ex.tables[name]["company_name"]).num_chunks == len(ex.tables[name])
    chunked = _leads(date(2024, 7, 5), ex)
    pd.testing.assert_frame_equal(chunked, plain)
    assert plain["is_existing_customer"].to_dict() == {"a": 1, "b": 1, "c": 0}


def test_leads_only_export_works():
    ex = exports(leads=[{"lead_id": "z", "created_at": "2024-06-29", "status": "open"}])
    f = _leads(date(2024, 6, 30), ex)
    assert f.loc["z", "seniority"] == "unknown" and f.loc["z", "is_existing_customer"] == 0
    assert pd.isna(f.loc["z", "sensitive__region"])
