"""Opening the database: WAL, foreign keys, synchronous=FULL, busy timeout, migrations, settings."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import sqlite_utils

from progress.errors import ValidationError
from progress.store.schema import MIGRATIONS, REFRESH_AFTER, SCHEMA_VERSION

DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "data" / "progress.db"


def default_db_path() -> Path:
    """``PROGRESS_DB`` if set, else ``data/progress.db`` beside the package."""
    env = os.environ.get("PROGRESS_DB")
    return Path(env) if env else DEFAULT_DB


def open_db(path: str | Path | None = None, *, memory: bool = False) -> sqlite_utils.Database:
    """Open (creating and migrating if needed) the database at ``path``.

    Open one per script run: sqlite connections may not cross threads, and each Streamlit
    session runs in its own thread.
    """
    if memory:
        db = sqlite_utils.Database(memory=True)
    else:
        target = Path(path) if path is not None else default_db_path()
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
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply pending migrations in order, each in its own transaction; return the version."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise ValidationError(
            f"Database schema version {current} is newer than this program ({SCHEMA_VERSION})."
        )
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
    if REFRESH_AFTER & applied and current and not is_empty(db):
        from progress.store.summaries import refresh_all  # summaries import this module

        refresh_all(db)
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
    Inside a caller's transaction it nests as a savepoint."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.rollback()
        raise


__all__ = ['write_transaction', 'DEFAULT_DB', 'default_db_path', 'open_db', 'schema_version', 'migrate', 'is_empty', 'get_setting', 'set_setting', 'all_settings']
