"""CSV for analysis: long and wide assessment tables, and the de-identified cohort table.

Layouts follow the DESIGN NOTE of clinical-reference.md section 4.2 (UTF-8, RFC 4180 quoting,
ISO 8601 timestamps with a UTC offset, pseudonymous ids, no free text):

``long``  one row per item answer: ``patient_id, instrument, instrument_version,
    recall_period, administered_at, context, respondent, item_id, item_loinc, item_value,
    total_score, severity_band, n_missing, prorated, flags, item9_flag, alert_id``. An
    assessment recorded as a total only is one row with empty item cells, so no score is
    lost. Item ids are ours (``phq9_1``: the same ids as in the database); ``item_loinc``
    carries the LOINC item code where the declaration has one.
``wide``  one row per assessment: the same assessment columns, then for every instrument its
    item columns (``phq9_1`` ... ``phq9_10``), ``<id>_total`` and ``<id>_band``; only the
    assessment's own instrument is filled in.
``cohort`` for clinic leads, de-identified: a cohort number instead of the patient id, days
    from the first infusion instead of dates, no clinician, no free text.

Formula cells (``= + - @``, tab, CR) are escaped with a leading apostrophe exactly as in
:mod:`progress.io_csv` (a plain number such as ``-1`` is left a number), and import removes
the apostrophe again. Import of long or wide files is all or
nothing, checks every total against its items (the PHQ-9 safety item is never inferred: a
row without item 9 is rejected unless the whole assessment is a total only), and stores
respondent ``"import"`` like the exchange CSV. Rows marked ``prorated`` are re-scored with the
instrument's proration policy, the file having said it was applied.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import sqlite_utils

from progress import instruments, scoring, store
from progress.errors import ImportRejected, ProgressError, ValidationError
from progress.imports import Checked, store_assessments
from progress.io_csv import (
    MEAN_TOTAL_TOLERANCE,
    ImportReport,
    Source,
    _escape,
    _number,
    _read_text,
    _unescape,
)
from progress.model import Instrument
from progress.timeutil import days_between, to_iso

ASSESSMENT_FIELDS = (
    "patient_id", "instrument", "instrument_version", "recall_period", "administered_at",
    "context", "respondent",
)
STATUS_FIELDS = ("n_missing", "prorated", "flags", "item9_flag", "alert_id")
LONG_COLUMNS = (
    *ASSESSMENT_FIELDS, "item_id", "item_loinc", "item_value", "total_score", "severity_band",
    *STATUS_FIELDS,
)
COHORT_COLUMNS = (
    "cohort_id", "indications", "route", "instrument", "day_from_first_infusion",
    "infusions_before", "context", "total_score", "severity_band", "item9_flag",
)
FORMATS = ("long", "wide", "cohort")
SAFETY_FLAG = "item9_positive"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def wide_columns() -> tuple[str, ...]:
    """Every instrument's item, total and band columns, in registry and declaration order."""
    cols: list[str] = [*ASSESSMENT_FIELDS]
    for inst in instruments.REGISTRY.values():
        cols += [i.id for i in inst.items] + [f"{inst.id}_total", f"{inst.id}_band"]
    return (*cols, *STATUS_FIELDS)


def _instant(stored: str) -> str:
    """Stored ``...Z`` -> ``...+00:00``: an explicit offset for spreadsheets and R/pandas."""
    return stored.removesuffix("Z") + "+00:00" if stored.endswith("Z") else stored


def _common(rec: Mapping[str, Any]) -> dict[str, str]:
    return {
        "patient_id": rec["patient_id"],
        "instrument": rec["instrument"],
        "instrument_version": rec["instrument_version"],
        "recall_period": rec["recall_period"],
        "administered_at": _instant(rec["administered_at"]),
        "context": rec["context"],
        "respondent": rec["respondent"],
        "n_missing": str(rec["n_missing"]),
        "prorated": "true" if rec["prorated"] else "false",
        "flags": ";".join(rec["flags"]),
        "item9_flag": _item9(rec),
        "alert_id": "" if rec["alert_id"] is None else str(rec["alert_id"]),
    }


def _item9(rec: Mapping[str, Any]) -> str:
    """"true"/"false" for PHQ-9 (unknown "" for a total-only PHQ-9), "" for others."""
    if rec["instrument"] != "phq9" or rec["total_only"]:
        return ""
    return "true" if SAFETY_FLAG in rec["flags"] else "false"


def long_rows(records: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, str]]:
    for rec in records:
        inst = instruments.get(rec["instrument"])
        base = _common(rec) | {
            "total_score": _number(rec["total"]), "severity_band": rec["band"] or "",
        }
        answered = [i for i in inst.items if i.id in rec["answers"]] if not rec["total_only"] else []
        if not answered:
            yield base | {"item_id": "", "item_loinc": "", "item_value": ""}
        for item in answered:
            yield base | {"item_id": item.id, "item_loinc": item.loinc or "",
                          "item_value": str(rec["answers"][item.id])}


def wide_rows(records: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, str]]:
    for rec in records:
        row = _common(rec)
        row[f"{rec['instrument']}_total"] = _number(rec["total"])
        row[f"{rec['instrument']}_band"] = rec["band"] or ""
        if not rec["total_only"]:
            row.update({k: str(v) for k, v in rec["answers"].items()})
        yield row


def cohort_rows(
    patients: Sequence[Mapping[str, Any]],
    infusions: Sequence[Mapping[str, Any]],
    records: Iterable[Mapping[str, Any]],
    *,
    salt: str = "",
) -> Iterator[dict[str, str]]:
    """De-identified rows: cohort numbers ordered by a salted hash of the patient id (so the
    numbering does not reveal the id order), days since the first infusion instead of dates."""
    order = sorted(
        (hashlib.sha256(f"{salt}\x00{p['id']}".encode()).hexdigest(), p["id"]) for p in patients
    )
    width = max(4, len(str(len(order))))
    cohort_id = {pid: f"C{n:0{width}d}" for n, (_, pid) in enumerate(order, start=1)}
    indications = {p["id"]: ";".join(p["indications"]) for p in patients}
    times: dict[str, list[dict]] = {}
    for inf in infusions:
        times.setdefault(inf["patient_id"], []).append(inf)
    rows = []
    for rec in records:
        pid = rec["patient_id"]
        given = times.get(pid, [])
        before = [i for i in given if i["administered_at"] <= rec["administered_at"]]
        day = (
            str(int(days_between(given[0]["administered_at"], rec["administered_at"]) // 1))
            if given else ""
        )
        rows.append({
            "cohort_id": cohort_id[pid],
            "indications": indications.get(pid, ""),
            "route": (before or given)[-1]["route"] if given else "",
            "instrument": rec["instrument"],
            "day_from_first_infusion": day,
            "infusions_before": str(len(before)),
            "context": rec["context"],
            "total_score": _number(rec["total"]),
            "severity_band": rec["band"] or "",
            "item9_flag": _item9(rec),
        })
    rows.sort(key=lambda r: (r["cohort_id"], r["instrument"], int(r["day_from_first_infusion"] or 0)))
    yield from rows


def export_table(
    db: sqlite_utils.Database,
    out: str | os.PathLike | IO[str],
    fmt: str = "long",
    *,
    patient_ids: Sequence[str] | None = None,
    salt: str = "",
) -> int:
    """Write ``fmt`` ("long", "wide" or "cohort") for some patients or the clinic; returns rows.

    ``out`` is a path (UTF-8, no BOM) or an open text file (opened with ``newline=""``).
    """
    if fmt not in FORMATS:
        raise ValidationError(f"format {fmt!r} is not one of {', '.join(FORMATS)}.")
    records = store.exchange_assessments(db, patient_ids)
    if fmt == "long":
        columns, rows = LONG_COLUMNS, long_rows(records)
    elif fmt == "wide":
        columns, rows = wide_columns(), wide_rows(records)
    else:
        columns = COHORT_COLUMNS
        rows = cohort_rows(store.exchange_patients(db, patient_ids),
                           store.exchange_infusions(db, patient_ids), records, salt=salt)
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            return _write(fh, columns, rows)
    return _write(out, columns, rows)


def _cell(text: str) -> str:
    """A plain number (``-1``, ``2.5``) cannot run as a formula and stays a number for the
    spreadsheet; any other text starting with a formula character is escaped."""
    return text if _PLAIN_NUMBER.fullmatch(text) else _escape(text)


def _write(fh: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> int:
    writer = csv.writer(fh)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_cell(row.get(c, "")) for c in columns])
        n += 1
    return n


# -- import -------------------------------------------------------------------------------


def table_format(header: Sequence[str]) -> str | None:
    """"long" or "wide" when the header is exactly one of ours (any column order), else None."""
    cells = sorted(c.strip() for c in header)
    if cells == sorted(LONG_COLUMNS):
        return "long"
    if cells == sorted(wide_columns()):
        return "wide"
    return None


def import_table(
    db: sqlite_utils.Database,
    source: Source,
    *,
    actor: store.Actor | None = None,
    at: str | None = None,
) -> ImportReport:
    """Import a long or wide file written by :func:`export_table`: all rows or none."""
    if actor is not None and at is None:
        raise ValidationError("An audited import needs the time of import 'at'.")
    fmt, records = parse_table(source)
    return store_assessments(db, records, source=fmt, actor=actor, at=at)


def parse_table(source: Source) -> tuple[str, list[Checked]]:
    """Check a whole long or wide file without writing; ImportRejected lists every problem."""
    text = _read_text(source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [c.strip() for c in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportRejected(["line 1: no header; expected a long or wide assessment table."]) from None
    fmt = table_format(header)
    if fmt is None:
        raise ImportRejected(
            [f"line 1: header is neither the long ({','.join(LONG_COLUMNS[:8])},...) nor the "
             "wide assessment table."]
        )
    problems: list[str] = []
    groups: dict[tuple[str, str, str], list[tuple[int, dict[str, str]]]] = {}
    prev = reader.line_num
    try:
        for row in reader:
            line, prev = prev + 1, reader.line_num
            if not any(c.strip() for c in row):
                continue
            if len(row) != len(header):
                problems.append(f"line {line}: expected {len(header)} cells, got {len(row)}.")
                continue
            cells = {name: _unescape(value) for name, value in zip(header, row, strict=True)}
            key = (cells["patient_id"], cells["instrument"], cells["administered_at"])
            if fmt == "wide" and key in groups:
                problems.append(f"line {line}: duplicates line {groups[key][0][0]}.")
                continue
            groups.setdefault(key, []).append((line, cells))
    except csv.Error as e:
        problems.append(f"line {prev + 1}: not valid CSV ({e}); later lines were not checked.")
    records: list[Checked] = []
    seen: dict[tuple[str, str, str], int] = {}
    for rows in groups.values():
        line = rows[0][0]
        try:
            record = _assessment(fmt, rows)
        except ProgressError as e:
            problems.append(f"line {line}: {e}")
            continue
        key = (record.patient_id, record.score.instrument, record.administered_at)
        if key in seen:
            problems.append(f"line {line}: the same assessment as line {seen[key]}.")
            continue
        seen[key] = line
        records.append(record)
    if problems:
        raise ImportRejected(problems)
    return fmt, records


def _assessment(fmt: str, rows: list[tuple[int, dict[str, str]]]) -> Checked:
    first = rows[0][1]
    pid = first["patient_id"]
    if not pid.strip() or pid != pid.strip():
        raise ValidationError(f"patient_id {pid!r} is empty or has surrounding spaces.")
    inst = instruments.get(first["instrument"])
    when = to_iso(first["administered_at"], field="administered_at")
    context = first["context"]
    if context not in store.CONTEXTS:
        raise ValidationError(f"context {context!r} is not one of {', '.join(store.CONTEXTS)}.")
    prorated = first["prorated"]
    if prorated not in ("true", "false"):
        raise ValidationError(f"prorated {prorated!r} must be true or false.")
    if fmt == "long":
        total_cell = first["total_score"]
        answers = _long_answers(inst, rows)
    else:
        total_cell = first[f"{inst.id}_total"]
        answers = _wide_answers(inst, first)
    total = _decimal(total_cell, "total")
    if not answers:
        if total is None:
            raise ValidationError("neither item answers nor a total are given.")
        return Checked(pid, when, context, scoring.score_total_only(inst.id, total), True)
    sc = scoring.score(inst.id, answers, prorate=prorated == "true")
    if total is not None and not _agrees(inst, total, sc.total):
        raise ValidationError(
            f"total {total_cell} disagrees with the item answers, which score {sc.total:g}."
        )
    return Checked(pid, when, context, sc, False)


def _long_answers(inst: Instrument, rows: list[tuple[int, dict[str, str]]]) -> dict[str, int]:
    answers: dict[str, int] = {}
    known = {i.id for i in inst.items}
    for line, cells in rows:
        for name in ("instrument_version", "recall_period", "context", "total_score", "prorated"):
            if cells[name] != rows[0][1][name]:
                raise ValidationError(
                    f"line {line} gives {name} {cells[name]!r} for the same assessment as line "
                    f"{rows[0][0]} ({rows[0][1][name]!r})."
                )
        item_id, value = cells["item_id"], cells["item_value"]
        if item_id == "" and value == "":
            continue
        if item_id not in known:
            raise ValidationError(f"item_id {item_id!r} is not an item of {inst.short_name}.")
        if item_id in answers:
            raise ValidationError(f"item {item_id} is given twice (line {line}).")
        answers[item_id] = _whole(value, item_id)
    return answers


def _wide_answers(inst: Instrument, cells: Mapping[str, str]) -> dict[str, int]:
    own = {i.id for i in inst.items} | {f"{inst.id}_total", f"{inst.id}_band"}
    for other in instruments.REGISTRY.values():
        for col in [i.id for i in other.items] + [f"{other.id}_total"]:
            if col not in own and cells.get(col, "") != "":
                raise ValidationError(
                    f"column {col} is filled on a {inst.short_name} row; only {inst.id} columns may be."
                )
    return {i.id: _whole(cells[i.id], i.id) for i in inst.items if cells[i.id] != ""}


def _whole(text: str, name: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValidationError(f"{name} value {text!r} is not a whole number.")
    return int(text)


def _decimal(text: str, name: str) -> int | float | None:
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{name} {text!r} is not a number.") from None
    return int(value) if value.is_integer() and "." not in text else value


def _agrees(inst: Instrument, given: float, scored: float) -> bool:
    if inst.method == "mean":
        return abs(given - scored) <= MEAN_TOTAL_TOLERANCE + 1e-9
    return given == scored


__all__ = [
    "COHORT_COLUMNS", "FORMATS", "LONG_COLUMNS", "cohort_rows", "export_table", "import_table",
    "long_rows", "parse_table", "table_format", "wide_columns", "wide_rows",
]
