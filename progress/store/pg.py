"""PostgreSQL behind the same store functions: a small adapter that gives a psycopg 3 connection
the part of the ``sqlite_utils.Database`` API the store uses, and nothing more.

What it covers, and how:

- ``execute(sql, params)`` returns a cursor with ``fetchone/fetchall/description/rowcount/
  lastrowid`` that can be iterated; ``query(sql, params)`` yields dict rows.
- Placeholders: ``?`` (and ``:name`` with a dict of parameters) become psycopg's ``%s`` /
  ``%(name)s``; a literal ``%`` becomes ``%%``. Text inside quotes is left alone. That is the
  whole translation: store queries are written in SQL both databases accept (no ``INSERT OR
  REPLACE``, ``PRAGMA``, ``julianday``...), so nothing else is rewritten.
- ``lastrowid``: a single ``INSERT`` into a table with an identity ``id`` gets ``RETURNING id``.
- Python ``bool`` parameters are sent as 0/1: the schema keeps SQLite's integer flags.
- Transactions: the connection runs in autocommit, so a statement outside a transaction commits
  at once (as sqlite-utils' ``execute`` does). ``atomic()`` opens ``BEGIN`` and nests as a
  SAVEPOINT. Every outermost transaction takes one advisory lock per schema first, so writers
  queue one at a time exactly as SQLite's single writer does: the audit hash chain stays
  linear across app servers and idempotency keys settle the same way.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

URL_PREFIXES = ("postgresql://", "postgres://")

# A writer waits this long for the one write lock before failing (SQLite: busy timeout + retries).
LOCK_TIMEOUT = "30s"


def is_url(target: object) -> bool:
    """True for a PostgreSQL connection URL (``postgresql://...``)."""
    return isinstance(target, str) and target.startswith(URL_PREFIXES)


def redact(url: str) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@lru_cache(maxsize=2048)
def translate(sql: str, named: bool = False) -> str:
    """``?`` -> ``%s``, ``:name`` -> ``%(name)s`` (when ``named``), ``%`` -> ``%%``; quoted
    text ('...' and "...") and ``--`` comments keep their ``?`` and ``:`` as they are."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = sql.find(c, i + 1)
            while j != -1 and j + 1 < n and sql[j + 1] == c:  # doubled quote inside
                j = sql.find(c, j + 2)
            j = n - 1 if j == -1 else j
            out.append(sql[i:j + 1].replace("%", "%%"))
            i = j + 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j == -1 else j
            out.append(sql[i:j].replace("%", "%%"))
            i = j
        elif c == "?":
            out.append("%s")
            i += 1
        elif c == "%":
            out.append("%%")
            i += 1
        elif named and c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_") \
                and (i == 0 or sql[i - 1] != ":"):
            m = re.compile(r"[A-Za-z_]\w*").match(sql, i + 1)
            out.append(f"%({m.group(0)})s")
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)", re.IGNORECASE)


def _params(params: Sequence | dict | None) -> Sequence | dict | None:
    if params is None:
        return None
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return [int(v) if isinstance(v, bool) else v for v in params]


class PgCursor:
    """The sqlite3.Cursor surface the store reads."""

    def __init__(self, cur: Any, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid
        self.rowcount = cur.rowcount
        self.description = (
            None if cur.description is None else [(c.name, c.type_code, None, None, None, None, None) for c in cur.description]
        )

    def fetchone(self):
        return self._cur.fetchone() if self.description is not None else None

    def fetchall(self):
        return self._cur.fetchall() if self.description is not None else []

    def fetchmany(self, size: int):
        return self._cur.fetchmany(size) if self.description is not None else []

    def __iter__(self):
        return iter(self.fetchall())


class PgConnection:
    """What the store reaches through ``db.conn``: ``in_transaction``, ``rollback()``,
    ``executemany()`` (and ``execute()``)."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._db.raw.info.transaction_status != TransactionStatus.IDLE

    def rollback(self) -> None:
        if self.in_transaction:
            self._db.raw.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence | dict | None = None) -> PgCursor:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        rows = [_params(r) for r in rows]
        if not rows:
            return
        with self._db.raw.cursor() as cur:
            cur.executemany(translate(sql, isinstance(rows[0], dict)), rows)

    def close(self) -> None:
        self._db.raw.close()


class PostgresDatabase:
    """A psycopg 3 connection dressed as the subset of ``sqlite_utils.Database`` the store uses."""

    backend = "postgresql"

    def __init__(self, raw: Any, url: str) -> None:
        self.raw = raw
        self.url = url
        self.conn = PgConnection(self)
        schema = raw.execute("SELECT current_schema()").fetchone()[0]
        if schema is None:
            raise RuntimeError(f"No schema to use on {redact(url)}: check search_path.")
        self.schema = schema
        # One write lock and one migration lock per schema, the same numbers in every process.
        self.write_lock, self.migrate_lock = (_lock_key(f"progress.{kind}:{schema}") for kind in ("write", "migrate"))
        self.id_tables: frozenset[str] = frozenset()

    def load_id_tables(self) -> None:
        """Tables whose ``id`` is an identity column (their single INSERTs return the new id);
        read once per process and schema, after migrating (a page run opens a connection)."""
        key = (self.url, self.schema)
        if key not in _ID_TABLES:
            _ID_TABLES[key] = frozenset(r[0] for r in self.raw.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND is_identity = 'YES'"
            ))
        self.id_tables = _ID_TABLES[key]

    def execute(self, sql: str, params: Sequence | dict | None = None) -> PgCursor:
        params = _params(params)
        text = translate(sql, isinstance(params, dict)) if params is not None else sql
        m = _INSERT.match(sql)
        wants_id = m is not None and m.group(1).lower() in self.id_tables and "RETURNING" not in sql.upper()
        if wants_id:
            text = text.rstrip().rstrip(";") + " RETURNING id"
        cur = self.raw.execute(text, params)
        if wants_id:
            rows = cur.fetchall()
            return PgCursor(_Done(cur.rowcount), rows[-1][0] if rows else None)
        return PgCursor(cur)

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]:
        cur = self.execute(sql, params)
        keys = [d[0] for d in cur.description or ()]
        return (dict(zip(keys, row, strict=True)) for row in cur.fetchall())

    def begin_write(self) -> None:
        """BEGIN and take the write lock: one writer at a time, like SQLite's BEGIN IMMEDIATE."""
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", [self.write_lock])

    @contextmanager
    def atomic(self) -> Iterator[PostgresDatabase]:
        """A transaction (the outermost takes the write lock); nested blocks are savepoints."""
        if self.conn.in_transaction:
            savepoint = f"progress_{secrets.token_hex(8)}"
            self.raw.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.raw.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    self.raw.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            else:
                self.raw.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        self.begin_write()
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            try:
                self.raw.execute("COMMIT")
            except BaseException:
                self.conn.rollback()
                raise

    def close(self) -> None:
        self.raw.close()


_ID_TABLES: dict[tuple[str, str], frozenset[str]] = {}


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock number for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class _Done:
    """Stands in for a psycopg cursor whose RETURNING rows were already read."""

    description = None

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount


def connect(url: str) -> PostgresDatabase:
    """Open ``url`` (autocommit; the store opens its own transactions)."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise RuntimeError("PostgreSQL needs the psycopg package: pip install 'psycopg[binary]'.") from exc
    raw = psycopg.connect(url, autocommit=True, application_name="progress")
    raw.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    return PostgresDatabase(raw, url)


def is_postgres(db: object) -> bool:
    return getattr(db, "backend", None) == "postgresql"


def advance_ids(db: Any, table: str) -> None:
    """After rows were inserted with explicit ids (the bulk loads), move the table's identity
    sequence past them so the next ordinary insert does not collide. SQLite needs nothing."""
    if is_postgres(db):
        db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


__all__: list[str] = []
