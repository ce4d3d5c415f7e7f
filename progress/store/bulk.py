"""Bulk loads for the demo generator and CSV import; callers refresh summaries afterwards."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from progress import instruments
from progress.errors import ValidationError
from progress.model import Score
from progress.store.alerts import mark_acknowledged
from progress.store.assessments import _safety_alert
from progress.store.audit import Actor, _audit_hash
from progress.store.pg import advance_ids
from progress.store.schema import GENESIS_HASH
from progress.store.summaries import refresh_patient
from progress.timeutil import to_iso


def bulk_insert_assessments(
    db: sqlite_utils.Database, rows: Sequence[tuple[str, Score, str, str, str, int | None, bool]]
) -> None:
    """Insert many assessments fast, without summaries; call :func:`refresh_all` afterwards.

    Each row is ``(patient_id, score, administered_at_iso, context, respondent, infusion_id,
    total_only)``. Must run inside the caller's ``db.atomic()``. Safety alerts are created for
    positive item-9 answers exactly as :func:`save_assessment` does.
    """
    assessment_cols = (
        "patient_id, instrument, instrument_version, recall_period, administered_at, context, "
        "infusion_id, respondent, total, band, subscales, flags, n_missing, prorated, total_only"
    )
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM assessments").fetchone()[0]) + 1
    a_rows, x_rows, alert_rows = [], [], []
    encoded: dict[int, tuple] = {}  # the same Score object (callers cache them) encodes once
    for offset, (pid, sc, at, context, respondent, infusion_id, total_only) in enumerate(rows):
        fixed = encoded.get(id(sc))
        if fixed is None:
            inst = instruments.get(sc.instrument)
            fixed = encoded[id(sc)] = (
                inst.id, inst.version, inst.recall_period, json.dumps(sc.subscales),
                json.dumps(list(sc.flags)),
            )
        aid = next_id + offset
        a_rows.append(
            (aid, pid, *fixed[:3], at, context, infusion_id, respondent, sc.total, sc.band,
             *fixed[3:], sc.n_missing, int(sc.prorated), int(total_only))
        )
        x_rows.extend((aid, k, v) for k, v in sc.answers.items())
        if sc.safety:
            alert_rows.append((pid, aid, "safety", *_safety_alert(sc), at))
    conn = db.conn
    conn.executemany(
        f"INSERT INTO assessments(id, {assessment_cols}) VALUES ({','.join('?' * 16)})", a_rows
    )
    advance_ids(db, "assessments")  # explicit ids: PostgreSQL's identity must move past them
    conn.executemany("INSERT INTO answers(assessment_id, item_id, value) VALUES (?,?,?)", x_rows)
    conn.executemany(
        "INSERT INTO alerts(patient_id, assessment_id, kind, severity, reason, created_at) "
        "VALUES (?,?,?,?,?,?)",
        alert_rows,
    )


def bulk_insert_infusions(db: sqlite_utils.Database, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many checked infusions fast, without summaries; call :func:`refresh_all` afterwards.

    Each row is a mapping with ``patient_id``, ``administered_at`` (stored ISO form), ``route``,
    ``phase`` and optionally ``dose_mg_per_kg``, ``dose_mg``, ``course_id``, ``side_effects``.
    Must run inside the caller's ``db.atomic()``. Returns the new ids in row order.
    """
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM infusions").fetchone()[0]) + 1
    values = [
        (next_id + offset, r["patient_id"], r.get("course_id"), r["administered_at"], r["route"],
         r.get("dose_mg_per_kg"), r.get("dose_mg"), r["phase"],
         json.dumps(list(r.get("side_effects", ()))))
        for offset, r in enumerate(rows)
    ]
    db.conn.executemany(
        "INSERT INTO infusions(id, patient_id, course_id, administered_at, route, dose_mg_per_kg, "
        "dose_mg, phase, side_effects) VALUES (?,?,?,?,?,?,?,?,?)",
        values,
    )
    advance_ids(db, "infusions")
    return [v[0] for v in values]


def bulk_create_alerts(
    db: sqlite_utils.Database, rows: Sequence[tuple[str, str, str, str, str]]
) -> None:
    """Insert many open alerts at once, in row order (so they get the ids one
    :func:`create_alert` call per row would). Each row is ``(patient_id, kind, severity, reason,
    at)``; no assessment link. Must run inside the caller's ``db.atomic()``; refresh the
    summaries afterwards."""
    db.conn.executemany(
        "INSERT INTO alerts(patient_id, assessment_id, kind, severity, reason, created_at) "
        "VALUES (?,NULL,?,?,?,?)",
        [(pid, kind, severity, reason, to_iso(at)) for pid, kind, severity, reason, at in rows],
    )


def bulk_acknowledge_alerts(
    db: sqlite_utils.Database, acks: Sequence[tuple[str, int, Actor]]
) -> None:
    """Acknowledge many open alerts, each ``(at, alert_id, actor)``, in the given order, leaving
    the store row for row as one :func:`acknowledge_alert` call per alert would.

    Must run inside the caller's ``db.atomic()``. The audit chain is extended in one insert.
    :func:`acknowledge_alert` refreshes the patient's summary and signals after every alert;
    here each patient is refreshed once, after all its alerts are acknowledged, and its stored
    signals are then given the row ids the per-alert refreshes would have left (each refresh
    deletes the patient's signals and appends them at the end of the table), so a later
    :func:`refresh_all` writes exactly the same rows. That relies on the stored signal kinds not
    depending on whether an alert is open or acknowledged (only safety signals do, and those are
    the alerts themselves, not stored).
    """
    if not acks:
        return
    rows = mark_acknowledged(db, acks)  # checked and written by the alerts store
    conn = db.conn
    prev_row = db.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    prev = prev_row[0] if prev_row else GENESIS_HASH
    events = []
    for at, alert_id, actor in acks:
        row = {
            "at": to_iso(at), "user_id": actor.user_id, "role": actor.role,
            "action": "alert.acknowledge", "patient_id": rows[alert_id][0],
            "source": actor.source, "detail": f"alert {alert_id}",
        }
        digest = _audit_hash(prev, row)
        events.append((*row.values(), prev, digest))
        prev = digest
    conn.executemany(
        "INSERT INTO audit_events(at, user_id, role, action, patient_id, source, detail, "
        "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
        events,
    )

    # One refresh per patient, in the order of each patient's first acknowledgement (the order
    # the per-alert path first writes their summary rows in).
    order = list(dict.fromkeys(rows[alert_id][0] for _, alert_id, _ in acks))
    held: dict[str, list[int]] = {}
    for sid, pid in db.execute("SELECT id, patient_id FROM signals"):
        held.setdefault(pid, []).append(sid)
    for pid in order:
        refresh_patient(db, pid)
    count = dict(db.execute("SELECT patient_id, COUNT(*) FROM signals GROUP BY patient_id").fetchall())

    # Replay the per-alert refreshes on row ids only: delete the patient's ids, append its
    # signals after the largest id left (SQLite gives a new row max(rowid) + 1).
    live = {sid for ids_ in held.values() for sid in ids_}
    top: list[int] = [-sid for sid in live]
    heapq.heapify(top)
    for _, alert_id, _ in acks:
        pid = rows[alert_id][0]
        for sid in held.get(pid, ()):
            live.discard(sid)
        while top and -top[0] not in live:
            heapq.heappop(top)
        base = -top[0] if top else 0
        n = count.get(pid, 0)
        held[pid] = list(range(base + 1, base + n + 1))
        for sid in held[pid]:
            live.add(sid)
            heapq.heappush(top, -sid)
    moves = []
    for pid in order:
        now = [r[0] for r in db.execute("SELECT id FROM signals WHERE patient_id = ? ORDER BY id", [pid])]
        moves.extend(zip(now, held.get(pid, []), strict=True))
    conn.executemany("UPDATE signals SET id = ? WHERE id = ?", [(-new, old) for old, new in moves])
    conn.executemany("UPDATE signals SET id = ? WHERE id = ?", [(new, -new) for _, new in moves])
    advance_ids(db, "signals")  # ids set by hand: PostgreSQL's identity must move past them


def export_rows(db: sqlite_utils.Database, table: str) -> Iterable[dict]:
    """Rows of an exchange table in a stable order (assessments with answers, or infusions)."""
    if table == "infusions":
        yield from db.query(
            "SELECT patient_id, administered_at, route, dose_mg_per_kg, phase FROM infusions "
            "ORDER BY patient_id, administered_at, id"
        )
        return
    if table != "assessments":
        raise ValidationError(f"Cannot export table {table!r}.")
    answers: dict[int, dict[str, int]] = {}
    for aid, item_id, value in db.execute("SELECT assessment_id, item_id, value FROM answers"):
        answers.setdefault(aid, {})[item_id] = value
    for row in db.query(
        "SELECT id, patient_id, instrument, administered_at, context, total, total_only "
        "FROM assessments ORDER BY patient_id, administered_at, id"
    ):
        row["answers"] = answers.get(row.pop("id"), {})
        yield row


__all__ = [
    'bulk_insert_assessments', 'bulk_insert_infusions', 'bulk_create_alerts',
    'bulk_acknowledge_alerts', 'export_rows',
]
