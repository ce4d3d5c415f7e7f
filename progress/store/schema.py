"""Schema constants, the DDL of each migration, and the choices the CHECK constraints allow.

Add a migration by appending a new DDL string to MIGRATIONS (never edit a released one);
keep each self-contained (CREATE TABLE, ALTER TABLE ADD COLUMN)."""

from __future__ import annotations

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

# Issue 5 part A (course): intake screening, the plan's maintenance/booster fields, the
# per-session record beside each infusion, and psychotherapy follow-ups.
_SCHEMA_COURSE = """
CREATE TABLE screenings (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    screened_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    record TEXT NOT NULL DEFAULT '{}',
    flags TEXT NOT NULL DEFAULT '[]',
    reviewed_by INTEGER REFERENCES users(id),
    reviewed_at TEXT,
    review_note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX screenings_patient ON screenings(patient_id, screened_at);
ALTER TABLE courses ADD COLUMN maintenance_every_days INTEGER;
ALTER TABLE courses ADD COLUMN planned_maintenance INTEGER;
ALTER TABLE courses ADD COLUMN booster_plan TEXT NOT NULL DEFAULT '';
CREATE TABLE session_records (
    infusion_id INTEGER PRIMARY KEY REFERENCES infusions(id),
    duration_min INTEGER,
    observation_min INTEGER,
    vitals TEXT NOT NULL DEFAULT '{}',
    spo2_lowest INTEGER,
    side_effects TEXT NOT NULL DEFAULT '{}',
    cadss6 INTEGER,
    sedation TEXT,
    respiratory_depression INTEGER NOT NULL DEFAULT 0,
    lot TEXT NOT NULL DEFAULT '',
    driver INTEGER NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '',
    entered_by INTEGER REFERENCES users(id)
) STRICT;
CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    infusion_id INTEGER NOT NULL REFERENCES infusions(id),
    due_from TEXT NOT NULL,
    due_until TEXT NOT NULL,
    scheduled_at TEXT,
    done_at TEXT,
    done_by INTEGER REFERENCES users(id),
    note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX followups_patient ON followups(patient_id, due_from);
"""

# Issue 5 part B (safety): the alert lifecycle (escalation, the structured resolution note of
# clinical-reference.md §5), database guards so no code path deletes, reopens or silently
# closes an alert, users' e-mail addresses and the log of reminders sent (one per day each).
_SCHEMA_SAFETY = """
ALTER TABLE alerts ADD COLUMN escalated_at TEXT;
ALTER TABLE alerts ADD COLUMN risk_assessment TEXT;
ALTER TABLE alerts ADD COLUMN risk_level TEXT;
ALTER TABLE alerts ADD COLUMN safety_plan_reviewed INTEGER;
ALTER TABLE alerts ADD COLUMN means_counselling INTEGER;
ALTER TABLE alerts ADD COLUMN disposition TEXT CHECK (disposition IN
    ('routine follow-up','urgent appointment','emergency department','emergency services'));
CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
    BEGIN SELECT RAISE(ABORT, 'alerts are never deleted'); END;
CREATE TRIGGER alerts_no_going_back BEFORE UPDATE OF status ON alerts
    WHEN OLD.status = 'resolved' OR (OLD.status = 'acknowledged' AND NEW.status = 'open')
    BEGIN SELECT RAISE(ABORT, 'an alert never goes back to an earlier state'); END;
CREATE TRIGGER alerts_resolve_documented BEFORE UPDATE OF status ON alerts
    WHEN NEW.status = 'resolved' AND (NEW.resolved_by IS NULL OR NEW.resolved_at IS NULL
        OR NEW.disposition IS NULL OR trim(NEW.note) = '' OR NEW.acknowledged_at IS NULL)
    BEGIN SELECT RAISE(ABORT, 'an alert is resolved only by a named clinician with a note'); END;
ALTER TABLE users ADD COLUMN email TEXT;
CREATE TABLE reminders_sent (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('overdue_measures','open_alerts','escalated_alerts')),
    sent_at TEXT NOT NULL,
    UNIQUE (day, user_id, kind)
) STRICT;
"""

# Issue 6 (signals): booster-review, deterioration and not-on-track signals kept beside the
# patient's summary, recomputed on every save (safety signals are the alerts themselves).
_SCHEMA_SIGNALS = """
CREATE TABLE signals (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    instrument TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('booster_review','not_on_track','deterioration')),
    detector TEXT NOT NULL,
    at TEXT NOT NULL,
    severity TEXT NOT NULL,
    reason TEXT NOT NULL,
    points TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX signals_patient ON signals(patient_id, at);
CREATE INDEX signals_active ON signals(active, kind);
ALTER TABLE patient_summaries ADD COLUMN open_signals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patient_summaries ADD COLUMN signal_kinds TEXT NOT NULL DEFAULT '';
ALTER TABLE patient_summaries ADD COLUMN response_at TEXT;
ALTER TABLE patient_summaries ADD COLUMN relapse_signal_at TEXT;
"""

# Issue 7 (trust): server-side sign-in sessions (only a hash of the token is stored), sign-in
# throttling per user name, and an idempotency key so a resubmitted check-in is saved once.
_SCHEMA_TRUST = """
CREATE TABLE signin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    started_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT
) STRICT;
CREATE INDEX signin_sessions_user ON signin_sessions(user_id, ended_at);
CREATE TABLE signin_throttle (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_at TEXT,
    locked_until TEXT
) STRICT;
ALTER TABLE assessments ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX assessments_idempotency ON assessments(idempotency_key)
    WHERE idempotency_key IS NOT NULL;
"""

# Issue 9 (scale): what the cohort views need, per patient, kept current on every write, so a
# lead's page aggregates small per-patient rows in SQL instead of scanning every assessment:
# per patient and measure the baseline, the score at each outcome time point and the per-week /
# per-infusion means (JSON arrays) for the aligned trajectories; per patient the course figures. Filled by ``refresh_patient``; a database migrated to this version is
# recomputed once (``REFRESH_AFTER``).
_SCHEMA_COHORT = """
CREATE TABLE cohort_points (
    patient_id TEXT NOT NULL REFERENCES patients(id),
    instrument TEXT NOT NULL,
    baseline REAL,
    end_of_induction REAL,
    month3 REAL,
    month6 REAL,
    weeks BLOB NOT NULL,
    infusions BLOB NOT NULL,
    PRIMARY KEY (patient_id, instrument)
) STRICT;
ALTER TABLE patient_summaries ADD COLUMN last_induction_at TEXT;
ALTER TABLE patient_summaries ADD COLUMN n_induction INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patient_summaries ADD COLUMN response_days INTEGER;
ALTER TABLE patient_summaries ADD COLUMN follow_days REAL;
ALTER TABLE patient_summaries ADD COLUMN tt_case INTEGER;
ALTER TABLE patient_summaries ADD COLUMN tt_recovered INTEGER;
ALTER TABLE patient_summaries ADD COLUMN tt_reliable_recovery INTEGER;
ALTER TABLE patient_summaries ADD COLUMN tt_improved INTEGER;
ALTER TABLE patient_summaries ADD COLUMN tt_deteriorated INTEGER;
ALTER TABLE patient_summaries ADD COLUMN prompt_flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patient_summaries ADD COLUMN indication_flags INTEGER NOT NULL DEFAULT 0;
CREATE INDEX audit_detail ON audit_events(detail, id);
"""

MIGRATIONS: tuple[str, ...] = (
    _SCHEMA_V1, _SCHEMA_SAFETY, _SCHEMA_COURSE, _SCHEMA_TRUST, _SCHEMA_SIGNALS, _SCHEMA_COHORT,
)
# Versions whose new summary columns or tables are derived data: after migrating an existing
# database past one of them, every patient's summaries are recomputed once.
REFRESH_AFTER = frozenset({6})
SCHEMA_VERSION = len(MIGRATIONS)
GENESIS_HASH = "0" * 64


__all__ = ['CONTEXTS', 'ROUTES', 'PHASES', 'RESPONDENTS', 'INDICATIONS', 'ROLES', 'MIGRATIONS', 'REFRESH_AFTER', 'SCHEMA_VERSION', 'GENESIS_HASH']
