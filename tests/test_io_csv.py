"""CSV exchange: strict all-or-nothing import, export with formula escaping, exact round trip."""

from __future__ import annotations

import io

import pytest

from progress import io_csv, scoring, store
from progress.errors import ImportRejected, NotFound, ValidationError

A_HEADER = "patient_id,instrument,administered_at,context,answers,total\n"
I_HEADER = "patient_id,administered_at,route,dose_mg_per_kg,phase\n"
T0 = "2026-01-05T10:00:00Z"


def counts(db) -> dict[str, int]:
    return {t: db[t].count for t in db.table_names()}


def assessments(db) -> list[dict]:
    return list(store.export_rows(db, "assessments"))


def infusions(db) -> list[dict]:
    return list(store.export_rows(db, "infusions"))


@pytest.fixture
def clinic(db):
    """A small store with both kinds, awkward ids, a total-only row and a 10-value PHQ-9."""
    for pid in ("P001", "=HYPERLINK(1)", "'-quoted", "+plus"):
        store.add_patient(db, pid, indications=["depression"], created_at="2026-01-01")
    store.add_infusion(db, "P001", administered_at="2026-01-06T09:00:00Z", route="IV",
                       phase="induction", dose_mg_per_kg=0.5)
    store.add_infusion(db, "P001", administered_at="2026-01-08T09:00:00Z", route="IV",
                       phase="induction", dose_mg_per_kg=0.35)
    store.add_infusion(db, "+plus", administered_at="2026-01-07T09:00:00-05:00", route="IM",
                       phase="maintenance")
    saves = [
        ("P001", scoring.score("phq9", [2, 2, 2, 2, 2, 2, 2, 2, 1, 3]), "2026-01-05T10:00:00Z", "intake", False),
        ("P001", scoring.score("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0]), "2026-01-09T10:00:00Z", "weekly", False),
        ("P001", scoring.score("peg", [3, 4, 4]), "2026-01-05T10:05:00Z", "intake", False),
        ("P001", scoring.score("pcl5", [2] * 20), "2026-01-05T10:10:00Z", "intake", False),
        ("=HYPERLINK(1)", scoring.score("gad7", [3, 3, 2, 1, 0, 0, 1]), "2026-01-05", "intake", False),
        ("'-quoted", scoring.score_total_only("phq9", 14), "2025-12-01T00:00:00Z", "intake", True),
        ("+plus", scoring.score("pain_nrs", [6]), "2026-01-07T08:00:00Z", "pre_infusion", False),
    ]
    for pid, sc, at, context, total_only in saves:
        store.save_assessment(db, pid, sc, administered_at=at, context=context,
                              total_only=total_only)
    return db


# -- round trip --------------------------------------------------------------------------


def test_round_trip_reproduces_both_kinds_exactly(clinic, tmp_path):
    a_path, i_path = tmp_path / "a.csv", tmp_path / "i.csv"
    assert io_csv.export_csv(clinic, a_path) == 7
    assert io_csv.export_csv(clinic, i_path, kind="infusions") == 3

    fresh = store.open_db(memory=True)
    report_i = io_csv.import_csv(fresh, i_path)
    report_a = io_csv.import_csv(fresh, a_path)

    assert (report_i.kind, report_i.rows, report_i.patients_created) == ("infusions", 3, 2)
    assert (report_a.kind, report_a.rows, report_a.patients_created) == ("assessments", 7, 2)
    assert assessments(fresh) == assessments(clinic)
    assert infusions(fresh) == infusions(clinic)
    # and exporting the copy gives the same bytes
    again = tmp_path / "again.csv"
    io_csv.export_csv(fresh, again)
    assert again.read_bytes() == a_path.read_bytes()
    # summaries were refreshed for the imported patients
    assert store.patient_summary(fresh, "P001")["n_infusions"] == 2
    assert len(store.instrument_summaries(fresh, "P001")) == 3


def test_export_format_is_rfc4180_with_declaration_order_answers(clinic):
    out = io.StringIO(newline="")
    io_csv.export_csv(clinic, out)
    lines = out.getvalue().split("\r\n")
    assert lines[0] == A_HEADER.strip()
    assert "P001,phq9,2026-01-05T10:00:00Z,intake,2 2 2 2 2 2 2 2 1 3,17" in lines
    assert "P001,peg,2026-01-05T10:05:00Z,intake,3 4 4,3.67" in lines
    assert "''-quoted,phq9,2025-12-01T00:00:00Z,intake,,14" in lines  # total-only: no answers


def test_export_rejects_unknown_kind(db):
    with pytest.raises(ValidationError, match="kind"):
        io_csv.export_csv(db, io.StringIO(), kind="patients")


def test_prorated_assessment_exports_as_total_only(db):
    store.add_patient(db, "P1", created_at=T0)
    sc = scoring.score("phq9", {"phq9_1": 2, "phq9_2": None, **{f"phq9_{i}": 1 for i in range(3, 10)}},
                       prorate=True)
    store.save_assessment(db, "P1", sc, administered_at=T0, context="weekly")
    out = io.StringIO(newline="")
    io_csv.export_csv(db, out)
    assert out.getvalue().splitlines()[1] == f"P1,phq9,{T0},weekly,,{sc.total:g}"


# -- formula escaping --------------------------------------------------------------------


def test_export_escapes_formula_cells(clinic):
    out = io.StringIO(newline="")
    io_csv.export_csv(clinic, out)
    text = out.getvalue()
    assert "\r\n'=HYPERLINK(1),gad7," in text
    assert "\r\n'+plus,pain_nrs," in text
    assert "\r\n''-quoted,phq9," in text  # already begins with ' then - : one more apostrophe
    out = io.StringIO(newline="")
    io_csv.export_csv(clinic, out, kind="infusions")
    assert "\r\n'+plus,2026-01-07T14:00:00Z,IM,,maintenance" in out.getvalue()


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("'=cmd", "=cmd"),
        ("'+1", "+1"),
        ("'-1", "-1"),
        ("'@SUM", "@SUM"),
        ("''=x", "'=x"),
        ("'plain", "'plain"),
        ("O'Neil", "O'Neil"),
    ],
    ids=["equals", "plus", "minus", "at", "double-apostrophe", "apostrophe-text", "inner-apostrophe"],
)
def test_import_strips_one_escape_apostrophe(db, cell, stored):
    io_csv.import_csv(db, f"{A_HEADER}{cell},pain_nrs,{T0},weekly,3,\n")
    assert store.list_patient_ids(db) == [stored]


# -- all or nothing ----------------------------------------------------------------------


def test_three_bad_rows_are_all_reported_and_nothing_is_written(clinic):
    before = counts(clinic)
    text = (
        A_HEADER
        + f"P001,phq9,{T0},weekly,1 1 1 1 1 1 1 1 1,\n"  # line 2 fine
        + f"P001,phq9,{T0},weekly,1 1 1 1 1 1 1 1 3.0,\n"  # line 3 bad value
        + f"NEW,gad7,{T0},weekly,1 1 1 1 1 1 1,\n"  # line 4 fine (would create a patient)
        + f"P001,gad7,{T0},lunch,1 1 1 1 1 1 1,\n"  # line 5 bad context
        + "P001,peg,2026-13-01,weekly,1 2 3,\n"  # line 6 bad date
    )
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(clinic, text)
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 5", "line 6"]
    assert "'3.0'" in problems[0] and "'lunch'" in problems[1] and "2026-13-01" in problems[2]
    assert counts(clinic) == before
    assert not store.patient_exists(clinic, "NEW")


def test_every_problem_of_one_row_is_listed(db):
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(db, f"{A_HEADER} P1,nope,yesterday,lunch,1,\n")
    problems = info.value.problems
    assert len(problems) == 4 and all(p.startswith("line 2: ") for p in problems)


def test_failure_while_writing_rolls_everything_back(clinic, monkeypatch):
    before = counts(clinic)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "refresh_all", broken)
    with pytest.raises(RuntimeError):
        io_csv.import_csv(clinic, f"{A_HEADER}NEW,phq9,{T0},weekly,3 3 3 3 3 3 3 3 3,\n")
    assert counts(clinic) == before


def test_line_numbers_are_physical_lines(db):
    text = A_HEADER + f'"P\n1",pain_nrs,{T0},weekly,3,\n\nP2,pain_nrs,{T0},weekly,11,\n'
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(db, text)
    assert info.value.problems[0].startswith("line 5: ")


# -- one rule per row --------------------------------------------------------------------

BAD_ASSESSMENTS = [
    ("value-3.0", f"P1,phq9,{T0},weekly,3.0 0 0 0 0 0 0 0 0,", "'3.0' is not a whole number"),
    ("value-empty", f"P1,phq9,{T0},weekly,0  0 0 0 0 0 0 0 0,", "value 2 '' is not a whole number"),
    ("value-leading-space", f"P1,phq9,{T0},weekly, 0 0 0 0 0 0 0 0 0,", "value 1 ''"),
    ("value-True", f"P1,phq9,{T0},weekly,True 0 0 0 0 0 0 0 0,", "'True' is not a whole number"),
    ("value-negative", f"P1,phq9,{T0},weekly,-1 0 0 0 0 0 0 0 0,", "'-1' is not a whole number"),
    ("value-4-on-0-3", f"P1,phq9,{T0},weekly,4 0 0 0 0 0 0 0 0,", "phq9_1: 4 is out of range; allowed 0-3"),
    ("wrong-count", f"P1,gad7,{T0},weekly,1 1 1 1 1 1,", "GAD-7 needs 7 answers; got 6"),
    ("phq9-missing-item9", f"P1,phq9,{T0},weekly,1 1 1 1 1 1 1 1,", "PHQ-9 needs 9 (or 10"),
    ("total-disagrees", f"P1,phq9,{T0},weekly,1 1 1 1 1 1 1 1 1,10", "total 10 disagrees with the answers, which score 9"),
    ("peg-total-disagrees", f"P1,peg,{T0},weekly,3 4 4,3.6", "which score 3.67"),
    ("total-not-number", f"P1,phq9,{T0},weekly,,twelve", "total 'twelve' is not a number"),
    ("total-out-of-range", f"P1,phq9,{T0},weekly,,28", "out of range"),
    ("total-only-fraction", f"P1,phq9,{T0},weekly,,12.5", "must be a whole number"),
    ("both-empty", f"P1,phq9,{T0},weekly,,", "answers and total are both empty"),
    ("bad-date", "P1,phq9,2026-02-30,weekly,,12", "not an ISO 8601 date"),
    ("naive-datetime", "P1,phq9,2026-01-05T10:00:00,weekly,,12", "no time-zone offset"),
    ("bad-context", f"P1,phq9,{T0},Weekly,,12", "context 'Weekly' is not one of"),
    ("unknown-instrument", f"P1,phq10,{T0},weekly,,12", "Unknown instrument 'phq10'"),
    ("empty-patient", f",phq9,{T0},weekly,,12", "patient_id is empty"),
    ("padded-patient", f"P1 ,phq9,{T0},weekly,,12", "leading or trailing spaces"),
    ("too-many-cells", f"P1,phq9,{T0},weekly,,12,extra", "expected 6 cells"),
    ("too-few-cells", f"P1,phq9,{T0},weekly", "expected 6 cells"),
]


@pytest.mark.parametrize(("row", "message"), [b[1:] for b in BAD_ASSESSMENTS], ids=[b[0] for b in BAD_ASSESSMENTS])
def test_bad_assessment_row_is_rejected_with_reason(db, row, message):
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(db, A_HEADER + row + "\n")
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("line 2: ")
    assert message in info.value.problems[0]
    assert counts(db)["assessments"] == 0 and counts(db)["patients"] == 0


BAD_INFUSIONS = [
    ("bad-route", f"P1,{T0},IVX,0.5,induction", "route 'IVX' is not one of"),
    ("bad-phase", f"P1,{T0},IV,0.5,Induction", "phase 'Induction' is not one of"),
    ("dose-zero", f"P1,{T0},IV,0,induction", "dose_mg_per_kg '0' must be"),
    ("dose-negative", f"P1,{T0},IV,-0.5,induction", "dose_mg_per_kg '-0.5' must be"),
    ("dose-text", f"P1,{T0},IV,half,induction", "dose_mg_per_kg 'half' must be"),
    ("dose-comma", f'P1,{T0},IV,"0,5",induction', "dose_mg_per_kg '0,5' must be"),
    ("dose-exponent", f"P1,{T0},IV,5e-1,induction", "dose_mg_per_kg '5e-1' must be"),
    ("naive-datetime", "P1,2026-01-05T10:00,IV,0.5,induction", "no time-zone offset"),
]


@pytest.mark.parametrize(("row", "message"), [b[1:] for b in BAD_INFUSIONS], ids=[b[0] for b in BAD_INFUSIONS])
def test_bad_infusion_row_is_rejected_with_reason(db, row, message):
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(db, I_HEADER + row + "\n")
    assert [p.split(": ", 1)[0] for p in info.value.problems] == ["line 2"]
    assert message in info.value.problems[0]


@pytest.mark.parametrize(
    ("row", "total"),
    [
        (f"P1,phq9,{T0},weekly,2 2 2 2 2 2 2 2 2,18", 18),
        (f"P1,phq9,{T0},weekly,2 2 2 2 2 2 2 2 2,18.0", 18),
        (f"P1,phq9,{T0},weekly,2 2 2 2 2 2 2 2 2 3,", 18),
        (f"P1,peg,{T0},weekly,3 4 4,3.67", 3.67),
        (f"P1,peg,{T0},weekly,3 4 4,3.6667", 3.67),
        (f"P1,peg,{T0},weekly,3 4 4,", 3.67),
    ],
    ids=["total-given", "total-as-decimal", "phq9-10-values", "peg-rounded", "peg-full-precision", "no-total"],
)
def test_good_assessment_rows_are_accepted(db, row, total):
    report = io_csv.import_csv(db, A_HEADER + row + "\n")
    assert report.rows == 1
    assert assessments(db)[0]["total"] == total


def test_infusion_dose_is_optional(db):
    io_csv.import_csv(db, I_HEADER + f"P1,{T0},intranasal,,booster\nP1,2026-01-06,IV,0.75,induction\n")
    assert [r["dose_mg_per_kg"] for r in infusions(db)] == [None, 0.75]


def test_total_only_rows_are_accepted_and_flagged(db):
    io_csv.import_csv(db, A_HEADER + f"P1,phq9,{T0},intake,,12\nP1,peg,{T0},intake,,4.33\n")
    series = store.load_series(db, "P1").set_index("instrument")
    assert series.loc["phq9", "total_only"] == 1 and series.loc["peg", "total_only"] == 1
    assert series.loc["phq9", "flags"] == ["item9_unknown"]
    assert series.loc["phq9", "respondent"] == "import"
    assert series.loc["peg", "total"] == 4.33
    assert counts(db)["answers"] == 0


def test_imported_item9_positive_row_raises_a_safety_alert(db):
    io_csv.import_csv(db, A_HEADER + f"P1,phq9,{T0},weekly,0 0 0 0 0 0 0 0 2,\n")
    alerts = list(db["alerts"].rows)
    assert [(a["patient_id"], a["kind"], a["severity"]) for a in alerts] == [("P1", "safety", "high")]


def test_duplicate_rows_in_one_file_are_rejected(db):
    text = A_HEADER + f"P1,pain_nrs,{T0},weekly,3,\nP1,pain_nrs,2026-01-05T05:00:00-05:00,pre_infusion,4,\n"
    with pytest.raises(ImportRejected, match="line 3: duplicates line 2"):
        io_csv.import_csv(db, text)


# -- patients ----------------------------------------------------------------------------


def test_unknown_patient_is_created_and_known_one_reused(db):
    store.add_patient(db, "P1", indications=["PTSD"], created_at="2025-01-01")
    report = io_csv.import_csv(
        db, A_HEADER + f"P1,pain_nrs,{T0},weekly,3,\nP2,pain_nrs,2026-01-03,weekly,4,\n"
        f"P2,pain_nrs,2026-01-02,weekly,5,\n"
    )
    assert (report.patients_created, report.patient_ids) == (1, ("P1", "P2"))
    new = store.get_patient(db, "P2")
    assert new["indications"] == "" and new["created_at"] == "2026-01-02T00:00:00Z"
    assert store.get_patient(db, "P1")["indications"] == "PTSD"
    assert store.patient_summary(db, "P2")["last_assessment_at"] == "2026-01-03T00:00:00Z"


def test_import_with_actor_is_audited(db):
    actor = store.Actor.system("test")
    io_csv.import_csv(db, A_HEADER + f"P1,pain_nrs,{T0},weekly,3,\n", actor=actor, at=T0)
    events = store.audit_events(db)
    assert sorted(events["action"]) == ["import.csv", "patient.create"]
    assert store.verify_audit_chain(db)[0]
    with pytest.raises(ValidationError, match="at"):
        io_csv.import_csv(db, A_HEADER + f"P1,pain_nrs,{T0},weekly,3,\n", actor=actor)


# -- reading the file --------------------------------------------------------------------


def test_header_tells_the_kind_in_any_column_order(db, tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("phase,route,administered_at,patient_id,dose_mg_per_kg\r\ninduction,IV,2026-01-05,P1,0.5\r\n",
                    encoding="utf-8")
    report = io_csv.import_csv(db, path)
    assert report.kind == "infusions"
    assert infusions(db)[0]["route"] == "IV"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("\r\n  \r\n", "line 1: the file is empty"),
        ("name,score\nP1,3\n", "line 1: header 'name,score' is not recognised"),
        ("patient_id,instrument,administered_at,context,answers\n", "missing total"),
        ("patient_id,administered_at,route,dose,phase\n", "missing dose_mg_per_kg; unknown 'dose'"),
    ],
    ids=["empty", "blank-lines", "unknown-header", "missing-column", "misnamed-column"],
)
def test_unusable_header_is_rejected(db, text, message):
    with pytest.raises(ImportRejected) as info:
        io_csv.import_csv(db, io.StringIO(text))
    assert len(info.value.problems) == 1 and message in info.value.problems[0]


def test_header_only_file_imports_nothing(db):
    assert io_csv.import_csv(db, A_HEADER).rows == 0


def test_non_utf8_file_is_rejected_with_its_line(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((A_HEADER + f"Zoë,pain_nrs,{T0},weekly,3,\n").encode("latin-1"))
    with pytest.raises(ImportRejected, match=r"line 2: the file is not UTF-8 text \(byte 0xeb"):
        io_csv.import_csv(db, path)


def test_utf8_with_bom_and_blank_rows_is_accepted(db):
    data = ("\ufeff" + A_HEADER + f"Zoë,pain_nrs,{T0},weekly,3,\n,,,,,\n\n").encode("utf-8")
    assert io_csv.import_csv(db, io.BytesIO(data)).rows == 1
    assert store.list_patient_ids(db) == ["Zoë"]


def test_broken_quoting_is_reported(db):
    with pytest.raises(ImportRejected, match="line 2: not valid CSV"):
        io_csv.import_csv(db, A_HEADER + f'"P1,pain_nrs,{T0},weekly,3,\n')


def test_missing_path_is_not_found(db, tmp_path):
    with pytest.raises(NotFound):
        io_csv.import_csv(db, str(tmp_path / "nope.csv"))
