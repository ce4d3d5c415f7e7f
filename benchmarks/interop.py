"""Exchange and report speed on a synthetic clinic: FHIR Bundle export, R4 validation and
import; long / wide CSV export and import; the PDF session summary and cohort report.

    .venv/bin/python benchmarks/interop.py [--patients 200]

Prints figures; asserts nothing (tests never time anything).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from progress import demo, io_csv_tables, io_fhir, report, store  # noqa: E402

AS_OF = "2026-12-03T10:00:00Z"


def timed(label: str, fn, *args, **kw):
    start = time.perf_counter()
    result = fn(*args, **kw)
    print(f"{label:<48} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=200)
    n = parser.parse_args().patients
    db = store.open_db(memory=True)
    demo.build_demo(db, patients=n, seed=7, anchor=demo.DEFAULT_ANCHOR)
    print(f"clinic: {n} patients, {db['assessments'].count} assessments, "
          f"{db['infusions'].count} infusions")

    bundle = timed("FHIR export, whole clinic (build)", io_fhir.export_bundle, db, timestamp=AS_OF)
    text = timed("FHIR export, serialise JSON", json.dumps, bundle)
    print(f"  {len(bundle['entry'])} entries, {len(text) / 1e6:.1f} MB")
    one = store.list_patient_ids(db)[0]
    timed("FHIR export, one patient", io_fhir.export_bundle, db, [one], timestamp=AS_OF)
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:
        print("fhir.resources not installed: validation skipped")
    else:
        sample = bundle["entry"][:2000]
        start = time.perf_counter()
        for e in sample:
            get_fhir_model_class(e["resource"]["resourceType"]).model_validate(e["resource"])
        per = (time.perf_counter() - start) / len(sample) * 1000
        print(f"{'R4 validation (fhir.resources R4B), per resource':<48} {per:8.3f} ms")
    fresh = store.open_db(memory=True)
    timed("FHIR import, whole clinic", io_fhir.import_fhir, fresh, bundle)

    for fmt in ("long", "wide", "cohort"):
        buf = io.StringIO(newline="")
        rows = timed(f"{fmt} CSV export", io_csv_tables.export_table, db, buf, fmt, salt="b")
        print(f"  {rows} rows, {len(buf.getvalue()) / 1e6:.1f} MB")
        if fmt != "cohort":
            timed(f"{fmt} CSV import", io_csv_tables.import_table, store.open_db(memory=True), buf.getvalue())

    pdf = timed("PDF session summary (one patient)", report.session_summary_pdf, db, one, as_of=AS_OF)
    print(f"  {len(pdf) / 1000:.0f} kB")
    pdf = timed("PDF cohort outcomes report", report.cohort_report_pdf, db, as_of=AS_OF)
    print(f"  {len(pdf) / 1000:.0f} kB")


if __name__ == "__main__":
    main()
