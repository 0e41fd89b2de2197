"""The deals store: a SQLite file by default, PostgreSQL by URL, schema kept by Alembic.

Every write is one transaction; a deal's ``version`` column makes a stale write fail with
:class:`~gridfirst.errors.DealConflict` instead of overwriting someone else's change.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gridfirst.deals.models import (
    PLANNED_KINDS,
    Counterparty,
    DealEvent,
    DealRow,
    DealYearMW,
    Document,
    StoreSite,
)
from gridfirst.deals.record import COLUMN_FIELDS, DealRecord, DocumentRef
from gridfirst.deals.stages import STAGES, is_live
from gridfirst.errors import DealConflict, StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
#: ``progress(rows_written, rows_total)`` during an import, after each batch is sent.
ImportProgress = Callable[[int, int], None]
_BATCH = 200


def default_url() -> str:
    """``sqlite:///`` of ``deals.sqlite`` in the user's data folder.

    The folder is ``$GRIDFIRST_DATA_DIR`` when set, else ``$XDG_DATA_HOME/gridfirst`` or
    ``~/.local/share/gridfirst`` (``~/Library/Application Support/gridfirst`` on macOS,
    ``%LOCALAPPDATA%\\gridfirst`` on Windows).
    """
    folder = os.environ.get("GRIDFIRST_DATA_DIR")
    if folder:
        base = Path(folder)
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "gridfirst"
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home())) / "gridfirst"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".local" / "share") / "gridfirst"
    return f"sqlite:///{base / 'deals.sqlite'}"


def database_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from what a user types: a URL, a file path (SQLite) or None (default)."""
    if db is None or str(db) == "":
        return default_url()
    text = str(db)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    scheme = text.split("://", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _now() -> datetime:
    return datetime.now(UTC)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class DealStore:
    """An open deals store; use as a context manager or call :meth:`close`.

    Parameters
    ----------
    db : str or Path, optional
        SQLAlchemy URL (``sqlite:///file``, ``postgresql://user@host/db``) or a SQLite file path;
        default :func:`default_url`.

    Raises
    ------
    StoreError
        The database cannot be opened, is not a deals store, or is at a revision this version of
        gridfirst does not know. A new database is created at the newest revision, an older
        known revision is upgraded.
    """

    def __init__(self, db: str | Path | None = None) -> None:
        self.url = database_url(db)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite and self.url.startswith("sqlite:///") and self.url != "sqlite:///:memory:":
            Path(self.url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = _engine(self.url)
            self.revision = self._migrate()
        except SQLAlchemyError as exc:
            raise StoreError(f"deals store {self._shown()}: cannot open: "
                             f"{_first_line(exc)}") from None
        except ModuleNotFoundError as exc:
            raise StoreError(f"deals store {self._shown()}: needs the {exc.name} package "
                             "(pip install 'gridfirst[postgres]')") from None

    def _shown(self) -> str:
        # Never print a password.
        if "@" in self.url and ":" in self.url.split("://", 1)[1].split("@", 1)[0]:
            scheme, rest = self.url.split("://", 1)
            user = rest.split("@", 1)[0].split(":", 1)[0]
            return f"{scheme}://{user}:***@{rest.split('@', 1)[1]}"
        return self.url

    def __enter__(self) -> DealStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ----------------------------------------------------------------------------

    def _migrate(self) -> str:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        script = ScriptDirectory.from_config(cfg)
        head = script.get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            tables = set(inspect(conn).get_table_names())
            conn.rollback()
        if current == head:
            return str(head)
        if current is None and tables - {"alembic_version"}:
            raise StoreError(f"deals store {self._shown()}: has tables "
                             f"({', '.join(sorted(tables)[:5])}) but no gridfirst deals revision; "
                             "it is not a gridfirst deals database")
        if current is not None:
            known = [r.revision for r in script.walk_revisions()]
            if current not in known:
                raise StoreError(
                    f"deals store {self._shown()}: schema revision {current!r} is unknown to this "
                    f"gridfirst (it knows {', '.join(reversed(known))}); it was written by a newer "
                    "gridfirst: upgrade gridfirst, or use another --db")
        with self.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        return str(head)

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        """One transaction; on SQLite a writer takes the write lock first (BEGIN IMMEDIATE),
        so two writers queue instead of failing with 'database is locked' mid-transaction."""
        with self.engine.connect() as conn:
            if write and self.is_sqlite:
                conn.execution_options(gridfirst_begin="BEGIN IMMEDIATE")
            with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
                try:
                    with session.begin():
                        yield session
                except StaleDataError:
                    raise DealConflict(
                        "deal changed by someone else while you wrote it; nothing was written: "
                        "show it again and retry") from None
                except OperationalError as exc:
                    raise StoreError(f"deals store {self._shown()}: {_first_line(exc)}") from None

    # -- reads -----------------------------------------------------------------------------

    def get(self, deal_id: str) -> DealRecord:
        """The deal ``deal_id`` (StoreError naming the known ids' closest matches when absent)."""
        with self._session() as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise StoreError(self._missing(s, deal_id))
            return _record(row)

    def deals(self, stages: Sequence[str] | None = None) -> list[DealRecord]:
        """Every deal (or those at ``stages``), ordered by id."""
        with self._session() as s:
            query = select(DealRow).order_by(DealRow.id)
            if stages:
                query = query.where(DealRow.stage.in_(list(stages)))
            return [_record(r) for r in s.scalars(query)]

    def count(self) -> int:
        with self._session() as s:
            return int(s.scalar(select(func.count()).select_from(DealRow)) or 0)

    def history(self, deal_id: str | None = None) -> list[dict[str, Any]]:
        """Every change, oldest first: ``deal, at, by, field, from, to, reason, version``."""
        with self._session() as s:
            query = select(DealEvent).order_by(DealEvent.id)
            if deal_id is not None:
                if s.get(DealRow, deal_id) is None:
                    raise StoreError(self._missing(s, deal_id))
                query = query.where(DealEvent.deal_id == deal_id)
            return [{"deal": e.deal_id, "at": e.at.isoformat(timespec="seconds"), "by": e.by,
                     "field": e.field, "from": e.from_value, "to": e.to_value,
                     "reason": e.reason, "version": e.version} for e in s.scalars(query)]

    def live_deals(self, as_of: date | None = None) -> list[DealRecord]:
        """Deals the planner takes as candidates, ordered by id.

        Live means: a planned kind (space deals and PPAs; grid-connection and land deals are
        tracked, not planned), not lost, and, unless signed or energised, an offer that has not
        expired on ``as_of`` (default today).
        """
        day = as_of or date.today()
        return [d for d in self.deals()
                if d.kind in PLANNED_KINDS and is_live(d.stage)
                and (d.stage in ("signed", "energised") or d.offer_expiry_date is None
                     or d.offer_expiry_date >= day)]

    def _missing(self, s: Session, deal_id: str) -> str:
        import difflib

        ids = list(s.scalars(select(DealRow.id)))
        close = difflib.get_close_matches(deal_id, ids, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"deal {deal_id!r} is not in the store{hint}"

    # -- writes ----------------------------------------------------------------------------

    def add(self, record: DealRecord, by: str, reason: str = "") -> DealRecord:
        """Store a new deal (StoreError when its id exists)."""
        with self._session(write=True) as s:
            if s.get(DealRow, record.id) is not None:
                raise StoreError(f"deal {record.id!r} is already in the store; use import to update")
            added = _record(_insert(s, record, by, reason or "added"))
        return added

    def move(self, deal_id: str, to_stage: str, by: str, reason: str = "",
             expect_version: int | None = None) -> DealRecord:
        """Move a deal to ``to_stage``, recording who, when, from, to and why.

        Parameters
        ----------
        expect_version : int, optional
            The version the mover last saw (``deals show``); a different stored version is a
            :class:`DealConflict`. When None, the version read at the start of this call is used,
            so a concurrent change between the read and the write is still a conflict.
        """
        if to_stage not in STAGES:
            raise StoreError(f"stage {to_stage!r} is not a stage; stages: {', '.join(STAGES)}")
        seen = self.get(deal_id) if expect_version is None else None
        expected = expect_version if seen is None else seen.version
        _pause("move")
        with self._session(write=True) as s:
            row = s.get(DealRow, deal_id)
            if row is None:
                raise StoreError(self._missing(s, deal_id))
            if row.version != expected:
                raise DealConflict(
                    f"deal {deal_id!r} is at version {row.version}, not {expected}: someone else "
                    f"changed it (now {row.stage}); nothing was written: show it again and retry")
            if row.stage == to_stage:
                raise StoreError(f"deal {deal_id!r} is already at stage {to_stage}")
            old = row.stage
            row.stage, row.updated_at = to_stage, _now()
            s.flush()
            s.add(DealEvent(deal_id=deal_id, at=row.updated_at, by=by, field="stage",
                            from_value=old, to_value=to_stage, reason=reason, version=row.version))
            moved = _record(row)
        return moved

    def import_records(self, records: Sequence[DealRecord], by: str, reason: str = "import",
                       progress: ImportProgress | None = None) -> dict[str, int]:
        """Insert new deals and update existing ones, all in one transaction.

        Either every record is written or, on any error (or the process being killed), none.
        Returns ``{"added": n, "updated": n, "unchanged": n}``.
        """
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self._session(write=True) as s:
            for i, record in enumerate(records, start=1):
                row = s.get(DealRow, record.id)
                if row is None:
                    _insert(s, record, by, reason)
                    counts["added"] += 1
                elif _update(s, row, record, by, reason):
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
                if i % _BATCH == 0 or i == len(records):
                    s.flush()
                    if progress is not None:
                        progress(i, len(records))
        return counts


def _pause(point: str) -> None:
    """Test hook: when ``GRIDFIRST_DEALS_PAUSE`` names ``point``, wait for the file it names.

    ``GRIDFIRST_DEALS_PAUSE=move:/tmp/go`` makes :meth:`DealStore.move` touch
    ``/tmp/go.ready-PID`` after its read and wait until ``/tmp/go`` exists before its write, so a
    test can line two writers up on the same version.
    """
    spec = os.environ.get("GRIDFIRST_DEALS_PAUSE", "")
    if not spec.startswith(point + ":"):
        return
    import time

    go = Path(spec.split(":", 1)[1])
    go.with_name(f"{go.name}.ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60.0
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30.0})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        # Let SQLAlchemy's 'begin' below emit BEGIN (pysqlite's own is deferred and late).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("gridfirst_begin", "BEGIN"))

    return engine


def _counterparty(s: Session, record: DealRecord) -> Counterparty:
    cp = s.scalar(select(Counterparty).where(Counterparty.name == record.counterparty))
    if cp is None:
        cp = Counterparty(name=record.counterparty, country=record.counterparty_country, notes="")
        s.add(cp)
        s.flush()
    elif record.counterparty_country and cp.country != record.counterparty_country:
        cp.country = record.counterparty_country
    return cp


def _site(s: Session, record: DealRecord) -> StoreSite | None:
    if record.site is None:
        return None
    site = s.get(StoreSite, record.site)
    if site is None:
        site = StoreSite(id=record.site, market=record.market, name=record.site_name,
                         latitude=record.site_latitude, longitude=record.site_longitude)
        s.add(site)
        s.flush()
    elif site.market != record.market:
        raise StoreError(f"deal {record.id}: site {record.site!r} is in market {site.market}, "
                         f"not {record.market}")
    else:
        if record.site_name:
            site.name = record.site_name
        if record.site_latitude is not None and record.site_longitude is not None:
            site.latitude, site.longitude = record.site_latitude, record.site_longitude
    return site


def _insert(s: Session, record: DealRecord, by: str, reason: str) -> DealRow:
    now = _now()
    row = DealRow(id=record.id, counterparty=_counterparty(s, record), site=_site(s, record),
                  created_at=now, updated_at=now,
                  **{f: getattr(record, f) for f in COLUMN_FIELDS})
    row.mw_by_year = [DealYearMW(year=y, mw=mw) for y, mw in sorted(record.mw_by_year.items())]
    row.documents = [Document(title=d.title, uri=d.uri) for d in record.documents]
    s.add(row)
    try:
        s.flush()
    except IntegrityError as exc:
        raise StoreError(f"deal {record.id}: {str(exc.orig).strip().splitlines()[0]}") from None
    s.add(DealEvent(deal_id=record.id, at=now, by=by, field="created", from_value=None,
                    to_value=record.stage, reason=reason, version=row.version))
    return row


def _update(s: Session, row: DealRow, record: DealRecord, by: str, reason: str) -> bool:
    """Apply ``record`` over ``row``; one history event per changed field. True when changed."""
    old = _record(row)
    changes: list[tuple[str, Any, Any]] = []
    for f in COLUMN_FIELDS:
        if getattr(old, f) != getattr(record, f):
            changes.append((f, getattr(old, f), getattr(record, f)))
            setattr(row, f, getattr(record, f))
    if old.counterparty != record.counterparty:
        changes.append(("counterparty", old.counterparty, record.counterparty))
    row.counterparty = _counterparty(s, record)
    if old.site != record.site:
        changes.append(("site", old.site, record.site))
    row.site = _site(s, record)
    if old.mw_by_year != record.mw_by_year:
        changes.append(("mw_by_year", old.mw_by_year, record.mw_by_year))
        row.mw_by_year = [DealYearMW(year=y, mw=mw) for y, mw in sorted(record.mw_by_year.items())]
    if old.documents != record.documents:
        changes.append(("documents", len(old.documents), len(record.documents)))
        row.documents = [Document(title=d.title, uri=d.uri) for d in record.documents]
    if not changes:
        return False
    row.updated_at = _now()
    s.flush()
    for f, a, b in changes:
        s.add(DealEvent(deal_id=row.id, at=row.updated_at, by=by, field=f, from_value=_text(a),
                        to_value=_text(b), reason=reason, version=row.version))
    return True


def _record(row: DealRow) -> DealRecord:
    site = row.site
    return DealRecord(
        id=row.id, counterparty=row.counterparty.name,
        counterparty_country=row.counterparty.country, site=row.site_id,
        site_name=site.name if site else "", site_latitude=site.latitude if site else None,
        site_longitude=site.longitude if site else None,
        mw_by_year={m.year: m.mw for m in row.mw_by_year},
        documents=[DocumentRef(title=d.title, uri=d.uri) for d in row.documents],
        version=row.version, **{f: getattr(row, f) for f in COLUMN_FIELDS},
    )

