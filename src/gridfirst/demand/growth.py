"""Growth curves fitted to an observed series: exponential, logistic and Gompertz, chosen by an
information criterion, with seeded bootstrap bands and an explicit statement of extrapolation.

Curves are fitted on the logarithm of the values (multiplicative errors), which suits quantities
that grow by orders of magnitude. Converting the forecast to megawatts is :mod:`.conversion`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from gridfirst.demand.series import date_from_decimal_year, decimal_year, validate_series
from gridfirst.errors import DataError

ModelName = Literal["exponential", "logistic", "gompertz"]
Criterion = Literal["aic", "aicc", "bic"]
MODELS: tuple[ModelName, ...] = ("exponential", "logistic", "gompertz")
CRITERIA: tuple[Criterion, ...] = ("aic", "aicc", "bic")

# Curve parameters per model (the noise variance is one more parameter in the criteria).
_N_PARAMS = {"exponential": 2, "logistic": 3, "gompertz": 3}
# Fewest points to fit a model: two more than its curve parameters, so residuals carry information.
MIN_POINTS_BY_MODEL = {"exponential": 3, "logistic": 5, "gompertz": 5}
# A saturating curve's ceiling may lie at most this many times above the largest observation;
# beyond it the data cannot tell the ceiling apart from pure exponential growth.
CEILING_MAX_RATIO = 1.0e4
_RATE_BOUNDS_PER_YEAR = (1.0e-3, 50.0)
# Fewest bootstrap resamples for a band: with fewer, the 10th/90th percentiles of an 80 % band
# fall on the first or second order statistic and move with every seed. 0 means "no band".
MIN_BOOTSTRAP = 20
_VAR_FLOOR = 1.0e-12  # keeps the criteria finite for noiseless (synthetic) series


@dataclass
class ModelFit:
    """One curve fitted by least squares on log(value)."""

    name: ModelName
    theta: np.ndarray
    """Internal parameters: exponential [ln initial, rate]; logistic/Gompertz [ln ceiling,
    rate, centre] with the centre in years after the first observation."""
    t0_year: float
    n: int
    rss_log: float
    residuals_log: np.ndarray
    at_bound: bool = False

    @property
    def k(self) -> int:
        """Parameters counted by the criteria: curve parameters plus the noise variance."""
        return _N_PARAMS[self.name] + 1

    @property
    def aic(self) -> float:
        return self.n * math.log(max(self.rss_log / self.n, _VAR_FLOOR)) + 2 * self.k

    @property
    def aicc(self) -> float:
        denom = self.n - self.k - 1
        return self.aic + 2 * self.k * (self.k + 1) / denom if denom > 0 else math.inf

    @property
    def bic(self) -> float:
        return self.n * math.log(max(self.rss_log / self.n, _VAR_FLOOR)) + self.k * math.log(self.n)

    @property
    def parameters(self) -> dict[str, float]:
        """Parameters in the series' units and calendar years (``ceiling`` for saturating fits)."""
        if self.name == "exponential":
            return {
                "initial": float(math.exp(self.theta[0])),
                "rate_per_year": float(self.theta[1]),
            }
        centre = "midpoint_year" if self.name == "logistic" else "inflection_year"
        return {
            "ceiling": float(math.exp(self.theta[0])),
            "rate_per_year": float(self.theta[1]),
            centre: float(self.t0_year + self.theta[2]),
        }

    @property
    def derived(self) -> dict[str, Any]:
        """Readable consequences of the parameters (doubling time, date of the centre)."""
        out: dict[str, Any] = {}
        rate = float(self.theta[1])
        if self.name == "exponential":
            out["doubling_time_years"] = math.log(2) / rate if rate > 0 else None
            out["initial_date"] = str(date_from_decimal_year(self.t0_year).date())
        else:
            key = "midpoint_year" if self.name == "logistic" else "inflection_year"
            out[key.replace("_year", "_date")] = str(
                date_from_decimal_year(self.parameters[key]).date()
            )
            out["ceiling_at_bound"] = self.at_bound
        return out

    def log_predict(self, t_rel: np.ndarray) -> np.ndarray:
        """ln(value) at ``t_rel`` years after the first observation."""
        return _log_curve(self.name, self.theta, np.asarray(t_rel, dtype=float))


def _log_curve(name: str, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    if name == "exponential":
        return theta[0] + theta[1] * t
    if name == "logistic":
        # ln K - ln(1 + exp(-r (t - tm))), written with logaddexp to stay finite far from tm.
        return theta[0] - np.logaddexp(0.0, -theta[1] * (t - theta[2]))
    if name == "gompertz":
        return theta[0] - np.exp(np.clip(-theta[1] * (t - theta[2]), -700.0, 700.0))
    raise ValueError(name)


def _fit_exponential(t: np.ndarray, logy: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones_like(t), t])
    coef, *_ = np.linalg.lstsq(design, logy, rcond=None)
    return np.asarray(coef, dtype=float)


def _saturating_bounds(t: np.ndarray, logy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    span = max(float(t[-1] - t[0]), 1.0 / 365.25)
    lower = np.array([logy.max() - math.log(2.0), _RATE_BOUNDS_PER_YEAR[0], t[0] - 20 * span - 20])
    upper = np.array(
        [logy.max() + math.log(CEILING_MAX_RATIO), _RATE_BOUNDS_PER_YEAR[1], t[-1] + 20 * span + 20]
    )
    return lower, upper


def _starts(name: str, t: np.ndarray, logy: np.ndarray) -> list[np.ndarray]:
    slope = float(_fit_exponential(t, logy)[1])
    rates = sorted({max(abs(slope), 0.05), max(2 * abs(slope), 0.1), max(abs(slope) / 2, 0.02)})
    starts = []
    y_last = float(np.exp(logy[-1]))
    for mult in (1.2, 2.0, 5.0, 30.0, 300.0):
        ceiling = mult * float(np.exp(logy.max()))
        for rate in rates:
            if name == "logistic":
                centre = t[-1] + math.log(ceiling / y_last - 1.0) / rate
            else:
                centre = t[-1] + math.log(math.log(ceiling / y_last)) / rate
            starts.append(np.array([math.log(ceiling), rate, centre]))
    return starts


def _fit_saturating(
    name: str, t: np.ndarray, logy: np.ndarray, starts: list[np.ndarray] | None = None
) -> tuple[np.ndarray, bool]:
    lower, upper = _saturating_bounds(t, logy)
    best: Any = None
    for x0 in starts if starts is not None else _starts(name, t, logy):
        x0 = np.clip(x0, lower + 1e-9, upper - 1e-9)
        res = least_squares(
            lambda th: _log_curve(name, th, t) - logy, x0, bounds=(lower, upper), method="trf"
        )
        if best is None or res.cost < best.cost:
            best = res
    theta = np.asarray(best.x, dtype=float)
    at_bound = bool(theta[0] >= upper[0] - 1e-3)
    return theta, at_bound


def _fit_one(
    name: ModelName,
    t: np.ndarray,
    logy: np.ndarray,
    t0_year: float,
    start: np.ndarray | None = None,
) -> ModelFit:
    if name == "exponential":
        theta, at_bound = _fit_exponential(t, logy), False
    else:
        theta, at_bound = _fit_saturating(name, t, logy, None if start is None else [start])
    resid = logy - _log_curve(name, theta, t)
    return ModelFit(
        name=name,
        theta=theta,
        t0_year=t0_year,
        n=len(t),
        rss_log=float(resid @ resid),
        residuals_log=resid,
        at_bound=at_bound,
    )


@dataclass
class GrowthFit:
    """Every requested model fitted to one series, and the one the criterion chose."""

    series: pd.Series
    fits: dict[str, ModelFit]
    criterion: Criterion
    model: ModelName
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def chosen(self) -> ModelFit:
        return self.fits[self.model]

    @property
    def parameters(self) -> dict[str, float]:
        return self.chosen.parameters

    @property
    def t0_year(self) -> float:
        return float(decimal_year(self.series.index[:1])[0])

    def scores(self, criterion: Criterion | None = None) -> dict[str, float]:
        """The criterion's value per fitted model (lower is better)."""
        crit = criterion or self.criterion
        return {name: float(getattr(f, crit)) for name, f in self.fits.items()}

    def predict(self, dates: pd.DatetimeIndex, model: str | None = None) -> np.ndarray:
        """Value of the chosen (or named) curve at ``dates``, in the series' units."""
        fit = self.fits[model or self.model]
        t = decimal_year(pd.DatetimeIndex(dates)) - self.t0_year
        return np.exp(fit.log_predict(t))


def fit_growth(
    series: pd.Series,
    models: tuple[str, ...] | list[str] = MODELS,
    criterion: Criterion = "aic",
    source: str = "series",
) -> GrowthFit:
    """Fit exponential, logistic and Gompertz curves to an observed series and pick one.

    Each curve is fitted by least squares on ln(value) (scipy): the exponential in closed form,
    the saturating curves with bounded trust-region least squares from several starts. The
    models are compared by AIC, AICc or BIC on the log residuals, counting the noise variance as
    a parameter; the lowest score wins.

    Parameters
    ----------
    series : pandas.Series
        Observed values (any positive unit, e.g. tokens per day) on a DatetimeIndex.
    models : sequence of str
        Candidate models among ``exponential``, ``logistic``, ``gompertz``.
    criterion : {"aic", "aicc", "bic"}
        Information criterion used to choose.
    source : str
        Name used in error messages (e.g. the file name).

    Returns
    -------
    GrowthFit

    Raises
    ------
    DataError
        Bad series (see :func:`gridfirst.demand.series.validate_series`), unknown model or
        criterion, or too few points for every requested model.

    References
    ----------
    .. [1] Burnham, K. P., Anderson, D. R. (2002). Model Selection and Multimodel Inference,
       2nd ed. Springer (AIC, AICc).
    .. [2] Tjørve, K. M. C., Tjørve, E. (2017). The use of Gompertz models in growth analyses,
       and new Gompertz-model approach. PLoS ONE 12(6): e0178691.
    """
    clean = validate_series(series, source=source)
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise DataError(f"models: {unknown or list(models)} not among {list(MODELS)}")
    if criterion not in CRITERIA:
        raise DataError(f"criterion: {criterion!r} is not one of {list(CRITERIA)}")
    t_year = decimal_year(clean.index)
    t = t_year - t_year[0]
    logy = np.log(clean.to_numpy())
    fits: dict[str, ModelFit] = {}
    skipped: dict[str, str] = {}
    for name in models:
        need = MIN_POINTS_BY_MODEL[name]
        if len(t) < need:
            skipped[name] = f"needs at least {need} points, the series has {len(t)}"
            continue
        fits[name] = _fit_one(name, t, logy, float(t_year[0]))  # type: ignore[arg-type]
    if not fits:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        raise DataError(f"{source}: no model can be fitted ({reasons})")
    scores = {name: getattr(f, criterion) for name, f in fits.items()}
    # Ties (e.g. a ceiling at its bound reproducing the exponential) go to the simpler model.
    chosen = min(scores, key=lambda m: (round(scores[m], 9), _N_PARAMS[m]))
    return GrowthFit(
        series=clean,
        fits=fits,
        criterion=criterion,
        model=fits[chosen].name,
        skipped=skipped,
    )


@dataclass
class Forecast:
    """The chosen curve at future (and past) dates with bootstrap bands and extrapolation facts."""

    table: pd.DataFrame
    """Indexed by date: ``year``, ``value``, ``low``, ``high`` (series units), ``years_beyond_data``
    and ``extrapolated`` (bool)."""
    model: str
    level: float
    n_boot: int
    n_boot_failed: int
    seed: int
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    warnings: list[str] = field(default_factory=list)

    @property
    def data_span_years(self) -> float:
        return float((self.data_end - self.data_start).days / 365.25)

    @property
    def max_extrapolation_years(self) -> float:
        """How far the last forecast date lies beyond the last observation [years]."""
        return float(self.table["years_beyond_data"].max()) if len(self.table) else 0.0

    @property
    def extrapolation_note(self) -> str:
        span = self.data_span_years
        beyond = self.max_extrapolation_years
        ratio = beyond / span if span > 0 else math.inf
        return (
            f"the forecast runs {beyond:.1f} years beyond the last observation "
            f"({self.data_end.date()}); the data span {span:.1f} years "
            f"({self.data_start.date()} to {self.data_end.date()}), so the forecast reaches "
            f"{ratio:.1f}x the observed span past the data"
        )

    def extrapolation(self) -> dict[str, Any]:
        span = self.data_span_years
        beyond = self.max_extrapolation_years
        return {
            "data_start": str(self.data_start.date()),
            "data_end": str(self.data_end.date()),
            "data_span_years": round(span, 3),
            "max_years_beyond_data": round(beyond, 3),
            "ratio_to_span": round(beyond / span, 3) if span > 0 else None,
            "note": self.extrapolation_note,
        }


def year_dates(years: list[int] | range, at: Literal["end", "mid"] = "end") -> pd.DatetimeIndex:
    """The date standing for each year: 31 December (capacity needed by year end) or 2 July."""
    if at == "end":
        return pd.DatetimeIndex([pd.Timestamp(year=y, month=12, day=31) for y in years])
    if at == "mid":
        return pd.DatetimeIndex([pd.Timestamp(year=y, month=7, day=2) for y in years])
    raise DataError(f"at: {at!r} is not 'end' or 'mid'")


def forecast(
    fit: GrowthFit,
    years: list[int] | range | None = None,
    dates: pd.DatetimeIndex | None = None,
    at: Literal["end", "mid"] = "end",
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.8,
) -> Forecast:
    """Evaluate the chosen curve at future dates with a residual-bootstrap band.

    The band comes from refitting the chosen model to ``n_boot`` series rebuilt from the fitted
    curve plus resampled, degrees-of-freedom-inflated log residuals (a residual bootstrap); it
    is the uncertainty of the trend, not of single observations, and it covers only the chosen
    model's shape. Every row states how far it lies beyond the last observation; a warning is
    added when the forecast reaches further past the data than the data span.

    Parameters
    ----------
    fit : GrowthFit
    years : list of int, optional
        Calendar years; each stands for its 31 December (``at="end"``) or 2 July (``"mid"``).
    dates : pandas.DatetimeIndex, optional
        Explicit dates instead of ``years``.
    n_boot : int
        Bootstrap resamples: 0 (no band: low = high = value, with a warning) or at least
        :data:`MIN_BOOTSTRAP`.
    seed : int
        Seed of the resampling (numpy ``default_rng``).
    level : float
        Central coverage of the band, e.g. 0.8 for the 10th to 90th percentile.

    Returns
    -------
    Forecast

    References
    ----------
    .. [1] Efron, B., Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 9
       (bootstrapping regression residuals). Chapman & Hall.
    """
    if not 0 < level < 1:
        raise DataError(f"level: {level!r} must lie strictly between 0 and 1")
    if n_boot != 0 and n_boot < MIN_BOOTSTRAP:
        raise DataError(
            f"n_boot: {n_boot} bootstrap resamples are too few for a band; give at least "
            f"{MIN_BOOTSTRAP} (or 0 for no band)"
        )
    if dates is None:
        if years is None:
            raise DataError("forecast: give years or dates")
        dates = year_dates(years, at)
    dates = pd.DatetimeIndex(dates)
    chosen = fit.chosen
    t_obs = decimal_year(fit.series.index) - fit.t0_year
    t_new = decimal_year(dates) - fit.t0_year
    base = np.exp(chosen.log_predict(t_new))

    failed = 0
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        fitted = chosen.log_predict(t_obs)
        resid = chosen.residuals_log - chosen.residuals_log.mean()
        dof = max(chosen.n - _N_PARAMS[chosen.name], 1)
        resid = resid * math.sqrt(chosen.n / dof)
        draws = []
        for _ in range(n_boot):
            sample = fitted + resid[rng.integers(0, chosen.n, chosen.n)]
            try:
                refit = _fit_one(chosen.name, t_obs, sample, chosen.t0_year, start=chosen.theta)
            except (ValueError, np.linalg.LinAlgError):
                failed += 1
                continue
            draws.append(refit.log_predict(t_new))
        if draws:
            stack = np.vstack(draws)
            lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
            low = np.exp(np.quantile(stack, lo_q, axis=0))
            high = np.exp(np.quantile(stack, hi_q, axis=0))
        else:
            low, high = base.copy(), base.copy()
    else:
        low, high = base.copy(), base.copy()
    # The point curve need not sit inside finite-sample quantiles; keep low <= value <= high.
    low = np.minimum(low, base)
    high = np.maximum(high, base)

    data_end = fit.series.index[-1]
    beyond = np.maximum((dates - data_end).days.to_numpy() / 365.25, 0.0)
    table = pd.DataFrame(
        {
            "year": dates.year,
            "value": base,
            "low": low,
            "high": high,
            "years_beyond_data": beyond,
            "extrapolated": dates > data_end,
        },
        index=dates,
    )
    table.index.name = "date"
    result = Forecast(
        table=table,
        model=chosen.name,
        level=level,
        n_boot=n_boot,
        n_boot_failed=failed,
        seed=seed,
        data_start=fit.series.index[0],
        data_end=data_end,
    )
    span = result.data_span_years
    if result.max_extrapolation_years > span:
        result.warnings.append(
            f"extrapolation: {result.extrapolation_note}; treat the later years as a scenario, "
            "not a measurement"
        )
    if chosen.at_bound:
        result.warnings.append(
            f"{chosen.name}: the ceiling sits at its bound ({CEILING_MAX_RATIO:g}x the largest "
            "observation); the data do not yet show saturation"
        )
    if n_boot == 0:
        result.warnings.append(
            "bootstrap: 0 resamples, so there is no band (low = high = value); the forecast's "
            "uncertainty is not shown"
        )
    if failed:
        result.warnings.append(f"bootstrap: {failed} of {n_boot} refits failed and were dropped")
    return result
