"""Place names: market ids, market names and GeoNames city names resolved to one place.

Matching folds case and accents (Unicode NFKD), so "SÃO PAULO", "sao paulo" and "São Paulo" are
one name; among several cities of one name the most populous wins and the choice is reported.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gridfirst.errors import GridfirstError, ScenarioError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import pandas as pd

_NON_WORD = re.compile(r"[\W_]+")
# The Unicode blocks of combining diacritical marks (accents left over after NFKD).
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Other candidates a note names before "and N more" [-].
_NOTE_OTHERS = 3


def fold_name(text: str) -> str:
    """The key a place name is matched on.

    Accents are stripped (NFKD decomposition without combining diacritical marks), case is folded and every
    run of punctuation or white space becomes one space: "SÃO  PAULO" and "Sao-Paulo" both give
    ``"sao paulo"``.
    """
    if not text.isascii():
        text = _ACCENTS.sub("", unicodedata.normalize("NFKD", text))
    return _NON_WORD.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Place:
    """What a place name resolved to.

    Attributes
    ----------
    query : str
        The text as given.
    kind : str
        ``"market"`` or ``"city"``.
    id : str
        Market id, or the GeoNames id of the city.
    name, country : str
        Name and ISO 3166-1 alpha-2 country code.
    latitude, longitude : float
        Coordinates [degrees].
    population : int or None
        People in the city [persons] (None for a market).
    matched_on : str
        ``"market id"``, ``"market name"``, ``"part of a market name"``, ``"city name"`` or
        ``"alternate city name"``.
    others : tuple of str
        Labels of the other cities the name matches, in the order they rank.
    note : str
        Why this city was chosen among several of that name ("" when the name is unambiguous).
    """

    query: str
    kind: str
    id: str
    name: str
    country: str
    latitude: float
    longitude: float
    population: int | None
    matched_on: str
    others: tuple[str, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        """E.g. ``"Springfield, US (pop 170,188; 37.22, -93.30)"`` or ``"market de-frankfurt (...)"``."""
        where = f"{self.latitude:.2f}, {self.longitude:.2f}"
        if self.kind == "market":
            return f"market {self.id} ({self.name}, {self.country}; {where})"
        return f"{self.name}, {self.country} (pop {self.population:,}; {where})"

    @property
    def resolved(self) -> str:
        """``"<query> -> <label>"``."""
        return f"{self.query} -> {self.label}"


def _city_label(city: dict[str, Any]) -> str:
    lat, lon = float(city["latitude"]), float(city["longitude"])
    return f"{city['name']}, {city['country']} (pop {int(city['population']):,}; {lat:.2f}, {lon:.2f})"


@lru_cache(maxsize=1)
def _ranked_cities() -> tuple[dict[str, Any], ...]:
    from gridfirst.data.gazetteer import city_records

    cities = city_records()
    return tuple(sorted(cities, key=lambda c: (-int(c["population"]), int(c["geonameid"]))))


def _index(names: Callable[[dict[str, Any]], Iterable[str]]) -> dict[str, tuple[dict, ...]]:
    # Cities in rank order, so each key's list comes out most populous first, without repeats.
    index: dict[str, list[dict[str, Any]]] = {}
    for city in _ranked_cities():
        for name in names(city):
            key = fold_name(name)
            if key:
                found = index.setdefault(key, [])
                if not found or found[-1] is not city:
                    found.append(city)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=1)
def city_name_index() -> dict[str, tuple[dict[str, Any], ...]]:
    """GeoNames cities by folded ``name`` and ``asciiname``, most populous first."""
    return _index(lambda c: (c["name"], c["asciiname"]))


@lru_cache(maxsize=1)
def city_alternate_index() -> dict[str, tuple[dict[str, Any], ...]]:
    """GeoNames cities by folded ``alternatenames`` (other spellings, languages), most populous first.

    Built on first use (about 0.5 s for 300,000 names).
    """
    return _index(lambda c: c["alternatenames"])


def find_cities(name: str) -> tuple[list[dict[str, Any]], str]:
    """GeoNames cities a name matches, in rank order, and how they matched.

    Cities whose own name (``name`` or ``asciiname``) matches come first, most populous first,
    then cities that carry it among their ``alternatenames``; a city's own name outranks an
    alternate name, so "Victoria" is Victoria, HK, not Hong Kong (one of whose alternate names
    it is). Returns ``([], "")`` when nothing matches.
    """
    key = fold_name(name)
    if not key:
        return [], ""
    own = list(city_name_index().get(key, ()))
    alternate = city_alternate_index().get(key, ())
    seen = {int(c["geonameid"]) for c in own}
    rest = [c for c in alternate if int(c["geonameid"]) not in seen]
    if own:
        return own + rest, "city name"
    return rest, "alternate city name" if rest else ""


def _market_table(markets: pd.DataFrame | None) -> pd.DataFrame | None:
    if markets is not None:
        return markets
    try:
        from gridfirst.data import market_identities

        return market_identities()
    except GridfirstError:  # market data being edited: cities still resolve
        return None


def _market_place(query: str, table: pd.DataFrame, mid: str, matched_on: str) -> Place:
    row = table.loc[mid]
    return Place(
        query=query,
        kind="market",
        id=str(mid),
        name=str(row["name"]),
        country=str(row["country"]),
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        population=None,
        matched_on=matched_on,
    )


def _market_names(table: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """Folded full market name -> id, and folded name part ("Inzai", "Ashburn") -> id."""
    full: dict[str, str] = {}
    parts: dict[str, str] = {}
    for mid, name in zip(table.index, table["name"], strict=True):
        full.setdefault(fold_name(str(name)), str(mid))
        for part in re.split(r"[/()]", str(name)):
            key = fold_name(part)
            if key:
                parts.setdefault(key, str(mid))
    return full, parts


def resolve_place(
    text: str, markets: pd.DataFrame | None = None, cities_first: bool = False
) -> Place:
    """Resolve a market id, a market name or a city name, case- and accent-insensitively.

    Order: market id; full market name ("Frankfurt", "Tokyo / Inzai"); city name (GeoNames
    ``name`` or ``asciiname``); a part of a market name ("Inzai", "Ashburn",
    "Northern Virginia"); alternate city name (GeoNames ``alternatenames``: "Frankfurt",
    "Bombay", "Saigon"). A city's own name outranks a part of a market name, so "Tokyo" and
    "London" are the cities (the markets are "jp-tokyo-inzai" and "gb-london"). Among several
    cities the most populous wins; :attr:`Place.note` says so and names the others.

    Parameters
    ----------
    text : str
        The name.
    markets : pandas.DataFrame, optional
        Markets to match, indexed by id with ``name, country, latitude, longitude``; default
        the bundled markets (:func:`gridfirst.data.market_identities`).
    cities_first : bool
        Try city names before full market names (a market id still wins). Hubs use this: a
        hub named "Singapore" is the city.

    Raises
    ------
    ScenarioError
        Nothing matches; the message lists close matches (``difflib``).
    """
    query = str(text).strip()
    key = fold_name(query)
    if not key:
        raise ScenarioError(
            f"place name {text!r} is empty: give a market id, a market or city name"
        )
    table = _market_table(markets)
    full: dict[str, str] = {}
    parts: dict[str, str] = {}
    if table is not None and len(table):
        if query.lower() in table.index:
            return _market_place(query, table, query.lower(), "market id")
        full, parts = _market_names(table)
    if not cities_first and key in full:
        return _market_place(query, table, full[key], "market name")  # type: ignore[arg-type]
    own = city_name_index().get(key, ())
    if own:
        return _city_place(query, *find_cities(query))
    if key in full:
        return _market_place(query, table, full[key], "market name")  # type: ignore[arg-type]
    if key in parts:
        return _market_place(query, table, parts[key], "part of a market name")  # type: ignore[arg-type]
    cities, how = find_cities(query)
    if cities:
        return _city_place(query, cities, how)
    raise ScenarioError(_unknown_message(query, table))


def _city_place(query: str, cities: list[dict[str, Any]], matched_on: str) -> Place:
    best = cities[0]
    others = tuple(_city_label(c) for c in cities[1:])
    note = ""
    if others:
        own = len(city_name_index().get(fold_name(query), ()))
        rule = "the most populous"
        if matched_on == "city name" and own == 1:
            rule = "the one city with it as its own name (alternate names rank after)"
        elif matched_on == "city name" and own < len(cities):
            rule += f" of the {own} with it as their own name (alternate names rank after)"
        shown = ", ".join(others[:_NOTE_OTHERS])
        more = f" and {len(others) - _NOTE_OTHERS} more" if len(others) > _NOTE_OTHERS else ""
        note = (
            f"{query!r} matches {len(cities)} cities; using {rule}: {_city_label(best)}; "
            f"others: {shown}{more}"
        )
    return Place(
        query=query,
        kind="city",
        id=str(best["geonameid"]),
        name=str(best["name"]),
        country=str(best["country"]),
        latitude=float(best["latitude"]),
        longitude=float(best["longitude"]),
        population=int(best["population"]),
        matched_on=matched_on,
        others=others,
        note=note,
    )


def _unknown_message(query: str, table: pd.DataFrame | None) -> str:
    choices: dict[str, str] = {}
    for key, cities in city_name_index().items():
        choices.setdefault(key, str(cities[0]["name"]))
    if table is not None:
        for mid, name in zip(table.index, table["name"], strict=True):
            choices[fold_name(str(name))] = f"{name} ({mid})"
            choices[fold_name(str(mid))] = f"{name} ({mid})"
    close = difflib.get_close_matches(fold_name(query), list(choices), n=5, cutoff=0.75)
    hint = (
        f"; did you mean: {', '.join(dict.fromkeys(choices[c] for c in close))}?" if close else ""
    )
    return (
        f"{query!r} is neither a bundled market (id or name) nor a known city name "
        f"(GeoNames cities of 15,000+ people, any spelling or language){hint}"
    )
