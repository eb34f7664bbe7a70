import pandas as pd
import pytest

from features.titles import SENIORITY_LEVELS, seniority, title_seniority


@pytest.mark.parametrize(
    "title, level",
    [
        ("CEO", "c_level"),
        ("cto", "c_level"),
        ("Chief Financial Officer", "c_level"),
        ("Co-Founder", "c_level"),
        ("Owner", "c_level"),
        ("President", "c_level"),
        ("Managing Director", "c_level"),
        ("总经理", "c_level"),
        ("董事长", "c_level"),
        ("创始人", "c_level"),
        ("总裁", "c_level"),
        ("VP Sales", "director"),
        ("Vice President, Marketing", "director"),
        ("副总裁", "director"),
        ("副总经理", "director"),
        ("IT Director", "director"),
        ("Head of Procurement", "director"),
        ("销售总监", "director"),
        ("Marketing Manager", "manager"),
        ("Team Lead", "manager"),
        ("采购经理", "manager"),
        ("客服主管", "manager"),
        ("Engineer", "staff"),
        ("工程师", "staff"),
        ("Assistant to the CEO", "staff"),
        ("总经理助理", "staff"),
        ("", "unknown"),
        ("   ", "unknown"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_title_seniority(title, level):
    assert title_seniority(title) == level


def test_seniority_column_is_string_dtype_and_keeps_rows():
    titles = pd.Series(["CEO", None, "经理", "CEO"], index=[10, 11, 12, 13], dtype="string")
    out = seniority(titles)
    assert pd.api.types.is_string_dtype(out) and not isinstance(out.dtype, pd.CategoricalDtype)
    assert out.tolist() == ["c_level", "unknown", "manager", "c_level"]
    assert set(out) <= set(SENIORITY_LEVELS)
