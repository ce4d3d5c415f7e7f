"""What a store's schema looks like, the same way on both databases: its tables with their
columns, its named indexes and its triggers. Used to check that a PostgreSQL store was built
exactly like a SQLite one (tests/test_store_backends.py) and after a migration."""

from __future__ import annotations

import sqlite_utils

from progress.store.pg import is_postgres

_TYPES = {"bigint": "integer", "integer": "integer", "text": "text", "double precision": "real", "real": "real",
          "blob": "bytes", "bytea": "bytes"}


def schema_shape(db: sqlite_utils.Database) -> dict:
    """``{"tables": {table: [(column, type, not_null), ...]}, "indexes": {name: (table,
    (columns...), unique)}, "triggers": {names}}``. Types are integer, text, real or bytes; primary-key
    columns count as not null; bookkeeping (sqlite_*, schema_version) and the indexes that
    back a PRIMARY KEY or UNIQUE constraint are left out."""
    return _pg_shape(db) if is_postgres(db) else _sqlite_shape(db)


def _sqlite_shape(db) -> dict:
    tables = {}
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall():
        tables[name] = [
            (col, _TYPES[kind.lower()], bool(notnull or pk))
            for _, col, kind, notnull, _, pk in db.execute(f"PRAGMA table_info({name})").fetchall()
        ]
    indexes = {}
    for name, table in db.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall():
        cols = tuple(r[2] for r in db.execute(f"PRAGMA index_info({name})").fetchall())
        unique = any(r[1] == name and r[2] for r in db.execute(f"PRAGMA index_list({table})").fetchall())
        indexes[name] = (table, cols, unique)
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()}
    return {"tables": tables, "indexes": indexes, "triggers": triggers}


def _pg_shape(db) -> dict:
    tables: dict[str, list] = {}
    for table, col, kind, nullable in db.execute(
        "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "AND c.table_name <> 'schema_version' ORDER BY c.table_name, c.ordinal_position"
    ).fetchall():
        tables.setdefault(table, []).append((col, _TYPES[kind], nullable == "NO"))
    indexes = {}
    for name, table, unique, cols in db.execute(
        "SELECT i.relname, t.relname, ix.indisunique, "
        "array_agg(a.attname::text ORDER BY k.ord) FROM pg_index ix "
        "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE n.nspname = current_schema() "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) "
        "GROUP BY i.relname, t.relname, ix.indisunique"
    ).fetchall():
        indexes[name] = (table, tuple(cols), bool(unique))
    triggers = {r[0] for r in db.execute(
        "SELECT tg.tgname FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() "
        "AND NOT tg.tgisinternal"
    ).fetchall()}
    return {"tables": dict(sorted(tables.items())), "indexes": indexes, "triggers": triggers}


__all__ = ["schema_shape"]
