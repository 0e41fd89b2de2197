"""Deals in and out of the store: CSV files and a scenario's ``deals:`` list.

Reading checks every row first and reports every bad one (file, line, field, value); nothing is
written unless all rows are good. Export gives CSV text and a scenario ``deals:`` fragment.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gridfirst.deals.record import DealRecord
from gridfirst.errors import DataError

#: CSV columns in order (every DealRecord field but the store's version).
CSV_COLUMNS = [f for f in DealRecord.model_fields if f != "version"]
_MAX_PROBLEMS = 50


def _mw_by_year(text: str) -> dict[str, str]:
    pairs = [p for p in text.replace(",", ";").split(";") if p.strip()]
    out: dict[str, str] = {}
    for pair in pairs:
        if ":" not in pair:
            raise ValueError(f"{pair!r} is not YEAR:MW")
        year, mw = pair.split(":", 1)
        out[year.strip()] = mw.strip()
    return out


def _documents(text: str) -> list[dict[str, str]]:
    docs = []
    for item in [p for p in text.split(";") if p.strip()]:
        if "|" not in item:
            raise ValueError(f"{item!r} is not TITLE|URI")
        title, uri = item.split("|", 1)
        docs.append({"title": title.strip(), "uri": uri.strip()})
    return docs


def _problem(where: str, err: Mapping[str, Any]) -> str:
    field = ".".join(str(p) for p in err.get("loc", ())) or "row"
    value = err.get("input")
    shown = "" if isinstance(value, dict) else f"{value!r} "
    return f"{where}, field {field}: {shown}{err.get('msg', 'is invalid')}"


def _validate(rows: list[tuple[str, dict[str, Any]]]) -> list[DealRecord]:
    """Records of ``(where, mapping)`` rows, or DataError listing every bad row."""
    problems: list[str] = []
    records: list[DealRecord] = []
    first_seen: dict[str, str] = {}
    for where, data in rows:
        try:
            record = DealRecord.model_validate(data)
        except ValidationError as exc:
            problems += [_problem(where, e) for e in exc.errors()]
            continue
        if record.id in first_seen:
            problems.append(f"{where}, field id: {record.id!r} is a duplicate (first at "
                            f"{first_seen[record.id]})")
            continue
        first_seen[record.id] = where
        records.append(record)
    if problems:
        more = len(problems) - _MAX_PROBLEMS
        shown = problems[:_MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise DataError("nothing imported; fix these rows:\n" + "\n".join(shown))
    return records


def read_csv(path: Path) -> list[DealRecord]:
    """Deals of a CSV file (header: :data:`CSV_COLUMNS`; ``id, kind, counterparty, market,
    capacity_mw, start_year, term_years`` required). ``mw_by_year`` is ``2027:10;2028:40``,
    ``documents`` is ``title|uri;title|uri``; an empty cell is "not given".

    Raises
    ------
    DataError
        Every bad row, one line each: ``file line N, field F: value problem``.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown or not header:
        raise DataError(f"{path.name} line 1: unknown column(s) {unknown or '(no header)'}; "
                        f"columns: {', '.join(CSV_COLUMNS)}")
    rows: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        data: dict[str, Any] = {}
        for key, value in row.items():
            if key is None:
                problems.append(f"{where}: more cells than columns")
                continue
            cell = (value or "").strip()
            if cell == "":
                continue
            try:
                if key == "mw_by_year":
                    data[key] = _mw_by_year(cell)
                elif key == "documents":
                    data[key] = _documents(cell)
                else:
                    data[key] = cell
            except ValueError as exc:
                problems.append(f"{where}, field {key}: {exc}")
        rows.append((where, data))
    try:
        records = _validate(rows)
    except DataError as exc:
        if problems:
            raise DataError(str(exc) + "\n" + "\n".join(problems)) from None
        raise
    if problems:
        raise DataError("nothing imported; fix these rows:\n" + "\n".join(problems))
    return records


def read_scenario_deals(path: Path) -> list[DealRecord]:
    """The ``deals:`` list of a scenario YAML file (or of a bare ``deals:`` fragment).

    Raises
    ------
    DataError
        Every bad entry, naming its line in the file and the field.
    """
    from gridfirst.scenario import read_yaml

    data = read_yaml(path, DataError, what="deals file")
    if not isinstance(data, dict) or not isinstance(data.get("deals"), list):
        raise DataError(f"{path.name}: expected a mapping with a 'deals:' list")
    lines = _item_lines(path)
    rows = []
    for i, item in enumerate(data["deals"]):
        line = f" line {lines[i]}" if i < len(lines) else ""
        where = f"{path.name}{line} (deals[{i}])"
        rows.append((where, item if isinstance(item, dict) else {"id": item}))
    return _validate(rows)


def _item_lines(path: Path) -> list[int]:
    """1-based line of each item of the top-level ``deals:`` sequence."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "deals" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def to_csv(records: list[DealRecord]) -> str:
    """CSV text of ``records`` that :func:`read_csv` reads back equal."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        row: dict[str, Any] = {}
        for f in CSV_COLUMNS:
            value = getattr(r, f)
            if f == "mw_by_year":
                value = ";".join(f"{y}:{mw!r}" for y, mw in sorted(value.items()))
            elif f == "documents":
                value = ";".join(f"{d.title}|{d.uri}" for d in value)
            elif isinstance(value, float):
                value = repr(value)  # round-trips exactly
            row[f] = "" if value is None else value
        writer.writerow(row)
    return out.getvalue()


def to_scenario_fragment(records: list[DealRecord]) -> str:
    """A ``deals:`` YAML fragment of the planned kinds, to paste into a scenario."""
    from gridfirst.deals.models import PLANNED_KINDS

    deals = [r.scenario_deal().model_dump(mode="json", exclude_defaults=True)
             for r in records if r.kind in PLANNED_KINDS]
    return yaml.safe_dump({"deals": deals}, sort_keys=False, allow_unicode=True)
