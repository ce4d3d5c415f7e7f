"""``python -m progress`` export (fhir, long, wide, cohort), import of JSON and of long/wide CSV,
``report`` and ``cohort-report``: exit codes, files written, audit events."""

from __future__ import annotations

import json

import pytest

from progress import demo, store
from progress.__main__ import EXPORT_FORMATS, IMPORT_CONTEXTS, main
from progress.io_csv_tables import FORMATS


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    path = tmp_path / "clinic.db"
    monkeypatch.setenv("PROGRESS_DB", str(path))
    conn = store.open_db(path)
    demo.build_demo(conn, patients=3, seed=2, anchor=demo.DEFAULT_ANCHOR)
    conn.close()
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def count(path) -> int:
    conn = store.open_db(path)
    try:
        return conn["assessments"].count
    finally:
        conn.close()


def test_literal_choices_match_the_core():
    assert set(EXPORT_FORMATS) == {"exchange", "fhir", *FORMATS}
    assert IMPORT_CONTEXTS == store.CONTEXTS


@pytest.mark.parametrize("fmt", ["fhir", "long", "wide"])
def test_export_then_import_into_a_new_database_keeps_every_assessment(clinic, tmp_path, capsys, fmt):
    out = tmp_path / ("x.json" if fmt == "fhir" else "x.csv")
    code, stdout, err = run(capsys, "export", "--db", str(clinic), "--format", fmt, "--out", str(out))
    assert code == 0, err
    assert f"to {out}" in stdout
    fresh = tmp_path / "fresh.db"
    code, stdout, err = run(capsys, "import", str(out), "--db", str(fresh))
    assert code == 0, err
    assert count(fresh) == count(clinic)
    assert f"Imported {count(clinic)} assessments row(s)" in stdout


def test_fhir_export_of_one_patient_is_a_bundle_and_is_audited(clinic, tmp_path, capsys):
    out = tmp_path / "one.json"
    code, _, err = run(capsys, "export", "--db", str(clinic), "--format", "fhir",
                       "--patient", "KC-0002", "--out", str(out))
    assert code == 0, err
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert [p["identifier"][0]["value"] for p in patients] == ["KC-0002"]
    conn = store.open_db(clinic)
    events = store.audit_events(conn, "KC-0002")
    conn.close()
    assert (events["action"] == "record.export").any()


def test_cohort_export_to_standard_output_has_no_patient_ids(clinic, capsys):
    code, out, err = run(capsys, "export", "--db", str(clinic), "--format", "cohort", "--out", "-")
    assert code == 0, err
    assert out.startswith("cohort_id,") and "KC-" not in out
    assert "cohort row(s)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(["export", "--format", "cohort", "--patient", "KC-0001", "--out", "-"], "whole clinic"),
     (["export", "--patient", "KC-0001", "--out", "-"], "--patient needs --format"),
     (["export", "--format", "fhir", "--patient", "KC-9", "--out", "-"], "No patient with id 'KC-9'"),
     (["report", "--patient", "KC-9", "--out", "r.pdf"], "No patient with id 'KC-9'")],
    ids=["cohort-with-patient", "exchange-with-patient", "fhir-unknown-patient", "report-unknown"],
)
def test_invalid_use_is_one_line_and_exit_2(clinic, capsys, args, message):
    code, out, err = run(capsys, *args, "--db", str(clinic))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_rejected_json_import_lists_problems_and_writes_nothing(clinic, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "QuestionnaireResponse", "status": "completed",
                               "item": []}))
    fresh = tmp_path / "fresh.db"
    code, out, err = run(capsys, "import", str(bad), "--db", str(fresh), "--patient", "P-1")
    assert code == 2 and out == ""
    assert "nothing was imported" in err
    assert count(fresh) == 0


def test_report_writes_a_pdf_and_audits_it(clinic, tmp_path, capsys):
    out = tmp_path / "summary.pdf"
    code, stdout, err = run(capsys, "report", "--db", str(clinic), "--patient", "KC-0001",
                            "--out", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF")
    conn = store.open_db(clinic)
    details = store.audit_events(conn, "KC-0001")["detail"].tolist()
    conn.close()
    assert "session summary pdf" in details


def test_cohort_report_writes_a_pdf(clinic, tmp_path, capsys):
    out = tmp_path / "cohort.pdf"
    code, stdout, err = run(capsys, "cohort-report", "--db", str(clinic), "--out", str(out),
                            "--instrument", "phq9")
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF") and "cohort outcomes report" in stdout
