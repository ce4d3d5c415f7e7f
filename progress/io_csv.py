"""CSV exchange: assessments and infusions in and out (UTF-8, RFC 4180 through ``csv``).

Two kinds of file, told apart by the header (columns in any order, names exact):

``assessments``  ``patient_id,instrument,administered_at,context,answers,total``
    ``answers`` holds the item values in declaration order separated by single spaces
    (``"2 1 0 3 1 2 0 1 0"``; PHQ-9 may carry its unscored item 10 as a tenth value). Each
    value must be digits only (``^[0-9]+$``): ``"2.0"``, ``" 2"``, ``"two"`` and empty values
    are errors, never coerced; the scorer then checks count and ranges. ``total`` is optional
    when answers are given and must then agree with the scored total (exactly for summed
    instruments; within the 2-decimal rounding, 0.005, for mean-scored ones such as PEG).
    A row with an empty ``answers`` and a ``total`` is a legacy total-only row: it is checked
    by :func:`progress.scoring.score_total_only` and stored with ``total_only=True`` (a
    total-only PHQ-9 carries the flag ``item9_unknown``). Imported rows have respondent
    ``"import"`` and no infusion link.

``infusions``    ``patient_id,administered_at,route,dose_mg_per_kg,phase``
    ``route`` in :data:`progress.store.ROUTES`, ``phase`` in :data:`progress.store.PHASES`,
    ``dose_mg_per_kg`` empty or a plain positive decimal below 1000 (the store's rule).

Times are ISO 8601 with an offset or ``Z``, or a plain date (00:00 UTC); they are stored
normalised to UTC by :func:`progress.timeutil.to_iso`. A date-time without offset is rejected.

Import is all or nothing: every row is parsed and checked first and every problem collected as
``"line N: message"`` (N is the physical line in the file, the header is line 1); if there is
any, :class:`~progress.errors.ImportRejected` is raised and nothing is written. Otherwise all
rows, any new patients (created without indications) and the refreshed summaries are written
in one transaction. Rows whose cells are all empty are skipped (spreadsheets emit them).

Duplicates: two rows in one file with the same key -- ``(patient_id, instrument,
administered_at)`` for assessments, ``(patient_id, administered_at)`` for infusions -- are
rejected (a double paste, or two different records claiming the same moment). Rows already in
the database are not compared: importing the same file twice stores it twice.

Export writes the same format. A cell beginning with ``= + - @``, tab or carriage return gets
a leading apostrophe so a spreadsheet does not run it as a formula (OWASP "CSV injection");
import removes one apostrophe from a cell of the form ``'+`` followed by one of those
characters. A cell that itself begins with apostrophes and then such a character gets one more
on export, so ``import_csv(export_csv(db))`` gives back the exact text. What the format does not
carry: respondent, entered_by and infusion link of assessments; dose_mg, course and side effects
of infusions. An assessment with missing items (prorated) cannot be written as a positional
answer list; it is exported as a total-only row.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from progress import instruments, scoring, store
from progress.errors import ImportRejected, NotFound, ProgressError, ValidationError
from progress.model import Instrument, Score
from progress.timeutil import to_iso

ASSESSMENT_COLUMNS = ("patient_id", "instrument", "administered_at", "context", "answers", "total")
INFUSION_COLUMNS = ("patient_id", "administered_at", "route", "dose_mg_per_kg", "phase")
KINDS: dict[str, tuple[str, ...]] = {
    "assessments": ASSESSMENT_COLUMNS,
    "infusions": INFUSION_COLUMNS,
}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
IMPORT_RESPONDENT = "import"
MEAN_TOTAL_TOLERANCE = 0.005  # PEG totals are means rounded to 2 decimals

_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")

Source = str | os.PathLike | bytes | IO[str] | IO[bytes]


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote: the kind of file, the rows stored, the patients created."""

    kind: str
    rows: int
    patients_created: int
    patient_ids: tuple[str, ...] = ()  # every patient the file touched, in file order

    def summary(self) -> str:
        return (
            f"Imported {self.rows} {self.kind} row(s) for {len(self.patient_ids)} patient(s) "
            f"({self.patients_created} new)."
        )


@dataclass(frozen=True)
class _Assessment:
    patient_id: str
    administered_at: str
    context: str
    score: Score
    total_only: bool


@dataclass(frozen=True)
class _Infusion:
    patient_id: str
    administered_at: str
    route: str
    dose_mg_per_kg: float | None
    phase: str


# -- import ------------------------------------------------------------------------------


def import_csv(
    db: sqlite_utils.Database,
    source: Source,
    *,
    actor: store.Actor | None = None,
    at: str | None = None,
) -> ImportReport:
    """Check every row of an exchange CSV, then store all of it in one transaction.

    Parameters
    ----------
    source
        A path (``str`` without a line break, or ``os.PathLike``), CSV text (a ``str``
        holding a line break), ``bytes``, or an open file (text or binary).
    actor, at
        With an actor, one audit event ``import.csv`` per touched patient (and
        ``patient.create`` per created one) is recorded at ``at``, which is then required
        (the core reads no clock).

    Raises
    ------
    ImportRejected
        With every problem as ``"line N: message"``; nothing was written.
    NotFound
        For a path that does not exist.
    """
    if actor is not None and at is None:
        raise ValidationError("An import recorded for an actor needs the time 'at'.")
    kind, records = parse_csv(source)
    with db.atomic():
        touched, created = create_import_patients(db, records, source="csv", actor=actor, at=at)
        if kind == "assessments":
            store.bulk_insert_assessments(
                db,
                [
                    (r.patient_id, r.score, r.administered_at, r.context, IMPORT_RESPONDENT,
                     None, r.total_only)
                    for r in records
                ],
            )
        else:
            store.bulk_insert_infusions(
                db,
                [
                    {"patient_id": r.patient_id, "administered_at": r.administered_at,
                     "route": r.route, "phase": r.phase, "dose_mg_per_kg": r.dose_mg_per_kg}
                    for r in records
                ],
            )
        store.refresh_all(db, list(touched))
        audit_import(db, records, source="csv", noun=kind, actor=actor, at=at)
    return ImportReport(kind, len(records), created, tuple(touched))


def create_import_patients(db: sqlite_utils.Database, records: Iterable, *, source: str, actor, at) -> tuple[dict[str, str], int]:
    """Create the patients a checked import names that do not exist yet, each at its earliest
    time in the file (inside the caller's transaction); returns (patient -> earliest, created).
    Shared by every import format."""
    touched: dict[str, str] = {}
    for rec in records:
        first = touched.get(rec.patient_id)
        if first is None or rec.administered_at < first:
            touched[rec.patient_id] = rec.administered_at
    created = 0
    for pid, first_at in touched.items():
        if not store.patient_exists(db, pid):
            store.add_patient(db, pid, created_at=first_at)
            created += 1
            if actor is not None:
                store.record_event(db, actor, "patient.create", at, pid, detail=f"{source} import")
    return touched, created


def audit_import(db: sqlite_utils.Database, records: Iterable, *, source: str, noun: str, actor, at) -> None:
    """One audit event per patient an import wrote to, with the count (never the values)."""
    if actor is None:
        return
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec.patient_id] = counts.get(rec.patient_id, 0) + 1
    for pid, n in counts.items():
        store.record_event(db, actor, f"import.{source}", at, pid, detail=f"{n} {noun}")


def parse_csv(source: Source) -> tuple[str, list[_Assessment] | list[_Infusion]]:
    """Parse and check a whole file without writing: returns (kind, checked rows).

    Raises :class:`ImportRejected` listing every problem; useful for a dry run.
    """
    text = _read_text(source)
    problems: list[str] = []
    if not text.strip():
        raise ImportRejected(
            [f"line 1: the file is empty; expected a header: {','.join(ASSESSMENT_COLUMNS)} "
             f"or {','.join(INFUSION_COLUMNS)}."]
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as e:
        raise ImportRejected([f"line 1: the header is not valid CSV ({e})."]) from None
    kind, index = _detect_kind(header)  # raises ImportRejected for an unknown header
    columns = KINDS[kind]
    check: Callable[[dict[str, str]], tuple[Any, list[str]]] = (
        _check_assessment if kind == "assessments" else _check_infusion
    )
    records: list[Any] = []
    seen: dict[tuple[str, ...], int] = {}
    prev = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(f"line {prev + 1}: not valid CSV ({e}); later lines were not checked.")
            break
        line, prev = prev + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(
                f"line {line}: expected {len(columns)} cells ({','.join(columns)}), got {len(row)}."
            )
            continue
        values = {name: _unescape(row[i]) for name, i in index.items()}
        record, errors = check(values)
        problems.extend(f"line {line}: {message}" for message in errors)
        if record is None:
            continue
        key = _key(record)
        if key in seen:
            problems.append(
                f"line {line}: duplicates line {seen[key]} ({', '.join(key)}); "
                "remove one of the two."
            )
            continue
        seen[key] = line
        records.append(record)
    if problems:
        raise ImportRejected(problems)
    return kind, records


def _read_text(source: Source) -> str:
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source.removeprefix("\ufeff")
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            data: bytes | str = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"No file {str(path)!r}.") from None
        except IsADirectoryError:
            raise ValidationError(f"{str(path)!r} is a folder, not a CSV file.") from None
    elif isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise ValidationError(f"Cannot read CSV from {type(source).__name__}.")
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ImportRejected(
            [f"line {line}: the file is not UTF-8 text (byte 0x{data[e.start]:02x} at offset "
             f"{e.start}); save it as 'CSV UTF-8'."]
        ) from None


def _detect_kind(header: list[str]) -> tuple[str, dict[str, int]]:
    cells = [c.strip() for c in header]
    for kind, columns in KINDS.items():
        if sorted(cells) == sorted(columns):
            return kind, {name: cells.index(name) for name in columns}
    expected = (
        f"expected {','.join(ASSESSMENT_COLUMNS)} (assessments) or "
        f"{','.join(INFUSION_COLUMNS)} (infusions)"
    )
    best = max(KINDS, key=lambda k: len(set(cells) & set(KINDS[k])))
    if not set(cells) & set(KINDS[best]):
        raise ImportRejected([f"line 1: header {','.join(cells)!r} is not recognised; {expected}."])
    parts = []
    missing = [c for c in KINDS[best] if c not in cells]
    unknown = [c for c in cells if c not in KINDS[best]]
    repeated = sorted({c for c in cells if cells.count(c) > 1})
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown {', '.join(repr(c) for c in unknown)}")
    if repeated:
        parts.append(f"repeated {', '.join(repeated)}")
    raise ImportRejected(
        [f"line 1: header looks like a {best} file but has {'; '.join(parts)} column(s); "
         f"{expected}."]
    )


def _unescape(cell: str) -> str:
    return cell[1:] if _ESCAPED.match(cell) else cell


def _key(record: _Assessment | _Infusion) -> tuple[str, ...]:
    if isinstance(record, _Assessment):
        return (record.patient_id, record.score.instrument, record.administered_at)
    return (record.patient_id, record.administered_at)


def _check_patient(value: str, errors: list[str]) -> str | None:
    if not value.strip():
        errors.append("patient_id is empty.")
        return None
    if value != value.strip():
        errors.append(f"patient_id {value!r} has leading or trailing spaces.")
        return None
    return value


def _check_time(value: str, errors: list[str]) -> str | None:
    try:
        return to_iso(value, field="administered_at")
    except ValidationError as e:
        errors.append(str(e))
        return None


def _check_choice(name: str, value: str, allowed: tuple[str, ...], errors: list[str]) -> str | None:
    if value in allowed:
        return value
    errors.append(f"{name} {value!r} is not one of {', '.join(allowed)}.")
    return None


def _check_assessment(v: dict[str, str]) -> tuple[_Assessment | None, list[str]]:
    errors: list[str] = []
    pid = _check_patient(v["patient_id"], errors)
    instrument: Instrument | None = None
    try:
        instrument = instruments.get(v["instrument"])
    except ProgressError as e:
        errors.append(str(e))
    at = _check_time(v["administered_at"], errors)
    context = _check_choice("context", v["context"], store.CONTEXTS, errors)
    sc, total_only = None, False
    if instrument is not None:
        sc, total_only = _check_score(instrument, v["answers"], v["total"], errors)
    if errors or pid is None or at is None or context is None or sc is None:
        return None, errors
    return _Assessment(pid, at, context, sc, total_only), errors


def _check_score(
    instrument: Instrument, answers: str, total_cell: str, errors: list[str]
) -> tuple[Score | None, bool]:
    total: int | float | None = None
    if total_cell != "":
        if _DECIMAL.fullmatch(total_cell):
            total = float(total_cell) if "." in total_cell else int(total_cell)
        else:
            errors.append(f"total {total_cell!r} is not a number (e.g. 14 or 3.33).")
            return None, False
    if answers == "":
        if total is None:
            errors.append(
                "answers and total are both empty; give the item values, or a total for a "
                "total-only row."
            )
            return None, False
        try:
            return scoring.score_total_only(instrument.id, total), True
        except ValidationError as e:
            errors.append(str(e))
            return None, False
    values: list[int] = []
    for n, token in enumerate(answers.split(" "), start=1):
        if not _DIGITS.fullmatch(token):
            errors.append(
                f"answers value {n} {token!r} is not a whole number; write digits separated "
                "by single spaces (e.g. 2 1 0 3)."
            )
            return None, False
        values.append(int(token))
    try:
        sc = scoring.score(instrument.id, values)
    except ValidationError as e:
        errors.append(str(e))
        return None, False
    if total is not None:
        gap = abs(total - sc.total)
        agrees = gap <= MEAN_TOTAL_TOLERANCE + 1e-9 if instrument.method == "mean" else gap == 0
        if not agrees:
            errors.append(
                f"total {total_cell} disagrees with the answers, which score {sc.total:g}."
            )
            return None, False
    return sc, False


def _check_infusion(v: dict[str, str]) -> tuple[_Infusion | None, list[str]]:
    errors: list[str] = []
    pid = _check_patient(v["patient_id"], errors)
    at = _check_time(v["administered_at"], errors)
    route = _check_choice("route", v["route"], store.ROUTES, errors)
    phase = _check_choice("phase", v["phase"], store.PHASES, errors)
    dose: float | None = None
    cell = v["dose_mg_per_kg"]
    if cell != "":
        if _DECIMAL.fullmatch(cell) and 0 < float(cell) < 1000:
            dose = float(cell)
        else:
            errors.append(
                f"dose_mg_per_kg {cell!r} must be empty or a positive number below 1000 "
                "(e.g. 0.5)."
            )
    if errors or pid is None or at is None or route is None or phase is None:
        return None, errors
    return _Infusion(pid, at, route, dose, phase), errors


# -- export ------------------------------------------------------------------------------


def export_csv(
    db: sqlite_utils.Database,
    out: str | os.PathLike | IO[str],
    kind: str = "assessments",
) -> int:
    """Write every row of ``kind`` ("assessments" or "infusions") as exchange CSV.

    ``out`` is a path (written as UTF-8 without BOM, CRLF line ends) or an open text file
    (open it with ``newline=""``). Returns the number of data rows written.
    """
    if kind not in KINDS:
        raise ValidationError(f"kind {kind!r} is not one of {', '.join(KINDS)}.")
    rows = _export_cells(db, kind)
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            return _write(fh, kind, rows)
    return _write(out, kind, rows)


def _write(fh: IO[str], kind: str, rows: Iterable[list[str]]) -> int:
    writer = csv.writer(fh)
    writer.writerow(KINDS[kind])
    n = 0
    for cells in rows:
        writer.writerow([_escape(c) for c in cells])
        n += 1
    return n


def _export_cells(db: sqlite_utils.Database, kind: str) -> Iterator[list[str]]:
    if kind == "infusions":
        for r in store.export_rows(db, "infusions"):
            dose = r["dose_mg_per_kg"]
            yield [r["patient_id"], r["administered_at"], r["route"],
                   "" if dose is None else _number(dose), r["phase"]]
        return
    for r in store.export_rows(db, "assessments"):
        instrument = instruments.get(r["instrument"])
        answers = "" if r["total_only"] else _answer_text(instrument, r["answers"])
        yield [r["patient_id"], r["instrument"], r["administered_at"], r["context"], answers,
               _number(r["total"])]


def _answer_text(instrument: Instrument, answers: dict[str, int]) -> str:
    """Values in declaration order, or "" when the stored answers are not a full positional
    list (a prorated form with missing items): such a row is exported total-only."""
    present = {i.id for i in instrument.items if i.id in answers}
    if present not in ({i.id for i in instrument.scored_items}, {i.id for i in instrument.items}):
        return ""
    return " ".join(str(answers[i.id]) for i in instrument.items if i.id in answers)


def _number(value: float | int) -> str:
    """Plain decimal text that reads back to the same float (no exponent, no trailing .0)."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def _escape(cell: str) -> str:
    if cell and (cell[0] in FORMULA_TRIGGERS or _ESCAPED.match(cell)):
        return "'" + cell
    return cell
