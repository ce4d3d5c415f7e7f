"""The SQLite store: schema, migrations and every query. The only module with SQL.

Connection rules (ARCHITECTURE.md traps): one connection per script run, WAL, foreign keys on,
synchronous=FULL, a busy timeout; every logical write (an assessment with its items, its
alert, its summary and its audit row) runs inside ``db.atomic()`` so it lands whole or not
at all. Per-patient summaries are refreshed inside the same transaction, so clinic-wide views
read one row per patient and never scan every assessment.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlite_utils

from progress import instruments, metrics
from progress.errors import NotFound, ValidationError
from progress.model import Score
from progress.timeutil import to_iso

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "progress.db"

CONTEXTS = ("intake", "pre_infusion", "post_infusion", "weekly", "maintenance", "booster")
ROUTES = ("IV", "IM", "intranasal", "oral-sublingual")
PHASES = ("induction", "maintenance", "booster")
RESPONDENTS = ("self", "clinician", "import")
INDICATIONS = ("depression", "anxiety", "PTSD", "chronic pain")
ROLES = ("patient", "therapist", "lead", "admin")

_SCHEMA_V1 = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('patient','therapist','lead','admin')),
    password_hash TEXT,
    patient_id TEXT REFERENCES patients(id),
    disabled INTEGER NOT NULL DEFAULT 0,
    is_demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
) STRICT;
CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    indications TEXT NOT NULL DEFAULT '',
    therapist_id INTEGER REFERENCES users(id),
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX patients_therapist ON patients(therapist_id);
CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    started_at TEXT NOT NULL,
    planned_induction INTEGER NOT NULL DEFAULT 6,
    induction_window_days INTEGER NOT NULL DEFAULT 21,
    route TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    notes TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX courses_patient ON courses(patient_id);
CREATE TABLE infusions (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    course_id INTEGER REFERENCES courses(id),
    administered_at TEXT NOT NULL,
    route TEXT NOT NULL CHECK (route IN ('IV','IM','intranasal','oral-sublingual')),
    dose_mg_per_kg REAL,
    dose_mg REAL,
    phase TEXT NOT NULL CHECK (phase IN ('induction','maintenance','booster')),
    side_effects TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX infusions_patient_time ON infusions(patient_id, administered_at);
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    instrument TEXT NOT NULL,
    instrument_version TEXT NOT NULL,
    recall_period TEXT NOT NULL,
    administered_at TEXT NOT NULL,
    context TEXT NOT NULL CHECK (context IN
        ('intake','pre_infusion','post_infusion','weekly','maintenance','booster')),
    infusion_id INTEGER REFERENCES infusions(id),
    respondent TEXT NOT NULL CHECK (respondent IN ('self','clinician','import')),
    entered_by INTEGER REFERENCES users(id),
    total REAL NOT NULL,
    band TEXT,
    subscales TEXT NOT NULL DEFAULT '{}',
    flags TEXT NOT NULL DEFAULT '[]',
    n_missing INTEGER NOT NULL DEFAULT 0,
    prorated INTEGER NOT NULL DEFAULT 0,
    total_only INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX assessments_series ON assessments(patient_id, instrument, administered_at, total);
CREATE TABLE answers (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id),
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, item_id)
) STRICT;
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    assessment_id INTEGER REFERENCES assessments(id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','resolved')),
    acknowledged_by INTEGER REFERENCES users(id),
    acknowledged_at TEXT,
    resolved_by INTEGER REFERENCES users(id),
    resolved_at TEXT,
    note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX alerts_patient_status ON alerts(patient_id, status);
CREATE INDEX alerts_status ON alerts(status, created_at);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    role TEXT,
    action TEXT NOT NULL,
    patient_id TEXT,
    source TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_patient ON audit_events(patient_id, at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TABLE summaries (
    patient_id TEXT NOT NULL REFERENCES patients(id),
    instrument TEXT NOT NULL,
    n INTEGER NOT NULL,
    baseline_total REAL,
    baseline_at TEXT,
    latest_total REAL NOT NULL,
    latest_at TEXT NOT NULL,
    latest_band TEXT,
    nadir_total REAL NOT NULL,
    nadir_at TEXT NOT NULL,
    change REAL,
    pct_change REAL,
    status TEXT NOT NULL,
    reliable TEXT,
    PRIMARY KEY (patient_id, instrument)
) STRICT;
CREATE TABLE patient_summaries (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id),
    last_assessment_at TEXT,
    first_infusion_at TEXT,
    last_infusion_at TEXT,
    n_infusions INTEGER NOT NULL DEFAULT 0,
    n_boosters INTEGER NOT NULL DEFAULT 0,
    phase TEXT,
    route TEXT,
    open_alerts INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
"""

MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1,)
SCHEMA_VERSION = len(MIGRATIONS)
GENESIS_HASH = "0" * 64


# -- connection --------------------------------------------------------------------------


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
    for version in range(current + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[version - 1]
        with db.atomic():
            for statement in _split_sql(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={version}")
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


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )


# -- audit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where (a page name or a command)."""

    user_id: int | None
    role: str | None
    source: str

    @classmethod
    def system(cls, source: str) -> Actor:
        return cls(None, "system", source)


def _audit_hash(prev: str, row: dict[str, Any]) -> str:
    payload = json.dumps({k: row[k] for k in sorted(row)}, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def record_event(
    db: sqlite_utils.Database,
    actor: Actor,
    action: str,
    at: str,
    patient_id: str | None = None,
    detail: str = "",
) -> None:
    """Append an audit event chained to the previous one. Never holds scores or answers."""
    prev_row = db.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    prev = prev_row[0] if prev_row else GENESIS_HASH
    row = {
        "at": to_iso(at),
        "user_id": actor.user_id,
        "role": actor.role,
        "action": action,
        "patient_id": patient_id,
        "source": actor.source,
        "detail": detail,
    }
    db.execute(
        "INSERT INTO audit_events(at, user_id, role, action, patient_id, source, detail, "
        "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
        [*row.values(), prev, _audit_hash(prev, row)],
    )


def verify_audit_chain(db: sqlite_utils.Database) -> tuple[bool, int, int | None]:
    """Re-hash the chain: returns (ok, events checked, id of the first broken event)."""
    prev = GENESIS_HASH
    n = 0
    cols = "id, at, user_id, role, action, patient_id, source, detail, prev_hash, hash"
    for r in db.execute(f"SELECT {cols} FROM audit_events ORDER BY id"):
        row = dict(zip(("at", "user_id", "role", "action", "patient_id", "source", "detail"), r[1:8], strict=True))
        if r[8] != prev or _audit_hash(prev, row) != r[9]:
            return False, n, r[0]
        prev = r[9]
        n += 1
    return True, n, None


# -- users and patients ------------------------------------------------------------------


def add_user(
    db: sqlite_utils.Database,
    username: str,
    role: str,
    *,
    display_name: str | None = None,
    password_hash: str | None = None,
    patient_id: str | None = None,
    is_demo: bool = False,
    created_at: str,
) -> int:
    if role not in ROLES:
        raise ValidationError(f"Role {role!r} is not one of {', '.join(ROLES)}.")
    if not username or not username.strip():
        raise ValidationError("A user name is required.")
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ValidationError(f"User name {username!r} is already taken.")
    with db.atomic():
        cur = db.execute(
            "INSERT INTO users(username, display_name, role, password_hash, patient_id, is_demo, "
            "created_at) VALUES (?,?,?,?,?,?,?)",
            [username, display_name or username, role, password_hash, patient_id, int(is_demo), to_iso(created_at)],
        )
        return cur.lastrowid


def get_user(db: sqlite_utils.Database, *, username: str | None = None, user_id: int | None = None) -> dict | None:
    if username is not None:
        rows = db.query("SELECT * FROM users WHERE username = ?", [username])
    else:
        rows = db.query("SELECT * FROM users WHERE id = ?", [user_id])
    return next(iter(rows), None)


def update_user(db: sqlite_utils.Database, user_id: int, **fields: Any) -> None:
    allowed = {"password_hash", "disabled", "display_name"}
    if not fields or set(fields) - allowed:
        raise ValidationError(f"Only {', '.join(sorted(allowed))} can be changed.")
    sets = ", ".join(f"{k} = ?" for k in fields)
    with db.atomic():
        db.execute(f"UPDATE users SET {sets} WHERE id = ?", [*fields.values(), user_id])


def list_users(db: sqlite_utils.Database, role: str | None = None) -> list[dict]:
    if role:
        return list(db.query("SELECT * FROM users WHERE role = ? ORDER BY username", [role]))
    return list(db.query("SELECT * FROM users ORDER BY role, username"))


def add_patient(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    indications: Iterable[str] = (),
    therapist_id: int | None = None,
    created_at: str,
) -> None:
    inds = list(indications)
    for ind in inds:
        if ind not in INDICATIONS:
            raise ValidationError(f"Indication {ind!r} is not one of {', '.join(INDICATIONS)}.")
    if not patient_id or not str(patient_id).strip():
        raise ValidationError("A patient id is required.")
    with db.atomic():
        db.execute(
            "INSERT INTO patients(id, indications, therapist_id, created_at) VALUES (?,?,?,?)",
            [patient_id, ",".join(inds), therapist_id, to_iso(created_at)],
        )
        db.execute("INSERT INTO patient_summaries(patient_id) VALUES (?)", [patient_id])


def get_patient(db: sqlite_utils.Database, patient_id: str) -> dict:
    row = next(iter(db.query("SELECT * FROM patients WHERE id = ?", [patient_id])), None)
    if row is None:
        raise NotFound(f"No patient with id {patient_id!r}.")
    return row


def patient_exists(db: sqlite_utils.Database, patient_id: str) -> bool:
    return db.execute("SELECT 1 FROM patients WHERE id = ?", [patient_id]).fetchone() is not None


def list_patient_ids(db: sqlite_utils.Database, therapist_id: int | None = None) -> list[str]:
    if therapist_id is None:
        return [r[0] for r in db.execute("SELECT id FROM patients ORDER BY id")]
    return [
        r[0]
        for r in db.execute("SELECT id FROM patients WHERE therapist_id = ? ORDER BY id", [therapist_id])
    ]


# -- course and infusions ----------------------------------------------------------------


def add_course(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    started_at: str,
    route: str,
    planned_induction: int = 6,
    induction_window_days: int = 21,
) -> int:
    _check_choice("route", route, ROUTES)
    with db.atomic():
        cur = db.execute(
            "INSERT INTO courses(patient_id, started_at, planned_induction, induction_window_days, "
            "route) VALUES (?,?,?,?,?)",
            [patient_id, to_iso(started_at), planned_induction, induction_window_days, route],
        )
        return cur.lastrowid


def latest_course(db: sqlite_utils.Database, patient_id: str) -> dict | None:
    rows = db.query(
        "SELECT * FROM courses WHERE patient_id = ? ORDER BY started_at DESC, id DESC LIMIT 1",
        [patient_id],
    )
    return next(iter(rows), None)


def add_infusion(
    db: sqlite_utils.Database,
    patient_id: str,
    *,
    administered_at: str,
    route: str,
    phase: str,
    dose_mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    side_effects: Sequence[str] = (),
    course_id: int | None = None,
    actor: Actor | None = None,
) -> int:
    """Record one infusion session and refresh the patient's summary in the same transaction."""
    _check_choice("route", route, ROUTES)
    _check_choice("phase", phase, PHASES)
    for name, dose in (("dose_mg_per_kg", dose_mg_per_kg), ("dose_mg", dose_mg)):
        if dose is not None and (type(dose) not in (int, float) or not 0 < dose < 1000):
            raise ValidationError(f"{name} {dose!r} must be a positive number.")
    at = to_iso(administered_at, field="administered_at")
    if not patient_exists(db, patient_id):
        raise NotFound(f"No patient with id {patient_id!r}.")
    with db.atomic():
        cur = db.execute(
            "INSERT INTO infusions(patient_id, course_id, administered_at, route, dose_mg_per_kg, "
            "dose_mg, phase, side_effects) VALUES (?,?,?,?,?,?,?,?)",
            [patient_id, course_id, at, route, dose_mg_per_kg, dose_mg, phase, json.dumps(list(side_effects))],
        )
        # The first infusion defines each baseline: scores saved before it was recorded
        # (the usual check-in order) need their summaries recomputed now.
        for (instrument_id,) in db.execute(
            "SELECT DISTINCT instrument FROM assessments WHERE patient_id = ?", [patient_id]
        ).fetchall():
            refresh_summary(db, patient_id, instrument_id)
        refresh_patient(db, patient_id)
        if actor is not None:
            record_event(db, actor, "infusion.create", at, patient_id)
        return cur.lastrowid


def infusion_times(db: sqlite_utils.Database) -> pd.DataFrame:
    """(patient_id, administered_at, phase) for every infusion, for cohort alignment."""
    rows = db.execute("SELECT patient_id, administered_at, phase FROM infusions ORDER BY patient_id, administered_at").fetchall()
    return pd.DataFrame(rows, columns=["patient_id", "administered_at", "phase"])


def list_infusions(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    rows = list(
        db.query(
            "SELECT id, administered_at, route, dose_mg_per_kg, dose_mg, phase, side_effects "
            "FROM infusions WHERE patient_id = ? ORDER BY administered_at",
            [patient_id],
        )
    )
    df = pd.DataFrame(rows, columns=["id", "administered_at", "route", "dose_mg_per_kg", "dose_mg", "phase", "side_effects"])
    df["side_effects"] = df["side_effects"].map(json.loads) if len(df) else df["side_effects"]
    df["number"] = range(1, len(df) + 1)
    return df


def _frame(db: sqlite_utils.Database, sql: str, params: Sequence | dict = ()) -> pd.DataFrame:
    """Run a query into a DataFrame that keeps its columns even when no row matches."""
    cur = db.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def _check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValidationError(f"{name} {value!r} is not one of {', '.join(allowed)}.")


# -- assessments -------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What a save produced: the assessment id and, if the safety item was positive, the alert."""

    assessment_id: int
    alert_id: int | None


def _safety_alert(score: Score) -> tuple[str, str]:
    """Severity and reason for a positive PHQ-9 item 9: 1 is moderate, 2-3 high [S59]."""
    value = score.answers.get("phq9_9", 0)
    label = instruments.get(score.instrument).item("phq9_9").label_for(value)
    reason = (
        f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
        f"'{label}' ({value} of 3). Please review and contact the patient [S59][S61]."
    )
    return ("high" if value >= 2 else "moderate"), reason


def save_assessment(
    db: sqlite_utils.Database,
    patient_id: str,
    score: Score,
    *,
    administered_at: str,
    context: str,
    respondent: str = "self",
    infusion_id: int | None = None,
    entered_by: int | None = None,
    total_only: bool = False,
    actor: Actor | None = None,
) -> Saved:
    """Store one scored assessment, its answers, its safety alert, the patient's summary and an
    audit event, all in one transaction: if any part fails, nothing is written."""
    _check_choice("context", context, CONTEXTS)
    _check_choice("respondent", respondent, RESPONDENTS)
    at = to_iso(administered_at, field="administered_at")
    instruments.get(score.instrument)  # unknown instrument: fail before writing
    if not patient_exists(db, patient_id):
        raise NotFound(f"No patient with id {patient_id!r}.")
    with db.atomic():
        assessment_id = _insert_assessment(
            db, patient_id, score, at, context, respondent, infusion_id, entered_by, total_only
        )
        alert_id = None
        if score.safety:
            severity, reason = _safety_alert(score)
            alert_id = db.execute(
                "INSERT INTO alerts(patient_id, assessment_id, kind, severity, reason, created_at) "
                "VALUES (?,?,?,?,?,?)",
                [patient_id, assessment_id, "safety", severity, reason, at],
            ).lastrowid
        refresh_summary(db, patient_id, score.instrument)
        refresh_patient(db, patient_id)
        if actor is not None:
            record_event(db, actor, "assessment.create", at, patient_id, detail=score.instrument)
            if alert_id is not None:
                record_event(db, actor, "alert.create", at, patient_id, detail=f"alert {alert_id}")
    return Saved(assessment_id, alert_id)


def _insert_assessment(
    db, patient_id, score, at, context, respondent, infusion_id, entered_by, total_only
) -> int:
    instrument = instruments.get(score.instrument)
    cur = db.execute(
        "INSERT INTO assessments(patient_id, instrument, instrument_version, recall_period, "
        "administered_at, context, infusion_id, respondent, entered_by, total, band, subscales, "
        "flags, n_missing, prorated, total_only) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            patient_id, instrument.id, instrument.version, instrument.recall_period, at, context,
            infusion_id, respondent, entered_by, score.total, score.band,
            json.dumps(score.subscales), json.dumps(list(score.flags)), score.n_missing,
            int(score.prorated), int(total_only),
        ],
    )
    db.conn.executemany(
        "INSERT INTO answers(assessment_id, item_id, value) VALUES (?,?,?)",
        [(cur.lastrowid, k, v) for k, v in score.answers.items()],
    )
    return cur.lastrowid


def load_series(
    db: sqlite_utils.Database,
    patient_id: str,
    instrument_id: str | None = None,
    *,
    since: str | None = None,
    until: str | None = None,
) -> pd.DataFrame:
    """One patient's assessments in time order (optionally one instrument, a date range)."""
    where, params = ["patient_id = ?"], [patient_id]
    if instrument_id:
        where.append("instrument = ?")
        params.append(instrument_id)
    if since:
        where.append("administered_at >= ?")
        params.append(to_iso(since))
    if until:
        where.append("administered_at <= ?")
        params.append(to_iso(until))
    cols = [
        "id", "instrument", "administered_at", "context", "infusion_id", "respondent", "total",
        "band", "subscales", "flags", "n_missing", "prorated", "total_only", "recall_period",
    ]
    rows = db.execute(
        f"SELECT {', '.join(cols)} FROM assessments WHERE {' AND '.join(where)} "
        "ORDER BY administered_at, id",
        params,
    ).fetchall()
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        df["flags"] = df["flags"].map(json.loads)
        df["subscales"] = df["subscales"].map(json.loads)
    return df


def load_answers(db: sqlite_utils.Database, patient_id: str, instrument_id: str) -> pd.DataFrame:
    """Item answers in long form: assessment_id, administered_at, item_id, value."""
    rows = db.execute(
        "SELECT a.id, a.administered_at, x.item_id, x.value FROM assessments a "
        "JOIN answers x ON x.assessment_id = a.id WHERE a.patient_id = ? AND a.instrument = ? "
        "ORDER BY a.administered_at, a.id",
        [patient_id, instrument_id],
    ).fetchall()
    return pd.DataFrame(rows, columns=["assessment_id", "administered_at", "item_id", "value"])


# -- summaries ---------------------------------------------------------------------------


def refresh_summary(db: sqlite_utils.Database, patient_id: str, instrument_id: str) -> None:
    """Recompute one (patient, instrument) summary from its series (an indexed range scan)."""
    instrument = instruments.get(instrument_id)
    series = db.execute(
        "SELECT administered_at, total FROM assessments WHERE patient_id = ? AND instrument = ? "
        "ORDER BY administered_at, id",
        [patient_id, instrument_id],
    ).fetchall()
    if not series:
        db.execute("DELETE FROM summaries WHERE patient_id = ? AND instrument = ?", [patient_id, instrument_id])
        return
    first = db.execute(
        "SELECT MIN(administered_at) FROM infusions WHERE patient_id = ?", [patient_id]
    ).fetchone()[0]
    s = metrics.summarize(instrument, [(a, t) for a, t in series], first)
    db.execute(
        "INSERT OR REPLACE INTO summaries(patient_id, instrument, n, baseline_total, baseline_at, "
        "latest_total, latest_at, latest_band, nadir_total, nadir_at, change, pct_change, status, "
        "reliable) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            patient_id, instrument_id, s.n, s.baseline_total, s.baseline_at, s.latest_total,
            s.latest_at, s.latest_band, s.nadir_total, s.nadir_at, s.change, s.pct_change,
            s.status, s.reliable,
        ],
    )


def refresh_patient(db: sqlite_utils.Database, patient_id: str) -> None:
    """Recompute the one-row patient summary (last check-in, infusions, phase, open alerts)."""
    db.execute(
        """
        INSERT OR REPLACE INTO patient_summaries(patient_id, last_assessment_at, first_infusion_at,
            last_infusion_at, n_infusions, n_boosters, phase, route, open_alerts)
        SELECT :p,
            (SELECT MAX(administered_at) FROM assessments WHERE patient_id = :p),
            (SELECT MIN(administered_at) FROM infusions WHERE patient_id = :p),
            (SELECT MAX(administered_at) FROM infusions WHERE patient_id = :p),
            (SELECT COUNT(*) FROM infusions WHERE patient_id = :p),
            (SELECT COUNT(*) FROM infusions WHERE patient_id = :p AND phase = 'booster'),
            (SELECT phase FROM infusions WHERE patient_id = :p ORDER BY administered_at DESC LIMIT 1),
            (SELECT route FROM infusions WHERE patient_id = :p ORDER BY administered_at DESC LIMIT 1),
            (SELECT COUNT(*) FROM alerts WHERE patient_id = :p AND status = 'open')
        """,
        {"p": patient_id},
    )


def refresh_all(db: sqlite_utils.Database, patient_ids: Iterable[str] | None = None) -> int:
    """Recompute every summary (after a bulk load or a rule change); returns patients done."""
    ids = list(patient_ids) if patient_ids is not None else list_patient_ids(db)
    pairs = db.execute("SELECT DISTINCT patient_id, instrument FROM assessments").fetchall()
    wanted = set(ids)
    with db.atomic():
        for pid, inst in pairs:
            if pid in wanted:
                refresh_summary(db, pid, inst)
        for pid in ids:
            refresh_patient(db, pid)
    return len(ids)


def patient_summary(db: sqlite_utils.Database, patient_id: str) -> dict:
    row = next(iter(db.query("SELECT * FROM patient_summaries WHERE patient_id = ?", [patient_id])), None)
    return row or {}


def instrument_summaries(db: sqlite_utils.Database, patient_id: str) -> pd.DataFrame:
    return _frame(db, "SELECT * FROM summaries WHERE patient_id = ? ORDER BY instrument", [patient_id])


def caseload(db: sqlite_utils.Database, therapist_id: int | None) -> pd.DataFrame:
    """One row per (patient, instrument) for a therapist's patients (all patients if None),
    joined with the patient summary: reads summaries only."""
    where = "WHERE p.therapist_id = ?" if therapist_id is not None else ""
    params = [therapist_id] if therapist_id is not None else []
    return _frame(
        db,
        f"""
            SELECT p.id AS patient_id, p.indications, p.status AS patient_status,
                   ps.last_assessment_at, ps.n_infusions, ps.n_boosters, ps.phase, ps.route,
                   ps.first_infusion_at, ps.last_infusion_at, ps.open_alerts,
                   s.instrument, s.latest_total, s.latest_band, s.latest_at, s.baseline_total,
                   s.change, s.pct_change, s.status, s.reliable, s.nadir_total
            FROM patients p
            LEFT JOIN patient_summaries ps ON ps.patient_id = p.id
            LEFT JOIN summaries s ON s.patient_id = p.id
            {where}
            ORDER BY p.id, s.instrument
            """,
        params,
    )


def cohort_patients(db: sqlite_utils.Database) -> pd.DataFrame:
    """One row per patient for cohort views: indications, clinician, route, infusion dates."""
    return _frame(
        db,
        """
        SELECT p.id AS patient_id, p.indications, p.therapist_id, u.display_name AS clinician,
               ps.first_infusion_at, ps.last_infusion_at, ps.n_infusions, ps.n_boosters, ps.phase,
               ps.route, ps.open_alerts, ps.last_assessment_at,
               (SELECT MAX(administered_at) FROM infusions i
                 WHERE i.patient_id = p.id AND i.phase = 'induction') AS last_induction_at,
               (SELECT COUNT(*) FROM infusions i
                 WHERE i.patient_id = p.id AND i.phase = 'induction') AS n_induction
        FROM patients p
        LEFT JOIN patient_summaries ps ON ps.patient_id = p.id
        LEFT JOIN users u ON u.id = p.therapist_id
        ORDER BY p.id
        """,
    )


def cohort_scores(db: sqlite_utils.Database, instrument_id: str) -> pd.DataFrame:
    """Every (patient, time, total) for one instrument: an indexed read for trajectory views."""
    rows = db.execute(
        "SELECT patient_id, administered_at, total FROM assessments WHERE instrument = ? "
        "ORDER BY patient_id, administered_at",
        [instrument_id],
    ).fetchall()
    return pd.DataFrame(rows, columns=["patient_id", "administered_at", "total"])


# -- alerts ------------------------------------------------------------------------------


def list_alerts(
    db: sqlite_utils.Database,
    *,
    patient_ids: Sequence[str] | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    where, params = [], []
    if patient_ids is not None:
        where.append(f"a.patient_id IN ({','.join('?' * len(patient_ids)) or 'NULL'})")
        params.extend(patient_ids)
    if status:
        where.append("a.status = ?")
        params.append(status)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return _frame(
        db,
        f"SELECT a.*, u.display_name AS acknowledged_by_name FROM alerts a "
        f"LEFT JOIN users u ON u.id = a.acknowledged_by {clause} "
        "ORDER BY CASE a.status WHEN 'open' THEN 0 ELSE 1 END, a.created_at DESC",
        params,
    )


def acknowledge_alert(db: sqlite_utils.Database, alert_id: int, actor: Actor, at: str) -> None:
    """Mark an open alert acknowledged by ``actor``; alerts are never deleted."""
    row = db.execute("SELECT patient_id, status FROM alerts WHERE id = ?", [alert_id]).fetchone()
    if row is None:
        raise NotFound(f"No alert with id {alert_id}.")
    if row[1] != "open":
        raise ValidationError(f"Alert {alert_id} is already {row[1]}.")
    with db.atomic():
        db.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ? "
            "WHERE id = ?",
            [actor.user_id, to_iso(at), alert_id],
        )
        refresh_patient(db, row[0])
        record_event(db, actor, "alert.acknowledge", at, row[0], detail=f"alert {alert_id}")


def audit_events(db: sqlite_utils.Database, patient_id: str | None = None, limit: int = 200) -> pd.DataFrame:
    if patient_id:
        return _frame(
            db,
            "SELECT e.at, e.action, e.source, e.role, u.display_name AS who FROM audit_events e "
            "LEFT JOIN users u ON u.id = e.user_id WHERE e.patient_id = ? ORDER BY e.id DESC LIMIT ?",
            [patient_id, limit],
        )
    return _frame(
        db,
        "SELECT e.at, e.action, e.patient_id, e.source, e.role, u.display_name AS who "
        "FROM audit_events e LEFT JOIN users u ON u.id = e.user_id ORDER BY e.id DESC LIMIT ?",
        [limit],
    )


# -- bulk load (demo generator, CSV import) ----------------------------------------------


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
    for offset, (pid, sc, at, context, respondent, infusion_id, total_only) in enumerate(rows):
        inst = instruments.get(sc.instrument)
        aid = next_id + offset
        a_rows.append(
            (aid, pid, inst.id, inst.version, inst.recall_period, at, context, infusion_id,
             respondent, sc.total, sc.band, json.dumps(sc.subscales), json.dumps(list(sc.flags)),
             sc.n_missing, int(sc.prorated), int(total_only))
        )
        x_rows.extend((aid, k, v) for k, v in sc.answers.items())
        if sc.safety:
            alert_rows.append((pid, aid, "safety", *_safety_alert(sc), at))
    conn = db.conn
    conn.executemany(
        f"INSERT INTO assessments(id, {assessment_cols}) VALUES ({','.join('?' * 16)})", a_rows
    )
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
    return [v[0] for v in values]


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
