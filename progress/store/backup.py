"""Online backup and restore with SQLite's backup API, and the checks a copy must pass.

The backup API copies a consistent snapshot while check-ins keep being saved (WAL readers do
not block writers); copying the database file instead can miss everything still in the WAL.
The copy is written beside the target and renamed into place only after it passes
``PRAGMA integrity_check`` and the audit chain, so a half-written backup is never left under
the target's name.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from progress.errors import ValidationError
from progress.store.audit import verify_audit_chain
from progress.store.pg import is_postgres

COUNTED = ("patients", "users", "assessments", "answers", "alerts", "infusions", "audit_events")


@dataclass(frozen=True)
class CopyCheck:
    """What a database copy holds and whether it is sound."""

    integrity: str
    chain_ok: bool
    chain_events: int
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.chain_ok


def check_copy(path: str | Path) -> CopyCheck:
    """Integrity check, audit chain and row counts of the database file at ``path``."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        db = sqlite_utils.Database(conn)
        ok, events, _ = verify_audit_chain(db)
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()
    return CopyCheck(integrity, ok, events, counts)


def backup_to(db: sqlite_utils.Database, target: str | Path) -> CopyCheck:
    """Copy the open database ``db`` to ``target`` (which must not exist) and check the copy.

    SQLite only: a PostgreSQL database is backed up with the server's own tools."""
    if is_postgres(db):
        raise ValidationError(
            "This database is PostgreSQL: back it up with pg_dump (e.g. pg_dump --format=custom "
            "--file=progress.dump \"$PROGRESS_DATABASE_URL\") or the server's continuous "
            "archiving, and restore with pg_restore. The built-in backup copies SQLite files only."
        )
    return _copy(db.conn, Path(target))


def restore_from(source: str | Path, target: str | Path) -> CopyCheck:
    """Restore a backup file into ``target`` (which must not exist), checking both ends."""
    source = Path(source)
    if not source.is_file():
        raise ValidationError(f"No backup file at {source}.")
    before = check_copy(source)
    if not before.ok:
        raise ValidationError(f"The backup {source} fails its checks (integrity {before.integrity!r}, audit chain "
                              f"{'intact' if before.chain_ok else 'broken'}); nothing was restored.")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        return _copy(conn, Path(target))
    finally:
        conn.close()


def _copy(src: sqlite3.Connection, target: Path) -> CopyCheck:
    if target.exists():
        raise ValidationError(f"{target} already exists; choose a new file name.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    dest = sqlite3.connect(partial)
    try:
        src.backup(dest)  # one step: a single consistent snapshot, writers keep going (WAL)
        dest.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dest.close()
    check = check_copy(partial)
    if not check.ok:
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        raise ValidationError(
            f"The copy failed its checks (integrity {check.integrity!r}, audit chain "
            f"{'intact' if check.chain_ok else 'broken'}); nothing was kept."
        )
    os.replace(partial, target)
    return check


__all__ = ['COUNTED', 'CopyCheck', 'check_copy', 'backup_to', 'restore_from']
