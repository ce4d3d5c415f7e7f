"""``python -m progress``: the core behind a command line (score, import, export, demo, users).

Thin on purpose: parse the arguments, call the core, print. Every subcommand is a pair of
functions, ``_add_<name>(subparsers)`` to declare it and ``_cmd_<name>(args)`` to run it,
listed in :data:`COMMANDS`; adding one is adding a pair and a line.

Exit status: 0 on success; 2 for invalid input or usage, with a one-line message on stderr and
nothing on stdout (a rejected import lists each problem on its own line).

Only ``score`` is imported eagerly: the store pulls in sqlite-utils and pandas (about a second),
so the modules that need them are imported inside the commands that use them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from progress import instruments, scoring
from progress.errors import ImportRejected, NotFound, ProgressError, ValidationError

_INT = re.compile(r"-?[0-9]+")
# Literal here so that parsing does not import the store; test_cli checks they match the core.
ROLES = ("patient", "therapist", "lead", "admin")  # store.ROLES
EXPORT_KINDS = ("assessments", "infusions")  # io_csv.KINDS
EXPORT_FORMATS = ("exchange", "fhir", "long", "wide", "cohort")  # io_csv_tables.FORMATS + 2
IMPORT_CONTEXTS = ("intake", "pre_infusion", "post_infusion", "weekly", "maintenance", "booster")  # store.CONTEXTS


class UsageError(ProgressError):
    """Invalid use of a command that argparse cannot see (e.g. an option needing another)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _db_target(text: str) -> str | Path:
    """A ``postgresql://`` URL stays text (a Path would fold its ``//``); anything else is a file."""
    from progress.store.pg import is_url

    return text if is_url(text) else Path(text)


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=_db_target, default=None,
        help="SQLite database file or postgresql:// URL (default: $PROGRESS_DATABASE_URL, "
             "else $PROGRESS_DB, else data/progress.db)",
    )


def _cli_actor():
    from progress import store

    return store.Actor.system("cli")


def _open(args: argparse.Namespace):
    from progress import store

    return store.open_db(args.db if args.db is not None else store.default_target())


# -- score -------------------------------------------------------------------------------


def _add_score(sub) -> None:
    p = sub.add_parser(
        "score", help="score one completed form",
        description="Score answers given in declaration order, e.g. "
        "'python -m progress score phq9 2 2 2 2 2 2 2 2 2 --json'.",
    )
    p.add_argument("instrument", help=f"one of {', '.join(instruments.REGISTRY)}")
    p.add_argument("answers", nargs="+", metavar="ANSWER", help="item values, whole numbers")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _parse_answer(text: str) -> int | str:
    """Strict: digits (optionally negative) become int; anything else stays text, so the
    scorer rejects it with its own message naming the item and the range."""
    return int(text) if _INT.fullmatch(text) else text


def _cmd_score(args: argparse.Namespace) -> int:
    result = scoring.score(args.instrument, [_parse_answer(a) for a in args.answers])
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    inst = instruments.get(result.instrument)
    parts = [f"{inst.short_name} total {result.total:g}"]
    if result.band:
        parts.append(f"({result.band})")
    if result.subscales:
        parts.append("subscales " + " ".join(f"{k}={v:g}" for k, v in result.subscales.items()))
    if result.flags:
        parts.append("flags: " + ", ".join(result.flags))
    print(" ".join(parts))
    return 0


# -- import / export ---------------------------------------------------------------------


def _add_import(sub) -> None:
    p = sub.add_parser(
        "import", help="import a CSV or a FHIR JSON file (all or nothing)",
        description="Check every record, then store all of it or nothing. A .json file is a "
        "FHIR QuestionnaireResponse or a Bundle of them; a CSV is told by its header "
        "(exchange assessments or infusions, or the long or wide assessment table).",
    )
    p.add_argument("file", type=Path, help="CSV (UTF-8) or FHIR JSON file")
    _db_option(p)
    p.add_argument("--context", choices=IMPORT_CONTEXTS, default="weekly",
                   help="FHIR only: context of responses that do not carry ours (default weekly)")
    p.add_argument("--patient", metavar="PATIENT_ID",
                   help="FHIR only: store every response under this patient id")


def _cmd_import(args: argparse.Namespace) -> int:
    from progress import io_csv, io_csv_tables, io_fhir

    db = _open(args)
    if args.file.suffix.lower() == ".json":
        report = io_fhir.import_fhir(db, args.file, actor=_cli_actor(), at=_now(),
                                     context=args.context, patient_id=args.patient)
    elif args.patient or args.context != "weekly":
        raise UsageError("--patient and --context are for FHIR .json files only.")
    elif _csv_header_format(args.file) is not None:
        report = io_csv_tables.import_table(db, args.file, actor=_cli_actor(), at=_now())
    else:
        report = io_csv.import_csv(db, args.file, actor=_cli_actor(), at=_now())
    print(report.summary())
    return 0


def _csv_header_format(path: Path) -> str | None:
    """"long"/"wide" when the file's first line is one of those headers (else None)."""
    import csv

    from progress import io_csv_tables

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the exchange importer reports the problem in its own words
    return io_csv_tables.table_format(header)


def _add_export(sub) -> None:
    p = sub.add_parser(
        "export", help="export as CSV or FHIR",
        description="Write the exchange CSV that 'import' reads ('-' for standard output), or "
        "with --format: a FHIR R4 Bundle (fhir), the long or wide assessment table, or the "
        "de-identified cohort table for leads.",
    )
    _db_option(p)
    p.add_argument("--out", required=True, help="file to write, or - for standard output")
    p.add_argument("--kind", choices=EXPORT_KINDS, default="assessments",
                   help="exchange format only: which records")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="exchange")
    p.add_argument("--patient", action="append", metavar="PATIENT_ID",
                   help="fhir/long/wide: only this patient (repeat for several; default all)")


def _cmd_export(args: argparse.Namespace) -> int:
    from progress import io_csv, store

    if args.format != "exchange":
        return _export_format(args)
    if args.patient:
        raise UsageError("--patient needs --format fhir, long or wide.")
    db = _open(args)
    store.record_export(db, _cli_actor(), args.kind, _now())  # each exported patient's access log
    if args.out == "-":
        n = io_csv.export_csv(db, sys.stdout, kind=args.kind)
        print(f"Wrote {n} {args.kind} row(s).", file=sys.stderr)
    else:
        n = io_csv.export_csv(db, args.out, kind=args.kind)
        print(f"Wrote {n} {args.kind} row(s) to {args.out}.")
    return 0


def _export_format(args: argparse.Namespace) -> int:
    import secrets

    from progress import io_csv_tables, io_fhir, store

    db = _open(args)
    now = _now()
    if args.format == "cohort" and args.patient:
        raise UsageError("The cohort table covers the whole clinic; leave out --patient.")
    pids = args.patient or (None if args.format == "cohort" else store.list_patient_ids(db))
    out = sys.stdout if args.out == "-" else args.out
    if args.format == "fhir":
        bundle = io_fhir.export_bundle(db, pids, timestamp=now)
        n, what = io_fhir.write_bundle(bundle, out), "FHIR entries"
    else:
        salt = secrets.token_hex(16)  # cohort numbers differ on every export
        n = io_csv_tables.export_table(db, out, args.format, patient_ids=pids, salt=salt)
        what = f"{args.format} row(s)"
    with db.atomic():
        if pids is None:
            store.record_event(db, _cli_actor(), "cohort.export", now, None, detail="cohort csv")
        for pid in pids or ():
            store.record_event(db, _cli_actor(), "record.export", now, pid, detail=f"{args.format}")
    where = "" if args.out == "-" else f" to {args.out}"
    print(f"Wrote {n} {what}{where}.", file=sys.stderr if args.out == "-" else sys.stdout)
    return 0


# -- reports -----------------------------------------------------------------------------


def _add_report(sub) -> None:
    p = sub.add_parser(
        "report", help="one-page PDF session summary for a patient",
        description="Write the therapist session summary (trends, latest scores, open alerts "
        "and signals, side effects) as a one-page PDF.",
    )
    _db_option(p)
    p.add_argument("--patient", required=True, metavar="PATIENT_ID")
    p.add_argument("--out", required=True, type=Path, help="PDF file to write")


def _cmd_report(args: argparse.Namespace) -> int:
    from progress import report, store

    db = _open(args)
    now = _now()
    pdf = report.session_summary_pdf(db, args.patient, as_of=now)
    args.out.write_bytes(pdf)
    store.record_event(db, _cli_actor(), "record.export", now, args.patient, detail="session summary pdf")
    print(f"Wrote the session summary for {args.patient} to {args.out} ({len(pdf)} bytes).")
    return 0


def _add_cohort_report(sub) -> None:
    p = sub.add_parser(
        "cohort-report", help="PDF cohort outcomes report for clinic leads",
        description="Response and remission with numerators, denominators and definitions; "
        "de-identified (counts only).",
    )
    _db_option(p)
    p.add_argument("--out", required=True, type=Path, help="PDF file to write")
    p.add_argument("--instrument", action="append", choices=("phq9", "gad7", "pcl5"),
                   help="measure to report (repeat; default phq9 and gad7)")


def _cmd_cohort_report(args: argparse.Namespace) -> int:
    from progress import report, store

    db = _open(args)
    now = _now()
    pdf = report.cohort_report_pdf(db, as_of=now, instrument_ids=args.instrument or ("phq9", "gad7"))
    args.out.write_bytes(pdf)
    store.record_event(db, _cli_actor(), "cohort.export", now, None, detail="cohort report pdf")
    print(f"Wrote the cohort outcomes report to {args.out} ({len(pdf)} bytes).")
    return 0


# -- demo --------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _add_demo(sub) -> None:
    p = sub.add_parser(
        "demo", help="build a synthetic clinic into an empty database",
        description="Generate a reproducible synthetic clinic (same seed and anchor, same data).",
    )
    _db_option(p)
    p.add_argument("--patients", type=_positive_int, default=None, help="number of patients")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--anchor", type=_iso_date, default=None,
                   help="the 'today' of the demo, YYYY-MM-DD (default: demo.DEFAULT_ANCHOR)")
    p.add_argument("--years", type=_positive_int, default=None,
                   help="years the clinic has been followed, 1-5 (default 1; 2 for the scale "
                        "benchmark's two years of weekly check-ins)")


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        from progress import demo  # lazy: the generator is only needed here
    except ImportError as e:
        raise ProgressError(f"The demo generator is not available ({e}).") from None
    from progress import store

    db = _open(args)
    if not store.is_empty(db) or store.list_users(db):
        raise UsageError(
            "The database is not empty; the demo is only built into a new database file."
        )
    kwargs: dict[str, object] = {"anchor": args.anchor or demo.DEFAULT_ANCHOR}
    if args.patients is not None:
        kwargs["patients"] = args.patients
    if args.seed is not None:
        kwargs["seed"] = args.seed
    if args.years is not None:
        kwargs["years"] = args.years
    started = time.perf_counter()
    demo.build_demo(db, **kwargs)
    seconds = time.perf_counter() - started
    tables = ("patients", "users", "infusions", "assessments", "alerts")
    counts = ", ".join(f"{db[t].count} {t}" for t in tables)
    print(f"Built the demo clinic in {seconds:.2f} s: {counts}.")
    return 0


# -- users -------------------------------------------------------------------------------


def _add_users(sub) -> None:
    p = sub.add_parser("users", help="add, disable or reset the password of a user",
                       description="Manage sign-in accounts. Each change is audited.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    stdin_help = "read the password from the first line of standard input"

    add = actions.add_parser("add", help="create a user", description="Create a user.")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", help="display name (default: the user name)")
    add.add_argument("--patient", metavar="PATIENT_ID",
                     help="the patient's record (required for, and only for, role patient)")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    add.add_argument("--email", help="address for e-mail reminders (python -m progress remind)")
    _db_option(add)
    add.set_defaults(func=_cmd_users_add)

    dis = actions.add_parser("disable", help="disable a user",
                             description="Disable a user: signing in stops at once.")
    dis.add_argument("username")
    _db_option(dis)
    dis.set_defaults(func=_cmd_users_disable)

    reset = actions.add_parser("reset-password", help="set a new password",
                               description="Set a new password for a user.")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help=stdin_help)
    _db_option(reset)
    reset.set_defaults(func=_cmd_users_reset)

    email = actions.add_parser("email", help="set or clear the address for e-mail reminders",
                               description="Set (or with --clear remove) the address that "
                               "'python -m progress remind' writes to.")
    email.add_argument("username")
    email.add_argument("address", nargs="?")
    email.add_argument("--clear", action="store_true", help="remove the address")
    _db_option(email)
    email.set_defaults(func=_cmd_users_email)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValidationError("No password on standard input.")
        return password
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise ValidationError("The two passwords do not match.")
    return first


def _existing_user(db, username: str) -> dict:
    from progress import store

    row = store.get_user(db, username=username)
    if row is None:
        raise NotFound(f"No user {username!r}.")
    return row


def _cmd_users_add(args: argparse.Namespace) -> int:
    from progress import auth, store

    db = _open(args)
    if args.role == "patient":
        if not args.patient:
            raise UsageError("A patient user needs --patient PATIENT_ID.")
        if not store.patient_exists(db, args.patient):
            raise NotFound(f"No patient with id {args.patient!r}.")
    elif args.patient:
        raise UsageError("--patient is only for users with role patient.")
    if store.get_user(db, username=args.username) is not None:
        raise ValidationError(f"User name {args.username!r} is already taken.")
    email = store.check_email(args.email) if args.email is not None else None
    password_hash = auth.hash_password(_read_password(args.password_stdin), username=args.username)
    now = _now()
    with db.atomic():
        new_id = store.add_user(db, args.username, args.role, display_name=args.name,
                                password_hash=password_hash, patient_id=args.patient, created_at=now)
        if email is not None:
            store.set_user_email(db, new_id, email)
        store.record_event(db, _cli_actor(), "user.create", now, args.patient,
                           detail=f"{args.username} ({args.role})")
    print(f"Created user {args.username} ({args.role}).")
    return 0


def _cmd_users_disable(args: argparse.Namespace) -> int:
    from progress import auth

    db = _open(args)
    row = _existing_user(db, args.username)
    if row["disabled"]:
        print(f"User {args.username} is already disabled.")
        return 0
    ended = auth.set_disabled(db, row["id"], True, _cli_actor(), _now())
    print(f"Disabled user {args.username}; {ended} open session(s) ended.")
    return 0


def _cmd_users_reset(args: argparse.Namespace) -> int:
    from progress import auth, store

    db = _open(args)
    row = _existing_user(db, args.username)
    password_hash = auth.hash_password(_read_password(args.password_stdin), username=args.username)
    now = _now()
    with db.atomic():
        store.update_user(db, row["id"], password_hash=password_hash)
        store.record_event(db, _cli_actor(), "user.password_reset", now, row["patient_id"],
                           detail=args.username)
    print(f"Set a new password for {args.username}.")
    return 0


def _cmd_users_email(args: argparse.Namespace) -> int:
    from progress import store

    if args.clear == (args.address is not None):
        raise UsageError("Give either an ADDRESS or --clear.")
    db = _open(args)
    row = _existing_user(db, args.username)
    with db.atomic():
        store.set_user_email(db, row["id"], None if args.clear else args.address)
        store.record_event(db, _cli_actor(), "user.email", _now(), row["patient_id"], detail=args.username)
    print(f"Removed the e-mail address of {args.username}." if args.clear else f"Reminders for {args.username} go to {args.address.strip()}.")
    return 0


# -- audit -------------------------------------------------------------------------------


def _add_audit(sub) -> None:
    p = sub.add_parser("audit", help="check the audit trail",
                       description="Check the hash chain of the append-only audit trail.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="re-hash the chain (exit 0 if intact, 1 if broken)",
        description="Re-hash every audit event from the first; report the first broken one.")
    _db_option(verify)
    verify.set_defaults(func=_cmd_audit_verify)


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from progress import store

    if isinstance(args.db, Path) and not args.db.exists():
        raise NotFound(f"No database file at {args.db}.")
    ok, checked, broken = store.verify_audit_chain(_open(args))
    if ok:
        print(f"Audit chain intact: {checked} event(s) checked.")
        return 0
    print(f"Audit chain BROKEN at event {broken}: {checked} event(s) before it check out.")
    return 1


# -- remind ------------------------------------------------------------------------------


def _add_remind(sub) -> None:
    p = sub.add_parser(
        "remind", help="e-mail reminders (run from cron)",
        description="Escalate alerts left unacknowledged past the clinic's window, then e-mail "
        "patients with overdue check-ins, clinicians with unacknowledged alerts and leads about "
        "escalated ones, at most once a day each. SMTP: settings smtp_host, smtp_port, "
        "smtp_sender, smtp_starttls, smtp_user (or PROGRESS_SMTP_* variables); the password only "
        "from PROGRESS_SMTP_PASSWORD. No e-mail holds scores, answers or diagnoses.",
    )
    _db_option(p)
    p.add_argument("--as-of", help="the time to run as (ISO 8601, default now)")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent; send and write nothing")


def _cmd_remind(args: argparse.Namespace) -> int:
    import os

    from progress import remind

    db = _open(args)
    report = remind.run(db, as_of=args.as_of or _now(), env=os.environ, dry_run=args.dry_run)
    if args.dry_run:
        for r in report.planned:
            print(f"would send {r.kind} to {r.username}")
    for r, error in report.failed:
        print(f"could not send {r.kind} to {r.username}: {error}", file=sys.stderr)
    print(report.summary(dry_run=args.dry_run))
    return 1 if report.failed else 0


# -- settings ----------------------------------------------------------------------------


def _add_settings(sub) -> None:
    p = sub.add_parser("settings", help="show or change clinic settings",
                       description="Clinic settings, e.g. session_idle_minutes (default 15), "
                       "session_lifetime_hours (12), signin_lockout_failures (5), "
                       "signin_lockout_minutes (15). Each change is audited.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="list the settings stored in the database")
    _db_option(show)
    show.set_defaults(func=_cmd_settings_show)
    put = actions.add_parser("set", help="store one setting")
    put.add_argument("key", type=_setting_key)
    put.add_argument("value")
    _db_option(put)
    put.set_defaults(func=_cmd_settings_set)


def _setting_key(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a setting name (lower case, digits, _)")
    return text


def _cmd_settings_show(args: argparse.Namespace) -> int:
    from progress import store

    for key, value in store.all_settings(_open(args)).items():
        print(f"{key} = {value}")
    return 0


def _cmd_settings_set(args: argparse.Namespace) -> int:
    from progress import store

    db = _open(args)
    if args.key == "demo":
        raise UsageError("The demo flag is set only by 'python -m progress demo'.")
    with db.atomic():
        store.set_setting(db, args.key, args.value)
        store.record_event(db, _cli_actor(), "settings.change", _now(), detail=args.key)
    print(f"{args.key} = {args.value}")
    return 0


# -- backup / restore --------------------------------------------------------------------


def _add_backup(sub) -> None:
    p = sub.add_parser("backup", help="copy the database safely while the clinic keeps working",
                       description="Online backup with SQLite's backup API (a consistent snapshot "
                       "while check-ins are being saved), then integrity check and audit chain of "
                       "the copy. Exit 0 if the copy is sound.")
    _db_option(p)
    p.add_argument("--out", type=Path, required=True, help="backup file to create (must not exist)")


def _cmd_backup(args: argparse.Namespace) -> int:
    from progress import store

    if isinstance(args.db, Path) and not args.db.exists():
        raise NotFound(f"No database file at {args.db}.")
    started = time.perf_counter()
    db = _open(args)
    check = store.backup_to(db, args.out)
    store.record_event(db, _cli_actor(), "database.backup", _now(), detail=str(args.out.name))
    print(f"Backed up to {args.out} in {time.perf_counter() - started:.2f} s: {_copy_summary(check)}.")
    return 0


def _add_restore(sub) -> None:
    p = sub.add_parser("restore", help="restore a backup into a new database file",
                       description="Check a backup (integrity, audit chain), copy it into a new "
                       "file and check the result. Point PROGRESS_DB at the new file to use it.")
    p.add_argument("backup", type=Path, help="backup file made by 'backup'")
    p.add_argument("--db", type=Path, required=True, help="new database file (must not exist)")


def _cmd_restore(args: argparse.Namespace) -> int:
    from progress import store

    check = store.restore_from(args.backup, args.db)
    print(f"Restored {args.backup} into {args.db}: {_copy_summary(check)}.")
    return 0


def _copy_summary(check) -> str:
    counts = ", ".join(f"{n} {t}" for t, n in check.counts.items())
    return f"integrity {check.integrity}, audit chain intact ({check.chain_events} events), {counts}"


# -- wiring ------------------------------------------------------------------------------

Command = tuple[Callable[[argparse._SubParsersAction], None], Callable[[argparse.Namespace], int] | None]

# name -> (declare, run); run is None where the declaration sets its own per-action func.
# -- signals -----------------------------------------------------------------------------


def _add_signals(sub) -> None:
    p = sub.add_parser(
        "signals", help="replay every patient's history and list the signals raised",
        description="Replay every patient's history in time order, as if the rules ran after "
        "each assessment, and list every signal raised (safety, booster_review, not_on_track, "
        "deterioration) with its reason. Nothing is written.",
    )
    _db_option(p)
    p.add_argument("--json", action="store_true", help="print a JSON list (default: one line each)")
    p.add_argument("--patient", default=None, help="only this patient")
    p.add_argument("--kind", default=None, help="only this kind of signal")
    p.add_argument(
        "--recompute", action="store_true",
        help="first recompute and store every summary, the clinic trajectory and every signal "
        "(after changing a signal setting); prints how long it took on stderr",
    )


def _cmd_signals(args: argparse.Namespace) -> int:
    from progress import signals, store

    db = _open(args)
    if args.kind is not None and args.kind not in signals.KINDS:
        return _fail(args, f"--kind {args.kind!r} is not one of {', '.join(signals.KINDS)}.")
    if args.recompute:
        started = time.perf_counter()
        n = store.refresh_all(db)
        print(f"Recomputed summaries and signals for {n} patients in {time.perf_counter() - started:.1f} s.", file=sys.stderr)
    if args.patient is not None:
        store.get_patient(db, args.patient)  # NotFound -> one-line error
        found = signals.evaluate(store.load_history(db, args.patient), store.signal_rules(db))
    else:
        found = store.replay(db)
    if args.kind is not None:
        found = [s for s in found if s.kind == args.kind]
    if args.json:
        print(json.dumps([s.as_json() for s in found], indent=1))
    else:
        for s in found:
            print(f"{s.at[:10]}  {s.patient_id}  {s.instrument}  {s.kind}  {s.reason}")
    return 0


COMMANDS: dict[str, Command] = {
    "score": (_add_score, _cmd_score),
    "import": (_add_import, _cmd_import),
    "export": (_add_export, _cmd_export),
    "report": (_add_report, _cmd_report),
    "cohort-report": (_add_cohort_report, _cmd_cohort_report),
    "demo": (_add_demo, _cmd_demo),
    "signals": (_add_signals, _cmd_signals),
    "users": (_add_users, None),
    "remind": (_add_remind, _cmd_remind),
    "audit": (_add_audit, None),
    "settings": (_add_settings, None),
    "backup": (_add_backup, _cmd_backup),
    "restore": (_add_restore, _cmd_restore),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m progress",
        description="Measurement-based care for ketamine clinics: the core on the command line.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (declare, run) in COMMANDS.items():
        declare(sub)
        if run is not None:
            sub.choices[name].set_defaults(func=run)
    return parser


def _fail(args: argparse.Namespace, message: str) -> int:
    command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    print(f"python -m progress {command}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _database_errors() -> tuple[type[Exception], ...]:
    from progress import store

    return store.DatabaseError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ImportRejected as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        print(f"{len(e.problems)} problem(s); nothing was imported.", file=sys.stderr)
        return 2
    except (ProgressError, OSError, *_database_errors()) as e:
        return _fail(args, str(e))


if __name__ == "__main__":
    sys.exit(main())
