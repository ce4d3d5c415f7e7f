"""Reads for the exchange formats (FHIR, long and wide CSV, cohort export, PDF reports).

One query per kind of record, for one patient, several or the whole clinic, so that an export
of a thousand patients is a handful of indexed reads rather than one query per assessment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlite_utils

_ASSESSMENT_COLUMNS = (
    "id", "patient_id", "instrument", "instrument_version", "recall_period", "administered_at",
    "context", "respondent", "infusion_id", "total", "band", "subscales", "flags", "n_missing",
    "prorated", "total_only",
)


def _where(patient_ids: Sequence[str] | None, column: str) -> tuple[str, list[str]]:
    if patient_ids is None:
        return "", []
    ids = list(patient_ids)
    return f"WHERE {column} IN ({','.join('?' * len(ids)) or 'NULL'})", ids


def exchange_assessments(
    db: sqlite_utils.Database, patient_ids: Sequence[str] | None = None
) -> list[dict]:
    """Every assessment (of ``patient_ids``, or of the clinic) with its answers and alert.

    Rows are in (patient, time) order; ``answers`` is ``{item_id: value}``, ``flags`` a list,
    ``subscales`` a dict, and ``alert_id`` the first alert the assessment raised (or None).
    """
    where, params = _where(patient_ids, "a.patient_id")
    cols = ", ".join(f"a.{c}" for c in _ASSESSMENT_COLUMNS)
    rows = db.execute(
        f"SELECT {cols}, (SELECT MIN(id) FROM alerts l WHERE l.assessment_id = a.id) "
        f"FROM assessments a {where} ORDER BY a.patient_id, a.administered_at, a.id",
        params,
    ).fetchall()
    answers: dict[int, dict[str, int]] = {}
    for aid, item_id, value in db.execute(
        f"SELECT x.assessment_id, x.item_id, x.value FROM answers x "
        f"JOIN assessments a ON a.id = x.assessment_id {where}",
        params,
    ):
        answers.setdefault(aid, {})[item_id] = value
    out = []
    for row in rows:
        rec = dict(zip((*_ASSESSMENT_COLUMNS, "alert_id"), row, strict=True))
        rec["flags"] = json.loads(rec["flags"])
        rec["subscales"] = json.loads(rec["subscales"])
        rec["prorated"] = bool(rec["prorated"])
        rec["total_only"] = bool(rec["total_only"])
        rec["answers"] = answers.get(rec["id"], {})
        out.append(rec)
    return out


def exchange_patients(
    db: sqlite_utils.Database, patient_ids: Sequence[str] | None = None
) -> list[dict]:
    """Patients (id, indications list, status, created_at) without any clinician detail."""
    where, params = _where(patient_ids, "id")
    return [
        {"id": pid, "indications": [i for i in inds.split(",") if i], "status": status,
         "created_at": created}
        for pid, inds, status, created in db.execute(
            f"SELECT id, indications, status, created_at FROM patients {where} ORDER BY id", params
        )
    ]


def exchange_infusions(
    db: sqlite_utils.Database, patient_ids: Sequence[str] | None = None
) -> list[dict]:
    """Infusions in (patient, time) order: id, patient_id, administered_at, route, phase."""
    where, params = _where(patient_ids, "patient_id")
    return [
        dict(r)
        for r in db.query(
            f"SELECT id, patient_id, administered_at, route, phase FROM infusions {where} "
            "ORDER BY patient_id, administered_at, id",
            params,
        )
    ]


__all__ = ["exchange_assessments", "exchange_patients", "exchange_infusions"]
