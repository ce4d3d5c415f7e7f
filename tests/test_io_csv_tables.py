"""Long, wide and de-identified cohort CSV (progress/io_csv_tables.py): layout, escaping, and
import of what export writes, all or nothing."""

from __future__ import annotations

import csv
import io

import pytest

from progress import demo, io_csv_tables, scoring, store
from progress.errors import ImportRejected

AT = "2026-03-02T14:30:00Z"


@pytest.fixture(scope="module")
def clinic():
    database = store.open_db(memory=True)
    demo.build_demo(database, patients=3, seed=5, anchor=demo.DEFAULT_ANCHOR)
    yield database
    database.close()


def export(database, fmt, **kw) -> str:
    buf = io.StringIO(newline="")
    io_csv_tables.export_table(database, buf, fmt, **kw)
    return buf.getvalue()


def rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def signature(database):
    return [
        (r["patient_id"], r["instrument"], r["administered_at"], r["context"], r["total"],
         r["answers"], r["total_only"], r["flags"])
        for r in store.exchange_assessments(database)
    ]


@pytest.fixture
def one(db):
    """One PHQ-9 with item 9 positive, one total-only GAD-7, for one patient."""
    store.add_patient(db, "P-1", created_at=AT)
    store.save_assessment(db, "P-1", scoring.score("phq9", [1, 2, 0, 1, 0, 0, 1, 0, 2, 1]),
                          administered_at=AT, context="weekly")
    store.save_assessment(db, "P-1", scoring.score_total_only("gad7", 9),
                          administered_at="2026-03-09T09:00:00Z", context="weekly", total_only=True)
    return db


# -- layout -------------------------------------------------------------------------------


def test_long_has_one_row_per_item_answer_with_the_reference_columns(one):
    table = rows(export(one, "long"))
    phq = [r for r in table if r["instrument"] == "phq9"]
    assert [r["item_id"] for r in phq] == [f"phq9_{n}" for n in range(1, 11)]
    first = phq[0]
    assert first["item_loinc"] == "44250-9"
    assert first["instrument_version"] == "1.0" and first["recall_period"] == "P2W"
    assert first["administered_at"] == "2026-03-02T14:30:00+00:00"
    assert (first["total_score"], first["severity_band"]) == ("7", "mild")
    assert first["item9_flag"] == "true" and first["flags"] == "item9_positive"
    assert first["alert_id"] != ""


def test_long_keeps_a_total_only_assessment_as_one_row_without_items(one):
    gad = [r for r in rows(export(one, "long")) if r["instrument"] == "gad7"]
    assert len(gad) == 1
    assert (gad[0]["item_id"], gad[0]["item_value"], gad[0]["total_score"]) == ("", "", "9")


def test_wide_has_one_row_per_assessment_with_item_columns(one):
    table = rows(export(one, "wide"))
    assert len(table) == 2
    phq = table[0]
    assert [phq[f"phq9_{n}"] for n in range(1, 10)] == ["1", "2", "0", "1", "0", "0", "1", "0", "2"]
    assert phq["phq9_10"] == "1" and phq["phq9_total"] == "7" and phq["gad7_total"] == ""
    assert table[1]["gad7_total"] == "9" and table[1]["gad7_1"] == ""


def test_cohort_export_carries_no_patient_id_and_no_dates(clinic):
    text = export(clinic, "cohort", salt="s")
    ids = store.list_patient_ids(clinic)
    assert not any(pid in text for pid in ids)
    assert "2026-" not in text and "T" not in "".join(r["day_from_first_infusion"] for r in rows(text))
    table = rows(text)
    assert {r["cohort_id"] for r in table} == {"C0001", "C0002", "C0003"}
    assert tuple(table[0]) == io_csv_tables.COHORT_COLUMNS


def test_cohort_numbering_depends_on_the_salt_not_on_the_id_order(clinic):
    first = {r["cohort_id"]: r["total_score"] for r in rows(export(clinic, "cohort", salt="a"))}
    others = [rows(export(clinic, "cohort", salt=s)) for s in ("b", "c", "d", "e")]
    assert any({r["cohort_id"]: r["total_score"] for r in t} != first for t in others)


def test_cohort_days_count_from_the_first_infusion(clinic):
    table = rows(export(clinic, "cohort", salt="s"))
    before = [r for r in table if r["infusions_before"] == "0" and r["day_from_first_infusion"]]
    assert before and all(int(r["day_from_first_infusion"]) <= 0 for r in before)


# -- escaping -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["long", "wide"])
def test_formula_cells_are_escaped_and_read_back(db, fmt):
    pid = "=HYPERLINK(1)"
    store.add_patient(db, pid, created_at=AT)
    store.save_assessment(db, pid, scoring.score("gad7", [1] * 7), administered_at=AT,
                          context="weekly")
    text = export(db, fmt)
    assert "'=HYPERLINK(1)" in text
    fresh = store.open_db(memory=True)
    io_csv_tables.import_table(fresh, text)
    assert store.list_patient_ids(fresh) == [pid]


def test_plain_negative_numbers_stay_numbers(clinic):
    text = export(clinic, "cohort", salt="s")
    assert ",-1," in text or ",-2," in text
    assert ",'-" not in text


# -- import -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["long", "wide"])
def test_import_accepts_what_export_writes(clinic, db, fmt):
    report = io_csv_tables.import_table(db, export(clinic, fmt))
    assert report.rows == clinic["assessments"].count
    assert signature(db) == signature(clinic)


@pytest.mark.parametrize("fmt", ["long", "wide"])
def test_one_bad_row_imports_nothing(one, fmt):
    text = export(one, fmt).replace(",7,mild,", ",8,mild,")  # total disagrees with items
    fresh = store.open_db(memory=True)
    with pytest.raises(ImportRejected, match="disagrees"):
        io_csv_tables.import_table(fresh, text)
    assert fresh["assessments"].count == 0 and fresh["patients"].count == 0


def test_a_long_file_without_the_safety_item_is_rejected(one):
    lines = export(one, "long").splitlines(keepends=True)
    kept = [line for line in lines if ",phq9_9," not in line]
    with pytest.raises(ImportRejected, match="phq9_9"):
        io_csv_tables.import_table(store.open_db(memory=True), "".join(kept))


def test_a_wide_row_filling_another_instruments_columns_is_rejected(one):
    table = rows(export(one, "wide"))
    table[0]["gad7_1"] = "2"
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    with pytest.raises(ImportRejected, match="column gad7_1"):
        io_csv_tables.import_table(store.open_db(memory=True), buf.getvalue())


@pytest.mark.parametrize(
    ("header", "fmt"),
    [(io_csv_tables.LONG_COLUMNS, "long"), (io_csv_tables.wide_columns(), "wide"),
     (tuple(reversed(io_csv_tables.LONG_COLUMNS)), "long"), (("patient_id", "total"), None)],
    ids=["long", "wide", "long-any-order", "unknown"],
)
def test_table_format_is_told_by_the_header(header, fmt):
    assert io_csv_tables.table_format(header) == fmt
