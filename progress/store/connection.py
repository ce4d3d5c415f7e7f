"""Opening the database: WAL, foreign keys, synchronous=FULL, busy timeout, migrations, settings.

The target is a SQLite file by default, or a PostgreSQL database given by a
``postgresql://`` URL (``PROGRESS_DATABASE_URL``), served through :mod:`progress.store.pg`
behind the same store functions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlite_utils

from progress.errors import ValidationError
from progress.store import pg
from progress.store.schema import MIGRATIONS, REFRESH_AFTER, SCHEMA_VERSION
from progress.store.schema_pg import PG_MIGRATIONS

DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "data" / "progress.db"


def _errors(name: str) -> tuple[type[Exception], ...]:
    """sqlite3's exception class of this DB-API name, and psycopg's when it is installed."""
    classes: list[type[Exception]] = [getattr(sqlite3, name)]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - requirements.txt installs it
        pass
    else:
        classes.append(getattr(psycopg, name))
    return tuple(classes)


# Catch these (``except store.IntegrityError``) rather than one driver's class: a constraint or a
# guard trigger fails as sqlite3.IntegrityError on SQLite and psycopg.IntegrityError on PostgreSQL.
IntegrityError = _errors("IntegrityError")
OperationalError = _errors("OperationalError")
DatabaseError = _errors("DatabaseError")

DATABASE_URL_ENV = "PROGRESS_DATABASE_URL"


def default_db_path() -> Path:
    """``PROGRESS_DB`` if set, else ``data/progress.db`` beside the package."""
    env = os.environ.get("PROGRESS_DB")
    return Path(env) if env else DEFAULT_DB


def default_target() -> str | Path:
    """Where the app's data lives: ``PROGRESS_DATABASE_URL`` (a PostgreSQL URL) when set, which
    wins over ``PROGRESS_DB``; else the SQLite file of :func:`default_db_path`."""
    url = os.environ.get(DATABASE_URL_ENV, "").strip()
    return url if url else default_db_path()


def describe_target(target: str | Path | None = None) -> str:
    """The target for a message: a file path, or the URL with its password hidden."""
    target = default_target() if target is None else target
    return pg.redact(target) if pg.is_url(target) else str(target)


def is_postgres(db: object) -> bool:
    """True when ``db`` is a PostgreSQL store (see :mod:`progress.store.pg`)."""
    return pg.is_postgres(db)


def open_db(path: str | Path | None = None, *, memory: bool = False) -> sqlite_utils.Database:
    """Open (creating and migrating if needed) the database at ``path``: a SQLite file, or a
    PostgreSQL database when ``path`` is a ``postgresql://`` URL. Without ``path``, the
    :func:`default_target`.

    Open one per script run: sqlite connections may not cross threads, and each Streamlit
    session runs in its own thread.
    """
    if not memory:
        path = default_target() if path is None else path
        if pg.is_url(path):
            db = pg.connect(path)
            try:
                _migrate_pg(db)
            except BaseException:
                db.close()
                raise
            db.load_id_tables()
            return db  # type: ignore[return-value]
    if memory:
        db = sqlite_utils.Database(memory=True)
    else:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(target)
        # The busy timeout first: switching to WAL needs a lock, and without a timeout a
        # process opening a busy database fails at once with "database is locked".
        db.execute("PRAGMA busy_timeout=5000")
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=5000")
    migrate(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    if is_postgres(db):
        # In the schema the store's tables live in (the first of the search_path), not in
        # another schema further along the path.
        if db.execute(
            "SELECT to_regclass(quote_ident(current_schema()) || '.schema_version')"
        ).fetchone()[0] is None:
            return 0
        row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0
    return db.execute("PRAGMA user_version").fetchone()[0]


def _too_new(current: int) -> ValidationError:
    return ValidationError(
        f"Database schema version {current} is newer than this program ({SCHEMA_VERSION})."
    )


def _migrate_pg(db: pg.PostgresDatabase) -> int:
    """PostgreSQL: the same versions from :data:`PG_MIGRATIONS`, recorded in a
    ``schema_version`` table. Each runs in its own transaction under an advisory lock, and the
    version is re-read inside it, so app servers starting together migrate exactly once."""
    if len(PG_MIGRATIONS) != len(MIGRATIONS):
        raise RuntimeError(
            f"schema.py has {len(MIGRATIONS)} migrations but schema_pg.py has {len(PG_MIGRATIONS)}: "
            "append the PostgreSQL twin of the new migration to PG_MIGRATIONS."
        )
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise _too_new(current)
    applied = set()
    for version in range(current + 1, SCHEMA_VERSION + 1):
        db.raw.execute("BEGIN")
        try:
            db.raw.execute("SELECT pg_advisory_xact_lock(%s)", [db.migrate_lock])
            db.raw.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            now = schema_version(db)
            if now > SCHEMA_VERSION:
                raise _too_new(now)
            if now < version:
                db.raw.execute(PG_MIGRATIONS[version - 1])
                db.raw.execute("DELETE FROM schema_version")
                db.raw.execute("INSERT INTO schema_version(version) VALUES (%s)", [version])
                applied.add(version)
            db.raw.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
    _refresh_derived(db, current, applied)
    return SCHEMA_VERSION


def _refresh_derived(db, current: int, applied: set[int]) -> None:
    """Recompute every summary once when this process applied a migration that adds derived
    data (``REFRESH_AFTER``) to a database that already held patients."""
    if REFRESH_AFTER & applied and current and not is_empty(db):
        from progress.store.summaries import refresh_all  # summaries import this module

        refresh_all(db)


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations in order, each in its own transaction; return the version."""
    if is_postgres(db):
        return _migrate_pg(db)  # type: ignore[arg-type]
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise _too_new(current)
    applied = set()
    for version in range(current + 1, SCHEMA_VERSION + 1):
        # Several processes may open a new file at once: take the write lock first and re-read
        # the version inside it, so each migration runs exactly once.
        db.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) < version:
                for statement in _split_sql(MIGRATIONS[version - 1]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={version}")
                applied.add(version)
        except BaseException:
            db.conn.rollback()
            raise
        db.execute("COMMIT")
    _refresh_derived(db, current, applied)
    return SCHEMA_VERSION


def _split_sql(script: str) -> list[str]:
    """Split a DDL script into statements; sqlite3 knows where a trigger body ends."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    return statements


def is_empty(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 0


def get_setting(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def all_settings(db: sqlite_utils.Database) -> dict[str, str]:
    return dict(db.execute("SELECT key, value FROM settings ORDER BY key").fetchall())


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )




def _frame(db: sqlite_utils.Database, sql: str, params: Sequence | dict = ()) -> pd.DataFrame:
    """Run a query into a DataFrame that keeps its columns even when no row matches."""
    cur = db.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValidationError(f"{name} {value!r} is not one of {', '.join(allowed)}.")


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """A transaction that takes the write lock at BEGIN (waiting up to the busy timeout), so it
    never has to upgrade a read snapshot mid-way, which SQLite refuses at once under WAL.
    Inside a caller's transaction it nests as a savepoint. On PostgreSQL, BEGIN takes the
    store's one write lock (an advisory lock), which is what BEGIN IMMEDIATE does here."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    if is_postgres(db):
        db.begin_write()
    else:
        db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise


__all__ = ['write_transaction', 'DEFAULT_DB', 'default_db_path', 'default_target', 'describe_target',
           'DATABASE_URL_ENV', 'IntegrityError', 'OperationalError', 'DatabaseError', 'is_postgres', 'open_db', 'schema_version', 'migrate', 'is_empty', 'get_setting', 'set_setting', 'all_settings']
