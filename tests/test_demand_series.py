"""Bad series raise clear DataErrors naming the file, line (or position) and value."""

from __future__ import annotations

import pandas as pd
import pytest

from gridfirst.demand import fit_growth, read_series, validate_series
from gridfirst.errors import DataError


def _csv(tmp_path, text: str, name: str = "usage.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "date,value\n2024-01-01,10\n2024-04-01,14\n2024-07-01,21\n2024-10-01,30\n"


def test_plain_date_value_csv_is_accepted(tmp_path):
    s = read_series(_csv(tmp_path, GOOD))
    assert list(s) == [10.0, 14.0, 21.0, 30.0]
    assert s.index[0] == pd.Timestamp("2024-01-01")


def test_extra_columns_are_ignored_and_quantity_column_found(tmp_path):
    text = "date,tokens_per_day,source_id\n2024-01-01,1e9,a\n2024-02-01,2e9,b\n2024-03-01,4e9,c\n"
    s = read_series(_csv(tmp_path, text), quantity="tokens_per_day")
    assert s.iloc[-1] == 4e9


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            GOOD.replace("2024-07-01,21", "2024-07-01,0"),
            ["usage.csv line 4: value 0 is not positive"],
        ),
        (
            GOOD.replace("2024-07-01,21", "2024-07-01,-3"),
            ["usage.csv line 4: value -3 is not positive"],
        ),
        (
            GOOD.replace("2024-07-01,21", "2024-07-01,inf"),
            ["usage.csv line 4: value inf is not a finite number"],
        ),
        (GOOD.replace("2024-07-01", "2024-02-01"), ["usage.csv line 4", "2024-02-01", "sort"]),
        (GOOD.replace("2024-07-01", "2024-04-01"), ["usage.csv line 4", "2024-04-01", "duplicate"]),
        (
            "date,value\n2024-01-01,1\n2024-02-01,2\n",
            ["usage.csv", "2 data point(s)", "at least 3"],
        ),
        (
            GOOD.replace("2024-07-01,21", "2024-07-01,abc"),
            ["usage.csv line 4", "'abc'", "not a number"],
        ),
        (GOOD.replace("2024-07-01,21", "July,21"), ["usage.csv line 4", "'July'", "not a date"]),
        ("day,value\n2024-01-01,1\n", ["usage.csv", "no column 'date'"]),
    ],
)
def test_bad_series_name_file_line_and_value(tmp_path, text, fragments):
    with pytest.raises(DataError) as info:
        read_series(_csv(tmp_path, text))
    message = str(info.value)
    assert "np." not in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_series(tmp_path / "absent.csv")


def test_in_memory_series_errors_name_the_position():
    dates = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-15", "2024-03-01"])
    with pytest.raises(DataError, match=r"position 2: date 2024-01-15 comes before"):
        validate_series(pd.Series([1.0, 2.0, 3.0, 4.0], index=dates), source="mine")
    with pytest.raises(DataError) as info:
        fit_growth(
            pd.Series([1.0, -2.0, 3.0], index=pd.date_range("2024", periods=3, freq="MS")),
            source="mine",
        )
    # plain numbers, not numpy reprs such as np.float64(-2.0)
    assert str(info.value).startswith("mine position 1: value -2 is not positive;"), info.value
    with pytest.raises(DataError, match=r"^mine position 2: value nan is not a finite number$"):
        validate_series(
            pd.Series([1.0, 2.0, float("nan")], index=pd.date_range("2024", periods=3, freq="MS")),
            source="mine",
        )


def test_unknown_model_or_criterion():
    s = pd.Series([1.0, 2.0, 4.0, 8.0], index=pd.date_range("2024", periods=4, freq="MS"))
    with pytest.raises(DataError, match="not among"):
        fit_growth(s, models=("linear",))
    with pytest.raises(DataError, match="criterion"):
        fit_growth(s, criterion="r2")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="logistic: needs at least 5 points"):
        fit_growth(s, models=("logistic",))
