"""Writing checked assessments from any import format in one transaction.

Every importer (exchange CSV, long/wide CSV, FHIR) first checks the whole file and collects
every problem; only a file without problems reaches :func:`store_assessments`, which creates
unknown patients, inserts the assessments (safety alerts included), refreshes the summaries
and audits it, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from progress import store
from progress.io_csv import IMPORT_RESPONDENT, ImportReport, audit_import, create_import_patients
from progress.model import Score


@dataclass(frozen=True)
class Checked:
    """One checked assessment, ready to store."""

    patient_id: str
    administered_at: str
    context: str
    score: Score
    total_only: bool


def store_assessments(
    db: sqlite_utils.Database,
    records: Sequence[Checked],
    *,
    source: str,
    actor: store.Actor | None = None,
    at: str | None = None,
) -> ImportReport:
    """Store ``records`` in one transaction; ``source`` ("fhir", "long", ...) names the format
    in the audit events. Patients are created at their earliest assessment."""
    with db.atomic():
        touched, created = create_import_patients(db, records, source=source, actor=actor, at=at)
        store.bulk_insert_assessments(
            db,
            [(r.patient_id, r.score, r.administered_at, r.context, IMPORT_RESPONDENT, None,
              r.total_only) for r in records],
        )
        store.refresh_all(db, list(touched))
        audit_import(db, records, source=source, noun="assessments", actor=actor, at=at)
    return ImportReport("assessments", len(records), created, tuple(touched))


__all__ = ["Checked", "store_assessments"]
