"""Bundled compliance tables: export rules, country groups, item classes, alliances, flashpoints,
data-residency laws and foreign-investment reviews, read and validated row by row.

This module only reads and checks tables; what a rule means for a market is
:mod:`gridfirst.compliance.export_controls`'s. A malformed file raises
:class:`gridfirst.errors.DataError` naming the file, the line (1 = header) and the field.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from gridfirst.data import SOURCE_COLUMNS, data_dir
from gridfirst.errors import DataError, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

#: Decision statuses, from least to most restrictive.
STATUSES = ("allowed", "licence_required", "presumption_of_denial", "prohibited")
#: Word that matches every country in a destination or jurisdiction field.
ANY = "any"

RULE_COLUMNS = [
    "rule_id",
    "authority",
    "applies_to_jurisdiction",
    "item_class",
    "destination",
    "destination_except",
    "status",
    "licence_policy",
    "licence_lead_time_months",
    "denial_probability",
    "licence_source_id",
    "effective",
    "superseded",
    "replaces",
    "citation",
    "source_id",
    "note",
]
GROUP_COLUMNS = ["group_id", "country", "source_id", "effective", "note"]
ITEM_CLASS_COLUMNS = ["accelerator_id", "eccn", "item_class", "source_id", "note"]
ALLIANCE_COLUMNS = ["alliance", "country", "joined", "source_id", "note"]
ALLIANCE_WEIGHT_COLUMNS = ["alliance", "kind", "hub", "weight", "source_id", "note"]
FLASHPOINT_COLUMNS = [
    "flashpoint_id",
    "name",
    "latitude",
    "longitude",
    "severity",
    "source_id",
    "note",
]
RESIDENCY_COLUMNS = [
    "country",
    "law",
    "citation",
    "effective",
    "scope",
    "rule",
    "source_id",
    "note",
]
RESIDENCY_SCOPES = {"public_sector", "personal_data", "financial", "health", "all"}
RESIDENCY_RULES = {"in_country", "transfer_conditions", "none"}
FDI_COLUMNS = [
    "country",
    "regime",
    "applies_to",
    "trigger",
    "buyer_jurisdictions",
    "lead_time_months",
    "citation",
    "source_id",
    "note",
]
#: What sets a review off: any build or acquisition, or only acquiring control of an existing firm.
FDI_TRIGGERS = ("build_or_acquisition", "acquisition")
PARAMETER_COLUMNS = ["parameter", "value", "unit", "source_id", "note"]


def compliance_data_dir() -> Path:
    """Folder of the bundled compliance tables (inside the installed package)."""
    return data_dir() / "compliance"


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes known to GeoNames (the one gazetteer)."""
    from gridfirst.data.gazetteer import country_codes as gazetteer_codes

    return frozenset(gazetteer_codes())


def check_country(code: str, what: str) -> str:
    """Return ``code`` if it is an ISO 3166-1 alpha-2 code, else raise :class:`ScenarioError`."""
    if not isinstance(code, str) or code not in country_codes():
        raise ScenarioError(
            f"{what}: {code!r} is not an ISO 3166-1 alpha-2 country code (e.g. 'US', 'HK', 'VN')"
        )
    return code


def split_list(value: str) -> tuple[str, ...]:
    """Items of a semicolon-separated field, stripped, empty items dropped."""
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


class _Table:
    """A CSV read as text with row-located checks (line numbers count the header as line 1)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        import pandas as pd

        self.path = path
        self.name = path.name
        try:
            self.frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise DataError(f"{path}: compliance table is missing") from None
        except Exception as exc:  # pragma: no cover - the message is what matters
            raise DataError(f"{self.name}: cannot be read as CSV: {exc}") from None
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise DataError(f"{self.name}: missing column(s) {missing}; expected {columns}")
        self.frame = self.frame[columns].apply(lambda col: col.str.strip())

    def fail(self, row: int, field: str, message: str) -> DataError:
        value = self.frame.at[row, field]
        return DataError(f"{self.name}: line {row + 2}, field {field}: {value!r} {message}")

    def rows(self) -> range:
        return range(len(self.frame))

    def required(self, *fields: str) -> None:
        for field in fields:
            for i in self.rows():
                if self.frame.at[i, field] == "":
                    raise self.fail(i, field, "is empty; a value is required")

    def dates(self, field: str, optional: bool = False) -> None:
        values: list[dt.date | None] = []
        for i in self.rows():
            text = self.frame.at[i, field]
            if text == "" and optional:
                values.append(None)
                continue
            try:
                values.append(dt.date.fromisoformat(text))
            except ValueError:
                raise self.fail(i, field, "is not an ISO date (YYYY-MM-DD)") from None
        self.frame[field] = values

    def numbers(self, field: str, low: float, high: float) -> None:
        values = []
        for i in self.rows():
            try:
                number = float(self.frame.at[i, field])
            except ValueError:
                raise self.fail(i, field, "is not a number") from None
            if not low <= number <= high:
                raise self.fail(i, field, f"is outside [{low}, {high}]")
            values.append(number)
        self.frame[field] = values

    def choices(self, field: str, allowed: set[str] | tuple[str, ...]) -> None:
        for i in self.rows():
            if self.frame.at[i, field] not in allowed:
                raise self.fail(i, field, f"is not one of {sorted(allowed)}")

    def countries(self, field: str, extra: set[str] | frozenset[str] = frozenset()) -> None:
        """Every item of a (semicolon list) field is a country code or one of ``extra``."""
        codes = country_codes()
        for i in self.rows():
            for item in split_list(self.frame.at[i, field]):
                if item not in codes and item not in extra:
                    raise self.fail(
                        i, field, f"names {item!r}, which is not an ISO country code or a known id"
                    )

    def sources(self, field: str, known: set[str], optional: bool = False) -> None:
        for i in self.rows():
            items = split_list(self.frame.at[i, field])
            if not items and not optional:
                raise self.fail(i, field, "is empty; every row needs a source")
            for item in items:
                if item not in known:
                    raise self.fail(
                        i, field, f"names {item!r}, which is not in sources_compliance.csv"
                    )

    def unique(self, *fields: str) -> None:
        dup = self.frame.duplicated(subset=list(fields))
        if dup.any():
            raise self.fail(int(dup.idxmax()), fields[0], f"repeats the key {list(fields)}")


def _path(path: Path | None, name: str) -> Path:
    return Path(path) if path is not None else compliance_data_dir() / name


def load_sources(path: Path | None = None) -> pd.DataFrame:
    """Sources and assumptions behind the compliance tables, indexed by ``source_id``."""
    table = _Table(_path(path, "sources_compliance.csv"), SOURCE_COLUMNS)
    table.required("source_id", "kind", "publisher", "title", "year")
    table.choices("kind", {"source", "assumption"})
    table.unique("source_id")
    for i in table.rows():
        kind, frame = table.frame.at[i, "kind"], table.frame
        if kind == "source" and frame.at[i, "url"] == "":
            raise table.fail(i, "url", "is empty; a source needs a URL")
        if kind == "assumption" and frame.at[i, "reasoning"] == "":
            raise table.fail(i, "reasoning", "is empty; an assumption needs its reasoning")
    return table.frame.set_index("source_id")


def _known_sources() -> set[str]:
    return set(compliance_sources().index)


def load_country_groups(path: Path | None = None) -> pd.DataFrame:
    """Membership of the export-control country groups used by the rules (one row a member)."""
    table = _Table(_path(path, "country_groups.csv"), GROUP_COLUMNS)
    table.required("group_id", "country")
    table.countries("country")
    table.dates("effective")
    table.sources("source_id", _known_sources())
    table.unique("group_id", "country")
    codes = country_codes()
    for i in table.rows():
        if table.frame.at[i, "group_id"] in codes:
            raise table.fail(i, "group_id", "is a country code; a group id must differ from them")
    return table.frame


def load_item_classes(path: Path | None = None) -> pd.DataFrame:
    """Export classification of each accelerator id (one row an item class it falls in)."""
    table = _Table(_path(path, "item_classes.csv"), ITEM_CLASS_COLUMNS)
    table.required("accelerator_id", "eccn", "item_class")
    table.sources("source_id", _known_sources())
    table.unique("accelerator_id", "item_class")
    return table.frame


def load_export_rules(
    path: Path | None = None,
    groups: pd.DataFrame | None = None,
    item_classes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Export-control and host-country rules, one row a rule, validated.

    Dates become :class:`datetime.date` (``superseded`` may be ``None``); lead times and
    denial probabilities become floats. Destinations and jurisdictions name ISO codes, group ids
    of ``country_groups.csv`` or ``any``.
    """
    groups = country_groups() if groups is None else groups
    item_classes = load_item_classes() if item_classes is None else item_classes
    table = _Table(_path(path, "export_rules.csv"), RULE_COLUMNS)
    table.required(
        "rule_id", "authority", "applies_to_jurisdiction", "item_class", "destination", "status"
    )
    table.required("citation")
    table.unique("rule_id")
    table.choices("status", STATUSES)
    table.choices("item_class", set(item_classes["item_class"]))
    group_ids = set(groups["group_id"]) | {ANY}
    for field in ("applies_to_jurisdiction", "destination", "destination_except"):
        table.countries(field, extra=group_ids)
    table.dates("effective")
    table.dates("superseded", optional=True)
    table.numbers("licence_lead_time_months", 0.0, 120.0)
    table.numbers("denial_probability", 0.0, 1.0)
    known = _known_sources()
    table.sources("source_id", known)
    table.sources("licence_source_id", known, optional=True)
    frame = table.frame
    rule_ids = set(frame["rule_id"])
    for i in table.rows():
        superseded = frame.at[i, "superseded"]
        if superseded is not None and superseded <= frame.at[i, "effective"]:
            raise table.fail(i, "superseded", "is not after the effective date")
        for replaced in split_list(frame.at[i, "replaces"]):
            if replaced not in rule_ids:
                raise table.fail(i, "replaces", f"names {replaced!r}, which is not a rule_id")
        numbers = frame.at[i, "licence_lead_time_months"] + frame.at[i, "denial_probability"]
        if numbers > 0 and frame.at[i, "licence_source_id"] == "":
            raise table.fail(
                i, "licence_source_id", "is empty; a lead time or denial probability needs a source"
            )
    return frame


def load_alliances(path: Path | None = None) -> pd.DataFrame:
    """Alliance memberships: alliance, country, year joined."""
    table = _Table(_path(path, "alliances.csv"), ALLIANCE_COLUMNS)
    table.required("alliance", "country")
    table.countries("country")
    table.numbers("joined", 1800, 2100)
    table.sources("source_id", _known_sources())
    table.unique("alliance", "country")
    return table.frame


def load_alliance_weights(path: Path | None = None) -> pd.DataFrame:
    """Weight of each alliance in the alliance score, and whether it binds members to a hub."""
    table = _Table(_path(path, "alliance_weights.csv"), ALLIANCE_WEIGHT_COLUMNS)
    table.required("alliance", "kind")
    table.choices("kind", {"multilateral", "hub"})
    table.countries("hub")
    table.numbers("weight", 0.0, 1.0)
    table.sources("source_id", _known_sources())
    table.unique("alliance")
    for i in table.rows():
        if table.frame.at[i, "kind"] == "hub" and table.frame.at[i, "hub"] == "":
            raise table.fail(i, "hub", "is empty; a hub alliance names its hub country")
    return table.frame.set_index("alliance")


def load_flashpoints(path: Path | None = None) -> pd.DataFrame:
    """Named flashpoints and conflict zones with a representative point and a severity weight."""
    table = _Table(_path(path, "flashpoints.csv"), FLASHPOINT_COLUMNS)
    table.required("flashpoint_id", "name")
    table.numbers("latitude", -90.0, 90.0)
    table.numbers("longitude", -180.0, 180.0)
    table.numbers("severity", 0.0, 10.0)
    table.sources("source_id", _known_sources())
    table.unique("flashpoint_id")
    return table.frame


def load_data_residency(path: Path | None = None) -> pd.DataFrame:
    """Data-residency and transfer laws per country, with scope and rule."""
    table = _Table(_path(path, "data_residency.csv"), RESIDENCY_COLUMNS)
    table.required("country", "law")
    table.countries("country")
    table.dates("effective")
    table.choices("scope", RESIDENCY_SCOPES)
    table.choices("rule", RESIDENCY_RULES)
    table.sources("source_id", _known_sources())
    return table.frame


def load_fdi_review(path: Path | None = None) -> pd.DataFrame:
    """Foreign-investment review regimes: who they catch and their lead time [months]."""
    table = _Table(_path(path, "fdi_review.csv"), FDI_COLUMNS)
    table.required("country", "regime", "buyer_jurisdictions", "citation")
    table.choices("trigger", FDI_TRIGGERS)
    table.countries("country")
    table.countries("buyer_jurisdictions", extra={"foreign"})
    table.numbers("lead_time_months", 0.0, 60.0)
    table.sources("source_id", _known_sources())
    return table.frame


def load_parameters(path: Path | None = None) -> pd.DataFrame:
    """Model parameters of the compliance package (value, unit, source), indexed by name."""
    table = _Table(_path(path, "parameters_compliance.csv"), PARAMETER_COLUMNS)
    table.required("parameter", "unit")
    table.numbers("value", -1e12, 1e12)
    table.sources("source_id", _known_sources())
    table.unique("parameter")
    return table.frame.set_index("parameter")


# Bundled tables, read once per process.


@lru_cache(maxsize=1)
def compliance_sources() -> pd.DataFrame:
    """Bundled sources and assumptions of the compliance tables."""
    return load_sources()


@lru_cache(maxsize=1)
def country_groups() -> pd.DataFrame:
    """Bundled country-group memberships."""
    return load_country_groups()


@lru_cache(maxsize=1)
def item_classes() -> pd.DataFrame:
    """Bundled export classification of the accelerators."""
    return load_item_classes()


@lru_cache(maxsize=1)
def export_rules() -> pd.DataFrame:
    """Bundled export and host-country rules."""
    return load_export_rules()


@lru_cache(maxsize=1)
def alliances() -> pd.DataFrame:
    """Bundled alliance memberships."""
    return load_alliances()


@lru_cache(maxsize=1)
def alliance_weights() -> pd.DataFrame:
    """Bundled alliance weights."""
    return load_alliance_weights()


@lru_cache(maxsize=1)
def flashpoints() -> pd.DataFrame:
    """Bundled flashpoints and conflict zones."""
    return load_flashpoints()


@lru_cache(maxsize=1)
def data_residency() -> pd.DataFrame:
    """Bundled data-residency laws."""
    return load_data_residency()


@lru_cache(maxsize=1)
def fdi_review() -> pd.DataFrame:
    """Bundled foreign-investment review regimes."""
    return load_fdi_review()


@lru_cache(maxsize=1)
def parameters() -> pd.DataFrame:
    """Bundled compliance model parameters."""
    return load_parameters()
