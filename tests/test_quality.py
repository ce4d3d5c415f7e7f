"""CMS159 remission at 12 months, against the measure developers' own FHIR test cases.

INDEX.csv (made from the bundles, ../shared/reference-data/cms159-fhir-testcases) lists each
case's PHQ-9 observations and expected populations. Only cases decided by the scores are
used: those in the denominator without an exclusion (the numerator must match), and those
out of the initial population because the index PHQ-9 was not above 9.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime

import pytest

from progress import quality

OBS = re.compile(r"44261-6@([^=]+)=(\w+)\((\w+)\)")


def _cases(reference_dir):
    with open(reference_dir / "cms159-fhir-testcases" / "INDEX.csv", newline="") as fh:
        yield from csv.DictReader(fh)


def _observations(text: str) -> list[quality.Observation]:
    return [
        quality.Observation(datetime.fromisoformat(at), float(v), status)
        for at, v, status in OBS.findall(text)
        if v != "None"
    ]


def _period_start(row) -> date:
    return date.fromisoformat(row["measure_period"].split("..")[0])


def test_denominator_cases_match_the_expected_numerator(reference_dir):
    checked = 0
    for row in _cases(reference_dir):
        if row["denominator"] != "1" or row["denominator_exclusion"] != "0":
            continue
        obs = _observations(row["observations"])
        index = quality.index_event(obs, _period_start(row))
        assert index is not None, row["file"]
        got = quality.remission_at_12_months(obs, index)
        assert got == (row["numerator"] == "1"), row["file"]
        checked += 1
    assert checked == 31  # 19 (1,1,0,0) + 12 (1,1,0,1) cases in INDEX.csv


def test_an_index_phq9_of_9_or_less_is_no_index_event(reference_dir):
    rows = [r for r in _cases(reference_dir) if "PHQ9Lessthan9" in r["file"]]
    assert len(rows) == 2
    for row in rows:
        assert quality.index_event(_observations(row["observations"]), _period_start(row)) is None


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        pytest.param([("2026-02-19", 4, "final")], True, id="in-window-below-5"),
        pytest.param([("2026-02-19", 5, "final")], False, id="exactly-5-is-not-remission"),
        pytest.param([("2026-02-19", 3, "unknown")], False, id="unknown-status-ignored"),
        pytest.param([("2026-02-19", 300, "final")], False, id="out-of-range-ignored"),
        pytest.param([("2026-02-19", 3, "final"), ("2026-04-20", 12, "final")], False, id="last-one-counts"),
        pytest.param([("2026-04-27", 2, "final")], False, id="61-days-late"),
        pytest.param([("2026-04-26", 2, "final")], True, id="60-days-late"),
    ],
)
def test_window_rules(later, expected):
    index = quality.Observation(datetime.fromisoformat("2025-02-25T14:35:00+00:00"), 14)
    obs = [index] + [quality.Observation(datetime.fromisoformat(d + "T12:00:00+00:00"), v, s) for d, v, s in later]
    assert quality.remission_at_12_months(obs, index) is expected
