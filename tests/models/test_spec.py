"""FeatureSpec from the features manifest: order, sensitive columns, monotone, errors."""

from __future__ import annotations

import pytest

from crmml.errors import CrmmlError
from models import FeatureSpec

TASK = {
    "features": [
        {"name": "days_since_last_order", "kind": "numeric", "monotone": 1},
        {"name": "region", "kind": "categorical"},
        {"name": "orders_count", "kind": "numeric", "monotone": -1},
        {"name": "sensitive__gender", "kind": "categorical"},
    ],
    "sensitive": ["sensitive__gender", "sensitive__age_band"],
}


def test_from_manifest_orders_numeric_first_and_drops_sensitive():
    spec = FeatureSpec.from_manifest(TASK)
    assert spec.numeric == ("days_since_last_order", "orders_count")
    assert spec.categorical == ("region",)
    assert spec.features == ("days_since_last_order", "orders_count", "region")
    assert spec.monotone == {"days_since_last_order": 1, "orders_count": -1}
    assert not any(f.startswith("sensitive__") for f in spec.features)


def test_sensitive_only_when_allowed():
    spec = FeatureSpec.from_manifest(TASK, allow_sensitive=True)
    assert spec.categorical == ("region", "sensitive__gender", "sensitive__age_band")


def test_exclude_and_unknown_exclude():
    spec = FeatureSpec.from_manifest(TASK, exclude=("orders_count",))
    assert spec.numeric == ("days_since_last_order",)
    assert "orders_count" not in spec.monotone
    with pytest.raises(CrmmlError, match=r"exclude: unknown features \['nope'\]"):
        FeatureSpec.from_manifest(TASK, exclude=("nope",))


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({}, "key 'features' must be a list"),
        ({"features": [{"name": "x", "kind": "text"}]}, r"features\[0\]: expected"),
        (
            {"features": [{"name": "c", "kind": "categorical", "monotone": 1}]},
            "categorical features cannot be monotone",
        ),
        ({"features": [{"name": "x", "kind": "numeric", "monotone": 2}]}, "expected -1, 0 or 1"),
    ],
)
def test_bad_manifest_entries_are_named(task, message):
    with pytest.raises(CrmmlError, match=message):
        FeatureSpec.from_manifest(task)


def test_with_monotone_override_and_dict_round_trip():
    spec = FeatureSpec.from_manifest(TASK).with_monotone({"orders_count": 0})
    assert spec.monotone_vector() == [1, 0, 0]
    assert FeatureSpec.from_dict(spec.to_dict()) == spec
