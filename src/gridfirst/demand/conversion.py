"""The conversion chain from observed usage to megawatts: tokens (or requests, users, revenue)
per day -> accelerators -> IT MW -> facility MW, and training FLOP per year -> accelerators -> MW.

Every factor is a named parameter: bundled and sourced in ``data/accelerators.yaml``, or set by
the user. The chain is linear in the observed quantity; it holds no growth model.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gridfirst.errors import DataError, ScenarioError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from gridfirst.scenario import Market, Scenario

SECONDS_PER_DAY = 86_400.0
DAYS_PER_YEAR = 365.25
SECONDS_PER_YEAR = SECONDS_PER_DAY * DAYS_PER_YEAR

Quantity = Literal[
    "tokens_per_day",
    "tokens_per_month",
    "requests_per_day",
    "weekly_active_users",
    "revenue_usd_per_year",
    "accelerators",
    "training_flop_per_year",
]
QUANTITIES: tuple[str, ...] = (
    "tokens_per_day",
    "tokens_per_month",
    "requests_per_day",
    "weekly_active_users",
    "revenue_usd_per_year",
    "accelerators",
    "training_flop_per_year",
)
WorkloadName = Literal["inference", "training"]


class AcceleratorSpec(BaseModel):
    """One accelerator generation's parameters, each with its source id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    generation: str
    first_volume_year: int
    tdp_w: float = Field(gt=0)
    server_overhead_w: float = Field(ge=0)
    network_overhead_w: float = Field(ge=0)
    inference_tokens_per_s: float = Field(gt=0)
    peak_flop_per_s: float = Field(gt=0, description="Dense BF16 peak [FLOP/s].")
    sources: dict[str, str]
    notes: dict[str, str]

    @property
    def it_power_w(self) -> float:
        """All-in IT power per accelerator: TDP plus server and network shares [W]."""
        return self.tdp_w + self.server_overhead_w + self.network_overhead_w


_NUMERIC = (
    "tdp_w",
    "server_overhead_w",
    "network_overhead_w",
    "inference_tokens_per_s",
    "peak_flop_per_s",
)


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    from gridfirst.data import data_dir

    path = data_dir() / "accelerators.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path.name}: cannot be read: {exc}") from None
    if not isinstance(data, dict) or not {"accelerators", "sources", "defaults"} <= set(data):
        raise DataError(f"{path.name}: needs top-level keys accelerators, defaults and sources")
    return data


def accelerator_sources() -> dict[str, dict[str, Any]]:
    """The sources and assumptions behind the accelerator figures, by source id."""
    return dict(_raw()["sources"])


def accelerator_defaults() -> dict[str, float]:
    """Planning defaults (``inference_utilisation``, ``training_mfu``) from the bundled file."""
    return {k: float(v["value"]) for k, v in _raw()["defaults"].items()}


@lru_cache(maxsize=1)
def _specs() -> dict[str, AcceleratorSpec]:
    out = {}
    for acc_id, entry in _raw()["accelerators"].items():
        record: dict[str, Any] = {
            "id": acc_id,
            "name": entry.get("name"),
            "generation": entry.get("generation"),
            "first_volume_year": entry.get("first_volume_year"),
            "sources": {},
            "notes": {},
        }
        for key in _NUMERIC:
            item = entry.get(key)
            if not isinstance(item, dict) or "value" not in item or "source_id" not in item:
                raise DataError(f"accelerators.yaml: {acc_id}.{key} needs value and source_id")
            record[key] = item["value"]
            record["sources"][key] = item["source_id"]
            record["notes"][key] = str(item.get("note", ""))
        try:
            out[acc_id] = AcceleratorSpec.model_validate(record)
        except ValidationError as exc:
            raise DataError(f"accelerators.yaml: {acc_id}: {exc.errors()[0]['msg']}") from None
    return out


def accelerators() -> dict[str, AcceleratorSpec]:
    """The bundled accelerator generations by id (e.g. ``h100-sxm``, ``gb200-nvl72``)."""
    return dict(_specs())


def accelerator(acc_id: str) -> AcceleratorSpec:
    """One bundled accelerator generation; the error lists the known ids."""
    specs = _specs()
    if acc_id not in specs:
        raise DataError(f"accelerator: {acc_id!r} is not bundled; known: {sorted(specs)}")
    return specs[acc_id]


# -- the chain, one plain function per step ---------------------------------------------------


def tokens_per_day(
    values: ArrayLike,
    quantity: str,
    tokens_per_request: float | None = None,
    tokens_per_user_per_day: float | None = None,
    usd_per_million_tokens: float | None = None,
) -> np.ndarray:
    """Served tokens per day from an observed usage quantity.

    Parameters
    ----------
    values : array_like
        Observed quantity in its own unit.
    quantity : str
        ``tokens_per_day``; ``tokens_per_month`` (x 12 / 365.25); ``requests_per_day`` (x
        ``tokens_per_request``); ``weekly_active_users`` (x ``tokens_per_user_per_day``);
        ``revenue_usd_per_year`` (/ 365.25 / ``usd_per_million_tokens`` x 1e6).
    """
    x = np.asarray(values, dtype=float)
    if quantity == "tokens_per_day":
        return x
    if quantity == "tokens_per_month":
        return x * 12.0 / DAYS_PER_YEAR
    if quantity == "requests_per_day":
        return x * _need(tokens_per_request, "tokens_per_request", quantity)
    if quantity == "weekly_active_users":
        return x * _need(tokens_per_user_per_day, "tokens_per_user_per_day", quantity)
    if quantity == "revenue_usd_per_year":
        price = _need(usd_per_million_tokens, "usd_per_million_tokens", quantity)
        return x / DAYS_PER_YEAR / price * 1.0e6
    raise DataError(f"quantity: {quantity!r} is not a usage quantity; one of {list(QUANTITIES)}")


def _need(value: float | None, name: str, quantity: str) -> float:
    if value is None:
        raise DataError(f"{name}: required to convert {quantity} to tokens per day")
    if not np.isfinite(value) or value <= 0:
        raise DataError(f"{name}: {value!r} must be a positive number")
    return float(value)


def accelerator_hours_per_day(
    tokens_day: ArrayLike, tokens_per_s_per_accelerator: float
) -> np.ndarray:
    """Busy accelerator-hours per day needed to serve ``tokens_day`` tokens [h/day]."""
    return np.asarray(tokens_day, dtype=float) / (tokens_per_s_per_accelerator * 3600.0)


def accelerators_for_tokens(
    tokens_day: ArrayLike, tokens_per_s_per_accelerator: float, utilisation: float
) -> np.ndarray:
    """Accelerators to provision: busy hours per day over 24 h at an average ``utilisation``.

    ``accelerators = tokens_per_day / (86400 s * tokens_per_s_per_accelerator * utilisation)``.
    """
    hours = accelerator_hours_per_day(tokens_day, tokens_per_s_per_accelerator)
    return hours / (24.0 * utilisation)


def accelerators_for_training(
    flop_per_year: ArrayLike, peak_flop_per_s: float, mfu: float
) -> np.ndarray:
    """Accelerators running all year at model-FLOPs utilisation ``mfu`` to deliver the FLOP.

    ``accelerators = flop_per_year / (peak_flop_per_s * mfu * 365.25 * 86400 s)``.
    """
    return np.asarray(flop_per_year, dtype=float) / (peak_flop_per_s * mfu * SECONDS_PER_YEAR)


def it_mw(accelerator_count: ArrayLike, it_power_per_accelerator_w: float) -> np.ndarray:
    """IT load of ``accelerator_count`` accelerators at an all-in power each [MW]."""
    return np.asarray(accelerator_count, dtype=float) * it_power_per_accelerator_w / 1.0e6


def facility_mw(it_load_mw: ArrayLike, pue: float) -> np.ndarray:
    """Facility (grid) load from IT load and power usage effectiveness [MW]."""
    if not 1.0 <= pue <= 3.0:
        raise DataError(f"pue: {pue!r} must lie in [1, 3]")
    return np.asarray(it_load_mw, dtype=float) * pue


def facility_mw_for_market(it_load_mw: ArrayLike, market: Market) -> np.ndarray:
    """Facility load in a market at its climate-dependent design PUE (``Market.design_pue``)."""
    return facility_mw(it_load_mw, market.design_pue)


def resolve_pue(
    market_id: str | None = None,
    scenario: Scenario | None = None,
    pue: float | None = None,
) -> tuple[float, str] | None:
    """The PUE that turns IT MW into facility MW, and where it comes from.

    Parameters
    ----------
    market_id : str, optional
        A market whose climate-based design PUE (``Market.design_pue``) to use: looked up among
        the ``scenario``'s markets (with its overrides) when a scenario is given, otherwise among
        the bundled markets.
    scenario : Scenario, optional
        Where to look the market up.
    pue : float, optional
        A PUE set by the user [-], in [1, 3]. Give either ``pue`` or ``market_id``, not both.

    Returns
    -------
    tuple of (float, str) or None
        The PUE [-] and a phrase naming its origin; None when neither ``pue`` nor ``market_id``
        is given (no facility MW).

    Raises
    ------
    ScenarioError
        Both given, or an unknown market (naming the known ones).
    DataError
        A user PUE outside [1, 3].
    """
    if pue is not None and market_id is not None:
        raise ScenarioError(
            f"pue: give a PUE ({pue:g}) or a market ({market_id!r}) to take it from, not both"
        )
    if pue is not None:
        if not 1.0 <= pue <= 3.0:
            raise DataError(f"pue: {pue:g} must lie in [1, 3]")
        return float(pue), "user-set"
    if market_id is None:
        return None
    if scenario is not None:
        market = scenario.market(market_id)
        return market.design_pue, f"design PUE of market {market_id} (scenario {scenario.name})"
    from gridfirst.data import bundled_markets

    known = {m.id: m for m in bundled_markets()}
    if market_id not in known:
        raise ScenarioError(
            f"market: {market_id!r} is not a bundled market; known: {', '.join(sorted(known))}"
        )
    return known[market_id].design_pue, f"design PUE of bundled market {market_id}"


# -- the chain as one named object ------------------------------------------------------------


@dataclass(frozen=True)
class ConversionChain:
    """Every factor from the observed quantity to IT MW, named, with its origin.

    ``it_mw(values)`` is linear in ``values``; :attr:`it_mw_per_unit` is its slope.
    """

    quantity: str
    workload: WorkloadName
    accelerator: str
    it_power_per_accelerator_w: float
    tokens_per_s_per_accelerator: float | None = None
    utilisation: float | None = None
    peak_flop_per_s: float | None = None
    mfu: float | None = None
    tokens_per_request: float | None = None
    tokens_per_user_per_day: float | None = None
    usd_per_million_tokens: float | None = None
    served_share: float = 1.0
    """Share of the observed quantity this plan must serve (e.g. one continent's share) [-]."""
    origins: tuple[tuple[str, str], ...] = ()

    def accelerators(self, values: ArrayLike) -> np.ndarray:
        """Accelerators needed for ``values`` of the observed quantity (times ``served_share``)."""
        values = np.asarray(values, dtype=float) * self.served_share
        if self.quantity == "accelerators":
            return values
        if self.workload == "training":
            assert self.peak_flop_per_s is not None and self.mfu is not None
            return accelerators_for_training(values, self.peak_flop_per_s, self.mfu)
        assert self.tokens_per_s_per_accelerator is not None and self.utilisation is not None
        tokens = tokens_per_day(
            values,
            self.quantity,
            self.tokens_per_request,
            self.tokens_per_user_per_day,
            self.usd_per_million_tokens,
        )
        return accelerators_for_tokens(tokens, self.tokens_per_s_per_accelerator, self.utilisation)

    def it_mw(self, values: ArrayLike) -> np.ndarray:
        """IT MW for ``values`` of the observed quantity."""
        return it_mw(self.accelerators(values), self.it_power_per_accelerator_w)

    @property
    def it_mw_per_unit(self) -> float:
        """IT MW per one unit of the observed quantity (the chain's slope)."""
        return float(self.it_mw(1.0))

    def factors(self) -> list[dict[str, Any]]:
        """The factors used, each with its value and origin (source id, 'user' or 'derived')."""
        origin = dict(self.origins)
        out = []
        for f in fields(self):
            if f.name in ("origins",):
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            out.append({"factor": f.name, "value": value, "origin": origin.get(f.name, "")})
        return out


def conversion_chain(
    quantity: str,
    accelerator_id: str = "h100-sxm",
    workload: WorkloadName | None = None,
    *,
    tokens_per_s_per_accelerator: float | None = None,
    utilisation: float | None = None,
    it_power_per_accelerator_w: float | None = None,
    mfu: float | None = None,
    peak_flop_per_s: float | None = None,
    tokens_per_request: float | None = None,
    tokens_per_user_per_day: float | None = None,
    usd_per_million_tokens: float | None = None,
    served_share: float = 1.0,
) -> ConversionChain:
    """Build the chain for ``quantity`` from a bundled accelerator, overriding any factor.

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES`. ``training_flop_per_year`` implies the training workload.
    accelerator_id : str
        Bundled generation id (``h100-sxm``, ``gb200-nvl72``).
    workload : {"inference", "training"}, optional
        Defaults to training for ``training_flop_per_year`` and inference otherwise.
    tokens_per_s_per_accelerator, utilisation, it_power_per_accelerator_w, mfu, peak_flop_per_s
        Overrides of the bundled figures [tokens/s, -, W, -, FLOP/s].
    tokens_per_request, tokens_per_user_per_day, usd_per_million_tokens
        User-set factors for ``requests_per_day``, ``weekly_active_users`` and
        ``revenue_usd_per_year`` [tokens, tokens/day, USD per 1e6 tokens].
    served_share : float
        Share of the observed quantity this plan serves, in (0, 1] (1: all of it).

    Raises
    ------
    DataError
        Unknown quantity or accelerator, a missing factor, or a factor out of range (the message
        names it).
    """
    if quantity not in QUANTITIES:
        raise DataError(f"quantity: {quantity!r} is not one of {list(QUANTITIES)}")
    spec = accelerator(accelerator_id)
    defaults = accelerator_defaults()
    if workload is None:
        workload = "training" if quantity == "training_flop_per_year" else "inference"
    if workload not in ("inference", "training"):
        raise DataError(f"workload: {workload!r} is not 'inference' or 'training'")
    if quantity == "training_flop_per_year" and workload != "training":
        raise DataError("workload: training_flop_per_year is a training quantity")
    if workload == "training" and quantity not in ("training_flop_per_year", "accelerators"):
        raise DataError(
            f"workload: training demand is given as training_flop_per_year, not {quantity}"
        )

    if not (np.isfinite(served_share) and 0 < served_share <= 1):
        raise DataError(f"served_share: {served_share!r} must lie in (0, 1]")
    origins: list[tuple[str, str]] = [
        ("accelerator", "accelerators.yaml"),
        ("served_share", "user"),
    ]

    def pick(name: str, override: float | None, bundled: float, source: str) -> float:
        if override is None:
            origins.append((name, source))
            return bundled
        if not np.isfinite(override) or override <= 0:
            raise DataError(f"{name}: {override!r} must be a positive number")
        origins.append((name, "user"))
        return float(override)

    power = pick(
        "it_power_per_accelerator_w",
        it_power_per_accelerator_w,
        spec.it_power_w,
        "derived: "
        + " + ".join(spec.sources[k] for k in ("tdp_w", "server_overhead_w", "network_overhead_w")),
    )
    kwargs: dict[str, Any] = {}
    if quantity != "accelerators" and workload == "inference":
        kwargs["tokens_per_s_per_accelerator"] = pick(
            "tokens_per_s_per_accelerator",
            tokens_per_s_per_accelerator,
            spec.inference_tokens_per_s,
            spec.sources["inference_tokens_per_s"],
        )
        util = pick(
            "utilisation",
            utilisation,
            defaults["inference_utilisation"],
            _raw()["defaults"]["inference_utilisation"]["source_id"],
        )
        if util > 1:
            raise DataError(f"utilisation: {util!r} must lie in (0, 1]")
        kwargs["utilisation"] = util
        for name, value in (
            ("tokens_per_request", tokens_per_request),
            ("tokens_per_user_per_day", tokens_per_user_per_day),
            ("usd_per_million_tokens", usd_per_million_tokens),
        ):
            if value is not None:
                kwargs[name] = _need(value, name, quantity)
                origins.append((name, "user"))
        # Fail now, not at the first call, when a usage factor is missing.
        tokens_per_day(
            1.0,
            quantity,
            kwargs.get("tokens_per_request"),
            kwargs.get("tokens_per_user_per_day"),
            kwargs.get("usd_per_million_tokens"),
        )
    if quantity == "training_flop_per_year":
        kwargs["peak_flop_per_s"] = pick(
            "peak_flop_per_s",
            peak_flop_per_s,
            spec.peak_flop_per_s,
            spec.sources["peak_flop_per_s"],
        )
        m = pick(
            "mfu", mfu, defaults["training_mfu"], _raw()["defaults"]["training_mfu"]["source_id"]
        )
        if m > 1:
            raise DataError(f"mfu: {m!r} must lie in (0, 1]")
        kwargs["mfu"] = m
    return ConversionChain(
        quantity=quantity,
        workload=workload,
        accelerator=accelerator_id,
        it_power_per_accelerator_w=power,
        served_share=float(served_share),
        origins=tuple(origins),
        **kwargs,
    )
