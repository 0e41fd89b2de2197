"""Who may put which accelerators where: dated export-control and host-country rules evaluated for
a buyer, its accelerators, a destination country and a date.

A rule applies when it is in force (``effective <= as_of < superseded``), covers one of the
accelerator's item classes, the buyer's home jurisdiction and the destination. Among the rules
that apply, one that ``replaces`` others lifts them (a later, narrower policy); then the most
restrictive status wins. A licence the buyer holds for a rule clears it. Rules are data
(``data/compliance/export_rules.csv``); nothing here knows a country by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from gridfirst.compliance import data
from gridfirst.compliance.data import ANY, STATUSES, check_country, split_list
from gridfirst.errors import DataError, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

#: Rank of each status: a higher rank is more restrictive.
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}
#: Statuses a licence (or other authorisation) the buyer holds can clear; a prohibition cannot be.
LICENSABLE = frozenset({"licence_required", "presumption_of_denial"})
#: Columns of :func:`compliance_table`; the first six are the JSON keys of ``gridfirst compliance``.
TABLE_COLUMNS = [
    "market_id",
    "country",
    "status",
    "rule",
    "source_id",
    "effective",
    "citation",
    "licence_policy",
    "licence_lead_time_months",
    "denial_probability",
    "licence_held",
    "other_rules",
]


@dataclass(frozen=True)
class Rule:
    """One dated rule: who it binds, for which items, where, and with what status.

    ``applies_to``, ``destination`` and ``destination_except`` hold ISO country codes, group ids
    (``country_groups.csv``) or ``"any"``. ``superseded`` is ``None`` while the rule stands.
    """

    rule_id: str
    authority: str
    applies_to: tuple[str, ...]
    item_class: str
    destination: tuple[str, ...]
    destination_except: tuple[str, ...]
    status: str
    licence_policy: str
    licence_lead_time_months: float
    denial_probability: float
    effective: dt.date
    superseded: dt.date | None
    replaces: tuple[str, ...]
    citation: str
    source_id: str

    def __post_init__(self) -> None:
        if self.status not in STATUS_RANK:
            raise ScenarioError(
                f"rule {self.rule_id}: status {self.status!r} is not one of {STATUSES}"
            )

    def in_force(self, as_of: dt.date) -> bool:
        """True when ``effective <= as_of`` and ``as_of`` is before ``superseded`` (if any)."""
        return self.effective <= as_of and (self.superseded is None or as_of < self.superseded)


@dataclass(frozen=True)
class Decision:
    """What the rules say for one buyer, accelerator set, destination and date.

    ``status`` is one of ``allowed``, ``licence_required``, ``presumption_of_denial``,
    ``prohibited``. ``rule_id`` is the binding rule (empty when no rule applies).
    ``licence_lead_time_months`` [months] and ``denial_probability`` [-] are zero unless a licence
    is still needed. ``licence_held`` is True when a held licence cleared the binding rule.
    ``other_rules`` names the other rules that apply (for example a host-country permit).
    """

    status: str
    rule_id: str
    citation: str
    source_id: str
    effective: dt.date | None
    licence_policy: str
    licence_lead_time_months: float
    denial_probability: float
    licence_held: bool = False
    other_rules: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        """Restrictiveness of ``status`` (0 allowed ... 3 prohibited)."""
        return STATUS_RANK[self.status]


NO_RULE = Decision("allowed", "", "", "", None, "", 0.0, 0.0)


def _key(decision: Decision) -> tuple[int, float, float, int]:
    # most restrictive first; among equals, the likelier denial, the longer wait, then the rule
    # that first imposed the status (the earliest effective date)
    return (
        decision.rank,
        decision.denial_probability,
        decision.licence_lead_time_months,
        -(decision.effective or dt.date.max).toordinal(),
    )


class RuleBook:
    """Rules, country-group memberships and accelerator item classes, ready to evaluate.

    Parameters
    ----------
    rules : sequence of Rule
    memberships : mapping of group id to a sequence of (country, effective date)
    item_classes : mapping of accelerator id to the item classes it falls in
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        memberships: Mapping[str, Sequence[tuple[str, dt.date]]],
        item_classes: Mapping[str, frozenset[str]],
    ) -> None:
        self.rules = tuple(rules)
        self.memberships = {g: tuple(m) for g, m in memberships.items()}
        self.item_classes = dict(item_classes)
        self._by_id = {rule.rule_id: rule for rule in self.rules}
        if len(self._by_id) != len(self.rules):
            raise ScenarioError("rule book: rule_id values repeat")

    @classmethod
    def bundled(cls) -> RuleBook:
        """The rule book of the bundled tables."""
        return _bundled_rulebook()

    @classmethod
    def from_frames(
        cls, rules: pd.DataFrame, groups: pd.DataFrame, item_classes: pd.DataFrame
    ) -> RuleBook:
        """Build from the validated frames of :mod:`gridfirst.compliance.data`."""
        memberships: dict[str, list[tuple[str, dt.date]]] = {}
        for row in groups.itertuples(index=False):
            memberships.setdefault(str(row.group_id), []).append((str(row.country), row.effective))
        classes: dict[str, set[str]] = {}
        for row in item_classes.itertuples(index=False):
            classes.setdefault(str(row.accelerator_id), set()).add(str(row.item_class))
        parsed = [
            Rule(
                rule_id=row.rule_id,
                authority=row.authority,
                applies_to=split_list(row.applies_to_jurisdiction),
                item_class=row.item_class,
                destination=split_list(row.destination),
                destination_except=split_list(row.destination_except),
                status=row.status,
                licence_policy=row.licence_policy,
                licence_lead_time_months=float(row.licence_lead_time_months),
                denial_probability=float(row.denial_probability),
                effective=row.effective,
                superseded=row.superseded,
                replaces=split_list(row.replaces),
                citation=row.citation,
                source_id=row.source_id,
            )
            for row in rules.itertuples(index=False)
        ]
        return cls(parsed, memberships, {a: frozenset(c) for a, c in classes.items()})

    def with_rule(self, rule: Rule) -> RuleBook:
        """A copy of this rule book with one more rule."""
        return RuleBook((*self.rules, rule), self.memberships, self.item_classes)

    def member(self, country: str, token: str, as_of: dt.date) -> bool:
        """True when ``token`` (``any``, a country code or a group id) covers ``country`` on ``as_of``."""
        if token == ANY or token == country:
            return True
        return any(c == country and since <= as_of for c, since in self.memberships.get(token, ()))

    def _covers(self, tokens: Iterable[str], country: str, as_of: dt.date) -> bool:
        return any(self.member(country, token, as_of) for token in tokens)

    def applicable(
        self, buyer_jurisdiction: str, accelerator_id: str, country: str, as_of: dt.date
    ) -> list[Rule]:
        """Rules that apply to one accelerator, after the rules they replace are lifted."""
        classes = self.item_classes[accelerator_id]
        found = [
            rule
            for rule in self.rules
            if rule.item_class in classes
            and rule.in_force(as_of)
            and self._covers(rule.applies_to, buyer_jurisdiction, as_of)
            and self._covers(rule.destination, country, as_of)
            and not self._covers(rule.destination_except, country, as_of)
        ]
        lifted = {rid for rule in found for rid in rule.replaces}
        return [rule for rule in found if rule.rule_id not in lifted]

    def evaluate(
        self,
        buyer_jurisdiction: str,
        accelerator_ids: Sequence[str],
        country: str,
        as_of: dt.date,
        licences_held: Iterable[str] = (),
    ) -> Decision:
        """Decision for a buyer deploying ``accelerator_ids`` in ``country`` on ``as_of``.

        See :func:`evaluate`.
        """
        check_country(buyer_jurisdiction, "buyer jurisdiction")
        check_country(country, "country")
        if not isinstance(as_of, dt.date):
            raise ScenarioError(f"as_of: {as_of!r} is not a date")
        accelerators = list(accelerator_ids)
        if not accelerators:
            raise ScenarioError("accelerator_ids: give at least one accelerator id")
        for accelerator in accelerators:
            if accelerator not in self.item_classes:
                raise ScenarioError(
                    f"accelerator_ids: {accelerator!r} has no export classification in "
                    f"item_classes.csv; known: {sorted(self.item_classes)}"
                )
        held = self._licences(licences_held)
        decisions = [
            self._decide(self.applicable(buyer_jurisdiction, a, country, as_of), country, held)
            for a in accelerators
        ]
        return max(decisions, key=_key)

    def _licences(self, licences_held: Iterable[str]) -> frozenset[str]:
        if isinstance(licences_held, str):
            licences_held = [licences_held]
        held = frozenset(str(x).strip() for x in licences_held)
        for token in held:
            rule_id, _, where = token.partition("@")
            if rule_id not in self._by_id or (where and where not in data.country_codes()):
                raise ScenarioError(
                    f"licences_held: {token!r} is not RULE_ID or RULE_ID@COUNTRY with a rule_id "
                    f"of export_rules.csv; known rules: {sorted(self._by_id)}"
                )
        return held

    @staticmethod
    def _decide(rules: list[Rule], country: str, held: frozenset[str]) -> Decision:
        if not rules:
            return NO_RULE
        decisions = []
        for rule in rules:
            covered = rule.status in LICENSABLE and (
                rule.rule_id in held or f"{rule.rule_id}@{country}" in held
            )
            decisions.append(
                Decision(
                    status="allowed" if covered else rule.status,
                    rule_id=rule.rule_id,
                    citation=rule.citation,
                    source_id=rule.source_id,
                    effective=rule.effective,
                    licence_policy=rule.licence_policy,
                    licence_lead_time_months=0.0 if covered else rule.licence_lead_time_months,
                    denial_probability=0.0 if covered else rule.denial_probability,
                    licence_held=covered,
                )
            )
        best = max(decisions, key=_key)
        others = tuple(sorted(d.rule_id for d in decisions if d.rule_id != best.rule_id))
        return replace(best, other_rules=others)


@lru_cache(maxsize=1)
def _bundled_rulebook() -> RuleBook:
    return RuleBook.from_frames(data.export_rules(), data.country_groups(), data.item_classes())


def evaluate(
    buyer_jurisdiction: str,
    accelerator_ids: Sequence[str],
    country: str,
    as_of: dt.date,
    licences_held: Iterable[str] = (),
) -> Decision:
    """Whether a buyer may deploy its accelerators in a country on a date, and under which rule.

    Parameters
    ----------
    buyer_jurisdiction : str
        The buyer's home country, ISO 3166-1 alpha-2 (e.g. ``"US"``).
    accelerator_ids : list of str
        Accelerator ids of ``data/accelerators.yaml`` classified in ``item_classes.csv``
        (e.g. ``["gb200-nvl72"]``); the most restrictive decision over them is returned.
    country : str
        Destination country, ISO 3166-1 alpha-2 (Hong Kong is ``"HK"``).
    as_of : datetime.date
        Date the rules are read at: a rule applies when ``effective <= as_of < superseded``.
    licences_held : iterable of str
        Licences or authorisations the buyer holds, each a ``rule_id`` (any destination of that
        rule) or ``rule_id@CC`` (one country). A held licence clears ``licence_required`` and
        ``presumption_of_denial`` under that rule; ``prohibited`` cannot be cleared.

    Returns
    -------
    Decision
        Status, binding rule, citation, source, effective date, licence lead time [months] and
        denial probability [-].

    Raises
    ------
    gridfirst.errors.ScenarioError
        Unknown country or jurisdiction code, unknown accelerator id or licence.

    References
    ----------
    .. [1] 87 FR 62186 (2022); 88 FR 2821 (2023); 88 FR 73458 (2023); 90 FR 4544 (2025);
       91 FR 1684 (2026); MITI Malaysia Directive No. 1/2025. See ``sources_compliance.csv``.
    """
    return RuleBook.bundled().evaluate(
        buyer_jurisdiction, accelerator_ids, country, as_of, licences_held
    )


def export_classification(accelerator_id: str) -> tuple[str, tuple[str, ...]]:
    """ECCN and item classes of an accelerator id of ``data/accelerators.yaml``.

    Returns ``(eccn, item_classes)``, e.g. ``("4A090.a", ("advanced_computing", ...))``; raises
    :class:`gridfirst.errors.ScenarioError` for an id without a classification.
    """
    table = data.item_classes()
    rows = table[table["accelerator_id"] == accelerator_id]
    if rows.empty:
        raise ScenarioError(
            f"accelerator {accelerator_id!r} has no export classification in item_classes.csv; "
            f"known: {sorted(set(table['accelerator_id']))}"
        )
    return str(rows["eccn"].iloc[0]), tuple(sorted(rows["item_class"]))


def compliance_table(
    markets: pd.DataFrame,
    buyer_jurisdiction: str,
    accelerator_ids: Sequence[str],
    as_of: dt.date,
    licences_held: Iterable[str] = (),
    rulebook: RuleBook | None = None,
) -> pd.DataFrame:
    """One row per market: status, binding rule, source and effective date, licence terms.

    Parameters
    ----------
    markets : pandas.DataFrame
        Columns ``market_id`` and ``country`` (or ``country`` with the index named ``id`` or
        ``market_id``, as :func:`gridfirst.data.market_identities` returns).
    buyer_jurisdiction, accelerator_ids, as_of, licences_held
        As in :func:`evaluate`.
    rulebook : RuleBook, optional
        Rules to use instead of the bundled ones.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`: ``market_id, country, status, rule, source_id, effective``
        (ISO date text, empty when no rule applies), ``citation, licence_policy,
        licence_lead_time_months`` [months], ``denial_probability`` [-], ``licence_held`` and
        ``other_rules`` (semicolon-separated ids of further rules that apply).
    """
    import pandas as pd

    frame = markets
    if "market_id" not in frame.columns and frame.index.name in ("id", "market_id"):
        frame = frame.rename_axis("market_id").reset_index()
    missing = [c for c in ("market_id", "country") if c not in frame.columns]
    if missing:
        raise DataError(f"markets: missing column(s) {missing}; expected market_id and country")
    book = rulebook or RuleBook.bundled()
    held = list(licences_held)
    cache: dict[str, Decision] = {}
    rows = []
    for market_id, country in zip(frame["market_id"], frame["country"], strict=True):
        if country not in cache:
            check_country(country, f"markets: market {market_id!r}, country")
            cache[country] = book.evaluate(
                buyer_jurisdiction, accelerator_ids, country, as_of, held
            )
        d = cache[country]
        rows.append(
            [
                market_id,
                country,
                d.status,
                d.rule_id,
                d.source_id,
                d.effective.isoformat() if d.effective else "",
                d.citation,
                d.licence_policy,
                d.licence_lead_time_months,
                d.denial_probability,
                d.licence_held,
                ";".join(d.other_rules),
            ]
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
