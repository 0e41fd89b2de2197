"""The demand outlook: growth fit -> forecast with bands -> IT MW -> split by region, as the
:class:`gridfirst.scenario.DemandOutlook` the planner reads, and writing it into a scenario.

This module wires the steps together; each step lives in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from gridfirst.demand.conversion import ConversionChain, conversion_chain, facility_mw
from gridfirst.demand.growth import MODELS, Criterion, Forecast, GrowthFit, fit_growth, forecast
from gridfirst.demand.split import check_shares, population_shares, split_by_shares
from gridfirst.demand.yaml_splice import splice_keys
from gridfirst.errors import ScenarioError
from gridfirst.scenario import (
    TRAINING_POOL,
    DemandOutlook,
    DemandPoint,
    DemandRegion,
    Scenario,
    load_scenario,
    scenario_from_dict,
)

_BAND = ["mw", "low_mw", "high_mw"]


def _points(frame: pd.DataFrame, workload: str) -> list[DemandPoint]:
    points = []
    for row in frame.itertuples(index=False):
        mw, low, high = (
            round(float(row.mw), 3),
            round(float(row.low_mw), 3),
            round(float(row.high_mw), 3),
        )
        points.append(
            DemandPoint(
                region=str(row.region),
                year=int(row.year),
                workload=workload,  # type: ignore[arg-type]
                mw=mw,
                low_mw=min(low, mw),
                high_mw=max(high, mw),
            )
        )
    return points


def to_outlook(
    inference_mw: pd.DataFrame | None = None,
    training_mw: pd.DataFrame | None = None,
    regions: Sequence[DemandRegion] = (),
    shares: Mapping[str, float] | None = None,
    radius_km: float = 50.0,
) -> DemandOutlook:
    """Build a :class:`DemandOutlook` from yearly IT MW totals with bands.

    Parameters
    ----------
    inference_mw, training_mw : pandas.DataFrame, optional
        Indexed by year with columns ``mw``, ``low_mw``, ``high_mw`` [IT MW].
    regions : sequence of DemandRegion
        Where users sit; inference is split over them.
    shares : mapping, optional
        Region id -> share of inference demand, summing to 1. When omitted, shares follow the
        population within ``radius_km`` of each region
        (:func:`gridfirst.demand.split.population_shares`). Without ``regions``, the share keys
        are the region ids (the outlook then lists no region coordinates).

    Returns
    -------
    DemandOutlook
        Inference points per region and year; training points in the ``training`` pool.
    """
    points: list[DemandPoint] = []
    if inference_mw is not None:
        if not regions and shares is None:
            raise ScenarioError(
                "demand.regions: inference demand needs at least one region (or shares) to go to"
            )
        ids = [r.id for r in regions] if regions else None
        used = (
            check_shares(shares, ids)
            if shares is not None
            else population_shares(regions, radius_km)
        )
        points += _points(split_by_shares(inference_mw[_BAND], used), "inference")
    if training_mw is not None:
        frame = training_mw[_BAND].assign(region=TRAINING_POOL, year=training_mw.index.to_numpy())
        points += _points(frame, "training")
    return DemandOutlook(regions=list(regions), points=points)


@dataclass
class DemandResult:
    """Everything one demand run produced: the fit, the forecast, the MW and the outlook."""

    fit: GrowthFit
    forecast: Forecast
    chain: ConversionChain
    totals: pd.DataFrame
    """By year: ``value, low, high`` (series units), ``years_beyond_data``, ``mw, low_mw,
    high_mw`` (IT MW) and, with a PUE, ``facility_mw, facility_low_mw, facility_high_mw``."""
    outlook: DemandOutlook | None
    shares: dict[str, float] | None = None
    share_method: str | None = None
    pue: float | None = None
    pue_source: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: ``model``, ``parameters``, ``aic``, ``forecast`` and more."""
        fit = self.fit
        forecast_rows = []
        for date, row in self.totals.iterrows():
            rec = {"date": str(pd.Timestamp(row["date"]).date()), "year": int(date)}  # type: ignore[call-overload]
            for col in self.totals.columns:
                if col in ("date",):
                    continue
                value = row[col]
                rec[col] = bool(value) if col == "extrapolated" else float(value)
            forecast_rows.append(rec)
        return {
            "model": fit.model,
            "parameters": fit.parameters,
            "aic": fit.scores("aic"),
            "aicc": fit.scores("aicc"),
            "bic": fit.scores("bic"),
            "criterion": fit.criterion,
            "derived": fit.chosen.derived,
            "all_parameters": {name: f.parameters for name, f in fit.fits.items()},
            "skipped_models": fit.skipped,
            "series": {
                "name": str(fit.series.name),
                "points": len(fit.series),
                "first": str(fit.series.index[0].date()),
                "last": str(fit.series.index[-1].date()),
            },
            "band": {
                "level": self.forecast.level,
                "bootstrap_resamples": self.forecast.n_boot,
                "failed_resamples": self.forecast.n_boot_failed,
                "seed": self.forecast.seed,
            },
            "extrapolation": self.forecast.extrapolation(),
            "forecast": forecast_rows,
            "conversion": {
                "quantity": self.chain.quantity,
                "workload": self.chain.workload,
                "it_mw_per_unit": self.chain.it_mw_per_unit,
                "factors": self.chain.factors(),
                "pue": self.pue,
                "pue_source": self.pue_source,
            },
            "shares": self.shares,
            "share_method": self.share_method,
            "outlook": [p.model_dump() for p in self.outlook.points] if self.outlook else [],
            "warnings": self.warnings,
        }


#: Largest IT load a forecast may reach [MW]: about ten times the world's data centres in 2024
#: (IEA, Energy and AI, 2025: about 415 TWh, some 50 GW of average load). Beyond it a series'
#: units or quantity are wrong, and the outlook would only carry a meaningless number on.
MAX_PLAUSIBLE_IT_MW = 500_000.0


def _check_plausible(totals: pd.DataFrame, quantity: str, source: str) -> None:
    """Refuse a forecast that is not finite or is beyond any plausible load."""
    for col in ("mw", "low_mw", "high_mw"):
        values = totals[col].to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values > MAX_PLAUSIBLE_IT_MW)
        if bad.any():
            year = int(totals.index[np.flatnonzero(bad)[0]])
            shown = values[np.flatnonzero(bad)[0]]
            raise ScenarioError(
                f"{source}: the forecast reaches {shown:.3g} IT MW ({col}) in {year}, beyond "
                f"{MAX_PLAUSIBLE_IT_MW:,.0f} MW (ten times all data centres today); check the "
                f"series' units and --quantity {quantity!r}"
            )


def demand_outlook(
    series: pd.Series,
    quantity: str,
    years: Sequence[int],
    chain: ConversionChain | None = None,
    regions: Sequence[DemandRegion] = (),
    shares: Mapping[str, float] | None = None,
    models: Sequence[str] = MODELS,
    criterion: Criterion = "aic",
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.8,
    at: Literal["end", "mid"] = "end",
    pue: float | None = None,
    radius_km: float = 50.0,
    source: str = "series",
    pue_source: str | None = None,
) -> DemandResult:
    """From an observed series to a regional outlook in one call.

    Fits the growth models (:func:`~gridfirst.demand.growth.fit_growth`), forecasts ``years``
    with bootstrap bands (:func:`~gridfirst.demand.growth.forecast`), converts value, low and
    high to IT MW with ``chain`` (default: the bundled H100 chain for ``quantity``), optionally
    to facility MW with ``pue`` (``pue_source`` says where it came from, see
    :func:`~gridfirst.demand.conversion.resolve_pue`), and splits inference over ``regions``
    (user ``shares`` or population). ``shares`` alone (no ``regions``) splits over the share
    keys; they must sum to 1 either way.

    Returns
    -------
    DemandResult
        ``outlook`` is None when neither regions nor shares are given and the workload is
        inference.
    """
    fit = fit_growth(series, models=tuple(models), criterion=criterion, source=source)
    fc = forecast(fit, years=list(years), n_boot=n_boot, seed=seed, level=level, at=at)
    chain = chain or conversion_chain(quantity)
    table = fc.table
    totals = pd.DataFrame(
        {
            "date": table.index,
            "value": table["value"].to_numpy(),
            "low": table["low"].to_numpy(),
            "high": table["high"].to_numpy(),
            "years_beyond_data": table["years_beyond_data"].to_numpy(),
            "extrapolated": table["extrapolated"].to_numpy(),
            "mw": chain.it_mw(table["value"].to_numpy()),
            "low_mw": chain.it_mw(table["low"].to_numpy()),
            "high_mw": chain.it_mw(table["high"].to_numpy()),
        },
        index=pd.Index(table["year"].to_numpy(), name="year"),
    )
    _check_plausible(totals, quantity, source)
    if pue is not None:
        for col in _BAND:
            totals[f"facility_{col}"] = facility_mw(totals[col].to_numpy(), pue)
    warnings = list(fc.warnings)
    outlook: DemandOutlook | None = None
    used_shares: dict[str, float] | None = None
    method: str | None = None
    if chain.workload == "training":
        if shares is not None:
            warnings.append(
                f"shares: ignored for {quantity} (training demand goes to the "
                f"{TRAINING_POOL!r} pool, not to user regions)"
            )
        outlook = to_outlook(training_mw=totals[_BAND], regions=regions)
    elif regions or shares is not None:
        ids = [r.id for r in regions] if regions else None
        if shares is not None:
            used_shares, method = check_shares(shares, ids), "user shares"
        else:
            used_shares = population_shares(regions, radius_km)
            method = f"population within {radius_km:g} km (GeoNames cities > 15,000)"
        outlook = to_outlook(inference_mw=totals[_BAND], regions=regions, shares=used_shares)
    return DemandResult(
        fit=fit,
        forecast=fc,
        chain=chain,
        totals=totals,
        outlook=outlook,
        shares=used_shares,
        share_method=method,
        pue=pue,
        pue_source=pue_source if pue is not None else None,
        warnings=warnings,
    )


def scenario_shares(scenario: Scenario) -> dict[str, float] | None:
    """User shares from ``options.demand.shares`` of a scenario, if any."""
    shares = scenario.options.demand.shares
    if shares is None:
        return None
    return check_shares(
        {str(k): float(v) for k, v in shares.items()}, [r.id for r in scenario.demand.regions]
    )


def write_outlook(
    scenario_path: str | Path, outlook: DemandOutlook, out_path: str | Path
) -> Scenario:
    """Write ``outlook`` into a copy of a scenario file and validate the result.

    Points of the workloads the outlook covers are replaced; points of other workloads and the
    scenario's regions are kept (the outlook's regions are added when the scenario has none).
    Only the text of ``demand.points`` (and of an added ``demand.regions``) is rewritten, so the
    rest of the file keeps its comments and layout (:func:`~gridfirst.demand.yaml_splice.
    splice_keys`); comments inside the replaced ``points`` block go. A file whose layout that
    cannot handle (flow-style root, anchors used across the block) is written out whole by
    PyYAML instead, without comments.

    Returns
    -------
    Scenario
        The validated new scenario (also written to ``out_path``).
    """
    src, dst = Path(scenario_path), Path(out_path)
    if dst.exists() and dst.resolve() == src.resolve():
        raise ScenarioError(f"--out: {dst} is the input scenario; write the outlook to a new file")
    load_scenario(src)  # the input must be valid before we change it
    text = src.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    demand = dict(raw.get("demand") or {})
    covered = {p.workload for p in outlook.points}
    kept = [p for p in demand.get("points") or [] if p.get("workload") not in covered]
    demand["points"] = kept + [p.model_dump(mode="json") for p in outlook.points]
    changed = ["points"]
    if not demand.get("regions") and outlook.regions:
        demand["regions"] = [r.model_dump(mode="json") for r in outlook.regions]
        changed.append("regions")
    raw["demand"] = demand
    scenario = scenario_from_dict(raw, source=dst.name)
    new_text = splice_keys(text, raw, ("demand",), changed)
    if new_text is None or _loads_or_none(new_text) != raw:
        new_text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    dst.write_text(new_text, encoding="utf-8")
    return scenario


def _loads_or_none(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
