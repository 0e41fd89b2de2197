"""Growth fits recover known parameters, choose the right model, and bands widen with horizon."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gridfirst.demand import fit_growth, forecast
from gridfirst.demand.growth import MIN_BOOTSTRAP
from gridfirst.demand.series import decimal_year
from gridfirst.errors import DataError

DATES = pd.date_range("2021-01-01", "2025-12-01", freq="MS")  # 60 monthly points
T = decimal_year(DATES)


def _noisy(values: np.ndarray, sigma: float, seed: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(values * np.exp(rng.normal(0.0, sigma, len(values))), index=DATES)


def test_exponential_parameters_recovered():
    y = 250.0 * np.exp(0.9 * (T - T[0]))
    fit = fit_growth(_noisy(y, 0.02, 1), models=("exponential",))
    p = fit.parameters
    assert p["rate_per_year"] == pytest.approx(0.9, rel=0.02)
    assert p["initial"] == pytest.approx(250.0, rel=0.03)
    assert fit.chosen.derived["doubling_time_years"] == pytest.approx(math.log(2) / 0.9, rel=0.02)


def test_logistic_parameters_recovered():
    y = 5.0e4 / (1.0 + np.exp(-1.8 * (T - 2023.0)))
    fit = fit_growth(_noisy(y, 0.02, 2), models=("logistic",))
    p = fit.parameters
    assert p["ceiling"] == pytest.approx(5.0e4, rel=0.03)
    assert p["rate_per_year"] == pytest.approx(1.8, rel=0.05)
    assert p["midpoint_year"] == pytest.approx(2023.0, abs=0.05)


def test_gompertz_parameters_recovered():
    y = 8.0e3 * np.exp(-np.exp(-1.2 * (T - 2022.5)))
    fit = fit_growth(_noisy(y, 0.02, 3), models=("gompertz",))
    p = fit.parameters
    assert p["ceiling"] == pytest.approx(8.0e3, rel=0.03)
    assert p["rate_per_year"] == pytest.approx(1.2, rel=0.05)
    assert p["inflection_year"] == pytest.approx(2022.5, abs=0.05)


@pytest.mark.parametrize(
    ("truth", "values"),
    [
        ("exponential", 100.0 * np.exp(0.7 * (T - T[0]))),
        ("logistic", 1.0e3 / (1.0 + np.exp(-2.0 * (T - 2023.0)))),
        ("gompertz", 1.0e3 * np.exp(-np.exp(-1.5 * (T - 2022.3)))),
    ],
)
def test_information_criterion_picks_the_generating_model(truth, values):
    fit = fit_growth(_noisy(values, 0.01, 7))
    assert fit.model == truth
    scores = fit.scores()
    assert scores[truth] == min(scores.values())


def test_noiseless_exponential_prefers_the_simpler_model():
    # A saturating curve with its ceiling at the bound reproduces an exponential; the criterion's
    # parameter penalty (and the tie rule) must still choose the exponential.
    fit = fit_growth(pd.Series(10.0 * np.exp(0.5 * (T - T[0])), index=DATES))
    assert fit.model == "exponential"


def test_bands_widen_with_horizon_and_contain_the_base():
    y = 100.0 * np.exp(0.8 * (T - T[0]))
    fit = fit_growth(_noisy(y, 0.05, 11), models=("exponential",))
    fc = forecast(fit, years=range(2026, 2036), n_boot=60, seed=0)
    table = fc.table
    assert (table["low"] <= table["value"]).all() and (table["value"] <= table["high"]).all()
    log_width = np.log(table["high"] / table["low"]).to_numpy()
    assert np.all(np.diff(log_width) > 0)
    assert log_width[-1] > 2 * log_width[0]


def test_logistic_band_widens_beyond_the_data():
    y = 1.0e3 / (1.0 + np.exp(-1.5 * (T - 2025.5)))  # data end before saturation
    fit = fit_growth(_noisy(y, 0.03, 5), models=("logistic",))
    fc = forecast(fit, years=range(2026, 2033), n_boot=40, seed=1)
    width = (fc.table["high"] - fc.table["low"]).to_numpy()
    assert width[-1] > width[0]
    assert np.all(np.diff(width) > -1e-9 * width.max())


def test_forecast_is_seeded_and_states_extrapolation():
    y = 100.0 * np.exp(0.8 * (T - T[0]))
    fit = fit_growth(_noisy(y, 0.05, 11), models=("exponential", "logistic"))
    a = forecast(fit, years=range(2024, 2036), n_boot=30, seed=4)
    b = forecast(fit, years=range(2024, 2036), n_boot=30, seed=4)
    c = forecast(fit, years=range(2024, 2036), n_boot=30, seed=5)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["high"], c.table["high"])
    # 2024 lies inside the data; 2035-12-31 is ten years past the last observation (2025-12-01).
    assert a.table.loc["2024-12-31", "years_beyond_data"] == 0.0
    assert not a.table.loc["2024-12-31", "extrapolated"]
    assert a.max_extrapolation_years == pytest.approx(10.08, abs=0.01)
    assert any("10.1 years beyond" in w for w in a.warnings)


def test_small_series_skips_models_that_need_more_points():
    dates = pd.date_range("2024-01-01", periods=4, freq="QS")
    fit = fit_growth(pd.Series([1.0, 2.0, 4.1, 7.9], index=dates))
    assert fit.model == "exponential"
    assert set(fit.skipped) == {"logistic", "gompertz"}


@pytest.mark.parametrize("n_boot", [1, 5, MIN_BOOTSTRAP - 1, -3])
def test_too_few_bootstrap_resamples_are_refused(n_boot):
    fit = fit_growth(_noisy(100.0 * np.exp(0.8 * (T - T[0])), 0.05, 11), models=("exponential",))
    with pytest.raises(DataError, match=rf"n_boot: {n_boot} bootstrap resamples are too few"):
        forecast(fit, years=[2027], n_boot=n_boot)


def test_zero_resamples_give_no_band_and_say_so():
    fit = fit_growth(_noisy(100.0 * np.exp(0.8 * (T - T[0])), 0.05, 11), models=("exponential",))
    fc = forecast(fit, years=[2026, 2027], n_boot=0)
    np.testing.assert_array_equal(fc.table["low"], fc.table["value"])
    np.testing.assert_array_equal(fc.table["high"], fc.table["value"])
    assert any("no band" in w for w in fc.warnings)
    banded = forecast(fit, years=[2026, 2027], n_boot=MIN_BOOTSTRAP)
    assert (banded.table["high"] > banded.table["low"]).all()
    assert not any("no band" in w for w in banded.warnings)
