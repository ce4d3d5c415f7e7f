"""``python -m progress``: exit codes, one-line errors, JSON output, and the commands end to end.

A few tests spawn the real entry point (about 0.5 s each); the rest call ``main()`` in-process.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from progress import auth, store
from progress.__main__ import main
from progress.errors import AuthError

ROOT = Path(__file__).resolve().parents[1]
A_HEADER = "patient_id,instrument,administered_at,context,answers,total\n"


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("PROGRESS_DB", str(path))
    return path


def spawn(*args: str, db_path: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PROGRESS_DB": str(db_path)}
    return subprocess.run(
        [sys.executable, "-m", "progress", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=120,
    )


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse: --help and usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_invalid(code: int, out: str, err: str, message: str) -> None:
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


# -- score -------------------------------------------------------------------------------


def test_score_json_through_the_real_entry_point(tmp_path):
    result = spawn("score", "phq9", *["2"] * 9, "--json", db_path=tmp_path / "x.db")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "instrument": "phq9", "total": 18, "band": "moderately severe", "subscales": {},
        "flags": ["item9_positive"],
    }


def test_negative_answer_is_an_answer_not_an_option(tmp_path):
    result = spawn("score", "phq9", "-1", *["0"] * 8, db_path=tmp_path / "x.db")
    assert_invalid(result.returncode, result.stdout, result.stderr, "phq9_1: -1 is out of range")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["pcl5", *["2"] * 5, *["1"] * 15],
         {"total": 25, "band": None, "subscales": {"B": 10, "C": 2, "D": 7, "E": 6}, "flags": []}),
        (["pcl5", *["2"] * 20],
         {"total": 40, "band": None, "subscales": {"B": 10, "C": 4, "D": 14, "E": 12},
          "flags": ["pcl5_provisional_ptsd"]}),
        (["pain_nrs", "6"], {"total": 6, "band": "moderate", "subscales": {}, "flags": []}),
        (["peg", "3", "4", "4"], {"total": 3.67, "band": None, "subscales": {}, "flags": []}),
        (["gad7", *["0"] * 7], {"total": 0, "band": "minimal", "subscales": {}, "flags": []}),
    ],
    ids=["pcl5-subscales", "pcl5-provisional", "pain-band", "peg-mean", "gad7-minimal"],
)
def test_score_json_values(capsys, args, expected):
    code, out, err = run(capsys, "score", *args, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"instrument", "total", "band", "subscales", "flags"}
    assert data == {"instrument": args[0], **expected}


def test_score_human_line(capsys):
    code, out, _ = run(capsys, "score", "phq9", *["2"] * 9)
    assert code == 0
    assert out.strip() == "PHQ-9 total 18 (moderately severe) flags: item9_positive"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["phq9", "3.0", *["0"] * 8], "'3.0' is not a whole number"),
        (["phq9", "1", "1"], "needs 9"),
        (["phq10", "1"], "Unknown instrument 'phq10'"),
        (["phq9", "--", "-x", *["0"] * 8], "'-x' is not a whole number"),
        (["phq9"], "required"),
        (["phq9", "-x", "1"], "unrecognized arguments: -x"),
    ],
    ids=["decimal", "too-few", "unknown-instrument", "after-double-dash", "no-answers", "bad-option"],
)
def test_score_invalid_input_is_one_line_exit_2(capsys, args, message):
    assert_invalid(*run(capsys, "score", *args), message)


# -- help --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [[], ["score"], ["import"], ["export"], ["demo"], ["users"], ["users", "add"],
     ["users", "disable"], ["users", "reset-password"]],
    ids=lambda c: " ".join(c) or "top",
)
def test_help_exits_0(capsys, command):
    code, out, err = run(capsys, *command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith("usage: python -m progress")


def test_top_level_help_through_the_real_entry_point(tmp_path):
    result = spawn("--help", db_path=tmp_path / "x.db")
    assert result.returncode == 0
    for command in ("score", "import", "export", "demo", "users"):
        assert command in result.stdout


def test_missing_command_is_usage_error(capsys):
    assert_invalid(*run(capsys), "required")


# -- import / export ---------------------------------------------------------------------


def test_import_and_export_through_the_real_entry_point(tmp_path, db_path):
    src = tmp_path / "in.csv"
    src.write_text(
        A_HEADER + "P1,phq9,2026-01-05T10:00:00Z,intake,2 2 2 2 2 2 2 2 2,18\n"
        "=P2,pain_nrs,2026-01-05,weekly,,7\n",
        encoding="utf-8",
    )
    result = spawn("import", str(src), db_path=db_path)  # --db from PROGRESS_DB
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Imported 2 assessments row(s) for 2 patient(s) (2 new)."

    out = tmp_path / "out.csv"
    result = spawn("export", "--db", str(db_path), "--out", str(out), db_path=tmp_path / "other.db")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines() == [
        A_HEADER.strip(),
        "'=P2,pain_nrs,2026-01-05T00:00:00Z,weekly,,7",
        "P1,phq9,2026-01-05T10:00:00Z,intake,2 2 2 2 2 2 2 2 2,18",
    ]


def test_rejected_import_lists_every_problem_exit_2(tmp_path, db_path):
    src = tmp_path / "bad.csv"
    src.write_text(
        A_HEADER + "P1,phq9,2026-01-05,intake,2 2 2,\nP1,phq9,2026-01-06,intake,,99\n",
        encoding="utf-8",
    )
    result = spawn("import", str(src), "--db", str(db_path), db_path=db_path)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["line 2", "line 3"]
    assert lines[2] == "2 problem(s); nothing was imported."
    assert store.is_empty(store.open_db(db_path))


def test_import_missing_file_is_one_line(capsys, db_path, tmp_path):
    assert_invalid(*run(capsys, "import", str(tmp_path / "nope.csv")), "No file")


def test_export_infusions_in_process(capsys, db_path, tmp_path):
    db = store.open_db(db_path)
    store.add_patient(db, "P1", created_at="2026-01-01")
    store.add_infusion(db, "P1", administered_at="2026-01-02T09:00:00Z", route="IV",
                       phase="induction", dose_mg_per_kg=0.5)
    out = tmp_path / "inf.csv"
    code, stdout, _ = run(capsys, "export", "--out", str(out), "--kind", "infusions")
    assert code == 0 and stdout.startswith("Wrote 1 infusions row(s)")
    assert out.read_text().splitlines()[1] == "P1,2026-01-02T09:00:00Z,IV,0.5,induction"
    assert_invalid(*run(capsys, "export", "--out", str(out), "--kind", "patients"), "invalid choice")


# -- users -------------------------------------------------------------------------------


def test_users_add_disable_reset_password(tmp_path, db_path):
    db = store.open_db(db_path)
    store.add_patient(db, "P1", created_at="2026-01-01")
    db.close()

    r = spawn("users", "add", "pat", "--role", "patient", "--patient", "P1", "--name", "Pat",
              "--password-stdin", db_path=db_path, stdin="first-password\n")
    assert r.returncode == 0, r.stderr
    db = store.open_db(db_path)
    user = auth.authenticate(db, "pat", "first-password")
    assert (user.role, user.patient_id, user.display_name) == ("patient", "P1", "Pat")

    r = spawn("users", "reset-password", "pat", "--password-stdin", db_path=db_path,
              stdin="second-password\n")
    assert r.returncode == 0, r.stderr
    assert auth.authenticate(db, "pat", "second-password").username == "pat"
    with pytest.raises(AuthError):
        auth.authenticate(db, "pat", "first-password")

    r = spawn("users", "disable", "pat", db_path=db_path)
    assert r.returncode == 0, r.stderr
    with pytest.raises(AuthError):
        auth.authenticate(db, "pat", "second-password")

    events = store.audit_events(db)
    assert sorted(events["action"]) == ["user.create", "user.disable", "user.password_reset"]
    assert set(events["source"]) == {"cli"}
    assert store.verify_audit_chain(db)[0]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["add", "p", "--role", "patient"], "long-enough\n", "needs --patient"),
        (["add", "p", "--role", "patient", "--patient", "NOPE"], "long-enough\n", "No patient with id 'NOPE'"),
        (["add", "t", "--role", "therapist", "--patient", "P1"], "long-enough\n", "only for users with role patient"),
        (["add", "t", "--role", "nurse"], "long-enough\n", "invalid choice: 'nurse'"),
        (["add", "t", "--role", "therapist"], "short\n", "at least 8 characters"),
        (["add", "t", "--role", "therapist"], "", "No password on standard input"),
        (["add", "taken", "--role", "lead"], "long-enough\n", "already taken"),
        (["disable", "ghost"], "", "No user 'ghost'"),
        (["reset-password", "ghost", "--password-stdin"], "long-enough\n", "No user 'ghost'"),
    ],
    ids=["patient-without-id", "unknown-patient", "patient-id-for-therapist", "bad-role",
         "short-password", "empty-stdin", "taken", "disable-unknown", "reset-unknown"],
)
def test_users_invalid_input_is_one_line_exit_2(capsys, monkeypatch, db_path, args, stdin, message):
    db = store.open_db(db_path)
    store.add_patient(db, "P1", created_at="2026-01-01")
    store.add_user(db, "taken", "lead", created_at="2026-01-01")
    before = store.list_users(db)
    if args[0] == "add":
        args = [*args, "--password-stdin"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert_invalid(*run(capsys, "users", *args), message)
    assert store.list_users(db) == before


# -- demo --------------------------------------------------------------------------------


def test_demo_builds_once_then_refuses(tmp_path, db_path):
    pytest.importorskip("progress.demo")
    r = spawn("demo", "--patients", "20", "--seed", "7", "--anchor", "2026-03-01", db_path=db_path)
    assert r.returncode == 0, r.stderr
    assert "20 patients" in r.stdout and " s: " in r.stdout
    r = spawn("demo", "--patients", "20", "--seed", "7", db_path=db_path)
    assert_invalid(r.returncode, r.stdout, r.stderr, "not empty")


def test_demo_rejects_bad_arguments(capsys, db_path):
    assert_invalid(*run(capsys, "demo", "--patients", "0"), "not a positive whole number")
    assert_invalid(*run(capsys, "demo", "--anchor", "01/03/2026"), "not a date YYYY-MM-DD")


def test_parser_choices_match_the_core():
    from progress import __main__ as cli
    from progress import io_csv

    assert cli.ROLES == store.ROLES
    assert tuple(io_csv.KINDS) == cli.EXPORT_KINDS


def test_demo_years_option(capsys, db_path):
    pytest.importorskip("progress.demo")
    assert_invalid(*run(capsys, "demo", "--years", "0"), "not a positive whole number")
    assert_invalid(*run(capsys, "demo", "--patients", "3", "--years", "9"), "1 to 5 whole years")
    code, out, _ = run(capsys, "demo", "--patients", "3", "--years", "2", "--anchor", "2026-03-01")
    assert code == 0 and "3 patients" in out
    db = store.open_db(db_path)
    try:
        first = db.execute("SELECT MIN(administered_at) FROM assessments").fetchone()[0]
    finally:
        db.close()
    assert first < "2024-03-10"  # the demo patient's two years of check-ins
