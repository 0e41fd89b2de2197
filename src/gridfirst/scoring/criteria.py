"""Scoring criteria as data: which market field, which direction, unit, transform and default weight.

The criteria live in ``criteria.csv`` next to this module (with the reasoning for every default
weight); this module reads them, resolves the weights of a profile and builds the decision matrix.
It does not normalise or aggregate (see :mod:`gridfirst.scoring.methods`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridfirst.errors import DataError, ScenarioError

Direction = Literal["benefit", "cost"]
PROFILES = ("training", "inference")
TRANSFORMS = ("identity", "log1p", "decay", "delay_decay", "legal_regime")
_LEGAL_SCALE = {"yes": 1.0, "limited": 0.5, "no": 0.0}
_CRITERIA_FILE = "criteria.csv"


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion.

    Attributes
    ----------
    name : str
        Criterion name, the key of ``scenario.weights``.
    field : str
        Market attribute (or derived column) the value is read from.
    unit : str
        Unit of the field, e.g. ``MW``.
    direction : {"benefit", "cost"}
        Whether more of the *transformed* value is better (benefit) or worse (cost).
    transform : str
        ``identity``, ``log1p`` (ln(1 + x)), ``decay`` (exp(-x / param)), ``delay_decay``
        (exp(-max(0, x - reference_year) / param)) or ``legal_regime`` (yes 1, limited 0.5, no 0).
    transform_param : float
        Time constant of the decays (months or years); NaN otherwise.
    group : str
        Family of the criterion (power, energy, build, governance, ...).
    weights : dict
        Default weight per profile (points; normalised to sum 1 when used).
    reasoning : str
        Why the default weights are what they are.
    """

    name: str
    field: str
    unit: str
    direction: Direction
    transform: str
    transform_param: float
    group: str
    weights: Mapping[str, float]
    reasoning: str

    @property
    def is_benefit(self) -> bool:
        return self.direction == "benefit"

    def apply(self, values: Sequence[Any], reference_year: int = 2026) -> np.ndarray:
        """Transform raw field values into criterion values (float array)."""
        if self.transform == "legal_regime":
            out = []
            for v in values:
                if v not in _LEGAL_SCALE:
                    raise ScenarioError(
                        f"criterion {self.name}: {self.field} value {v!r} is not one of "
                        f"{sorted(_LEGAL_SCALE)}"
                    )
                out.append(_LEGAL_SCALE[v])
            return np.asarray(out, dtype=float)
        x = np.asarray(values, dtype=float)
        if self.transform == "identity":
            return x
        if self.transform == "log1p":
            return np.log1p(np.maximum(x, 0.0))
        if self.transform == "decay":
            return np.exp(-np.maximum(x, 0.0) / self.transform_param)
        if self.transform == "delay_decay":
            return np.exp(-np.maximum(x - reference_year, 0.0) / self.transform_param)
        raise DataError(
            f"{_CRITERIA_FILE}: criterion {self.name}: unknown transform {self.transform!r}"
        )


@lru_cache(maxsize=1)
def _criteria_table() -> pd.DataFrame:
    path = resources.files("gridfirst.scoring") / _CRITERIA_FILE
    with resources.as_file(path) as file:
        table = pd.read_csv(file, dtype={"transform_param": float})
    required = {
        "name",
        "field",
        "unit",
        "direction",
        "transform",
        "transform_param",
        "group",
        "basis",
        "reasoning",
    } | {f"{p}_weight" for p in PROFILES}
    missing = required - set(table.columns)
    if missing:
        raise DataError(f"{_CRITERIA_FILE}: missing columns {sorted(missing)}")
    for row in table.itertuples(index=False):
        if row.direction not in ("benefit", "cost"):
            raise DataError(
                f"{_CRITERIA_FILE}: {row.name}.direction {row.direction!r} is not benefit/cost"
            )
        if row.transform not in TRANSFORMS:
            raise DataError(f"{_CRITERIA_FILE}: {row.name}.transform {row.transform!r} is unknown")
        if row.transform in ("decay", "delay_decay") and not (row.transform_param > 0):
            raise DataError(f"{_CRITERIA_FILE}: {row.name}.transform_param must be > 0 for a decay")
    if table["name"].duplicated().any():
        raise DataError(f"{_CRITERIA_FILE}: duplicate criterion names")
    return table


def criteria_table() -> pd.DataFrame:
    """The default criteria as a table (one row per criterion, with the reasoning of the weights)."""
    return _criteria_table().copy()


def default_criteria() -> list[Criterion]:
    """The bundled criteria, power first."""
    out = []
    for row in _criteria_table().to_dict("records"):
        param = row["transform_param"]
        out.append(
            Criterion(
                name=str(row["name"]),
                field=str(row["field"]),
                unit=str(row["unit"]),
                direction=row["direction"],
                transform=str(row["transform"]),
                transform_param=float(param) if not pd.isna(param) else math.nan,
                group=str(row["group"]),
                weights={p: float(row[f"{p}_weight"]) for p in PROFILES},
                reasoning=str(row["reasoning"]),
            )
        )
    return out


def resolve_weights(
    profile: str,
    *overrides: Mapping[str, float] | None,
    criteria: Sequence[Criterion] | None = None,
) -> pd.Series:
    """Weights of a profile with overrides applied in order (later wins), not yet normalised.

    Raises
    ------
    ScenarioError
        For an unknown profile, an unknown criterion name or a negative / non-finite weight.
    """
    if profile not in PROFILES:
        raise ScenarioError(f"profile: {profile!r} is not one of {list(PROFILES)}")
    crits = list(criteria) if criteria is not None else default_criteria()
    weights = pd.Series({c.name: c.weights[profile] for c in crits}, dtype=float)
    for source_no, mapping in enumerate(overrides):
        if not mapping:
            continue
        where = "weights" if source_no == 0 else "weights argument"
        for name, value in mapping.items():
            if name not in weights.index:
                import difflib

                close = difflib.get_close_matches(str(name), list(weights.index), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ScenarioError(
                    f"{where}.{name}: {name!r} is not a scoring criterion{hint} "
                    f"(known: {', '.join(weights.index)})"
                )
            v = float(value)
            if not math.isfinite(v) or v < 0:
                raise ScenarioError(f"{where}.{name}: {value!r} must be a finite weight >= 0")
            weights[name] = v
    return weights


def field_values(
    markets: Sequence[Any], field: str, extra: pd.DataFrame | None = None
) -> list[Any]:
    """Raw values of ``field`` for each market: a Market attribute or a column of ``extra``."""
    if extra is not None and field in extra.columns:
        ids = [m.id for m in markets]
        missing = [i for i in ids if i not in extra.index or pd.isna(extra.at[i, field])]
        if missing:
            raise ScenarioError(f"{field}: no value for markets {missing}")
        return [extra.at[i, field] for i in ids]
    values = []
    for m in markets:
        if not hasattr(m, field):
            raise DataError(f"{_CRITERIA_FILE}: field {field!r} is not a Market attribute")
        values.append(getattr(m, field))
    return values


def decision_matrix(
    markets: Sequence[Any],
    criteria: Sequence[Criterion],
    reference_year: int,
    extra: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw and transformed decision matrices (markets x criteria).

    Parameters
    ----------
    markets : sequence of Market
        The candidates (anything with ``id`` and the criteria fields).
    criteria : sequence of Criterion
        Criteria to evaluate.
    reference_year : int
        Year from which energisation delays count (the scenario's start year).
    extra : pandas.DataFrame, optional
        Derived columns indexed by market id (e.g. ``user_latency_ms``) read before attributes.

    Returns
    -------
    raw, transformed : pandas.DataFrame
        Both indexed by market id with one column per criterion name.
    """
    ids = [m.id for m in markets]
    raw: dict[str, list[Any]] = {}
    transformed: dict[str, np.ndarray] = {}
    for c in criteria:
        values = field_values(markets, c.field, extra)
        raw[c.name] = values
        out = c.apply(values, reference_year=reference_year)
        if not np.all(np.isfinite(out)):
            bad = [ids[i] for i in np.flatnonzero(~np.isfinite(out))]
            raise ScenarioError(f"criterion {c.name}: field {c.field} is not finite for {bad}")
        transformed[c.name] = out
    return (
        pd.DataFrame(raw, index=pd.Index(ids, name="market_id")),
        pd.DataFrame(transformed, index=pd.Index(ids, name="market_id")),
    )
