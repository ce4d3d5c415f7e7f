"""python -m progress signals: the JSON shape, filters, and one-line errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from progress import demo, store
from progress.__main__ import main


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    db = store.open_db(path)
    demo.build_demo(db, patients=40, seed=7, anchor=date(2026, 11, 1))
    db.close()
    return path


def test_json_lists_every_signal_with_the_required_fields(demo_path, capsys):
    assert main(["signals", "--db", str(demo_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list) and out
    for row in out:
        assert {"patient_id", "instrument", "kind", "at", "reason"} <= set(row)
        assert row["kind"] in ("safety", "booster_review", "not_on_track", "deterioration")
        assert len(row["at"]) == 10 and row["at"][4] == "-"  # ISO date of the triggering assessment
        assert row["reason"]
    kinds = {r["kind"] for r in out}
    assert "safety" in kinds  # the demo has item-9 alerts
    # replay order: by patient, then in time within each patient
    for pid in {r["patient_id"] for r in out}:
        times = [r["at_time"] for r in out if r["patient_id"] == pid]
        assert times == sorted(times)


def test_filters_by_patient_and_kind(demo_path, capsys):
    main(["signals", "--db", str(demo_path), "--json"])
    everything = json.loads(capsys.readouterr().out)
    pid = everything[0]["patient_id"]
    main(["signals", "--db", str(demo_path), "--json", "--patient", pid])
    one = json.loads(capsys.readouterr().out)
    assert one and {r["patient_id"] for r in one} == {pid}
    assert len(one) == sum(r["patient_id"] == pid for r in everything)
    main(["signals", "--db", str(demo_path), "--json", "--kind", "safety"])
    assert {r["kind"] for r in json.loads(capsys.readouterr().out)} == {"safety"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--kind", "relapse"], "is not one of", id="unknown-kind"),
        pytest.param(["--patient", "NOPE"], "No patient", id="unknown-patient"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(demo_path, capsys, args, message):
    assert main(["signals", "--db", str(demo_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
