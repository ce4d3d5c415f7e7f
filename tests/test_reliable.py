"""Jacobson-Truax reliable and clinically significant change, checked against the R package
clinicalsignificance's published counts on the Claus 2020 data and the suddengains values
(../shared/reference-data/*/SOURCE.md)."""

from __future__ import annotations

import csv
import statistics

import pytest

from progress import reliable


def _claus(reference_dir, measure: str) -> list[tuple[float, float]]:
    rows: dict[str, dict[str, float]] = {}
    with open(reference_dir / "clinicalsignificance-datasets" / "claus_2020.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r[measure] not in ("", "NA"):
                rows.setdefault(r["id"], {})[r["time"]] = float(r[measure])
    return [(v["1"], v["4"]) for v in rows.values() if "1" in v and "4" in v]


def test_jacobson_truax_rci_counts_on_claus_2020_hamd(reference_dir):
    pairs = _claus(reference_dir, "hamd")
    sd_pre = statistics.stdev(p for p, _ in pairs)
    assert len(pairs) == 40 and sd_pre == pytest.approx(3.3401, abs=1e-4)
    counts = reliable.count([reliable.rci_category(a, b, sd_pre, 0.80) for a, b in pairs])
    assert (counts["improved"], counts["unchanged"], counts["deteriorated"]) == (29, 10, 1)


def test_combined_categories_with_cutoff_c_on_claus_2020(reference_dir):
    pairs = _claus(reference_dir, "hamd")
    pre = [p for p, _ in pairs]
    sd_pre = statistics.stdev(pre)
    c = reliable.cutoff_c(statistics.mean(pre), sd_pre, m_func=8, sd_func=8)
    assert c == pytest.approx(19.887, abs=1e-3)
    counts = reliable.count([reliable.combined_category(a, b, sd_pre, 0.80, c) for a, b in pairs])
    got = tuple(counts[k] for k in ("recovered", "improved", "unchanged", "deteriorated", "harmed"))
    assert got == (26, 3, 10, 1, 0)


def test_fifty_percent_response_on_claus_2020(reference_dir):
    counts = reliable.count([reliable.percent_category(a, b) for a, b in _claus(reference_dir, "hamd")])
    assert (counts["improved"], counts["unchanged"], counts["deteriorated"]) == (16, 24, 0)


def test_fixed_seven_point_change_on_bdi(reference_dir):
    counts = reliable.count([reliable.anchor_category(a, b, 7) for a, b in _claus(reference_dir, "bdi")])
    assert (counts["improved"], counts["unchanged"], counts["deteriorated"]) == (25, 11, 4)


@pytest.mark.parametrize(
    ("sd", "r", "sem", "sdiff", "rc"),
    [
        pytest.param(6.396073, 0.931, 1.680111, 2.376036, 4.65703, id="suddengains-bdi-s0"),
        pytest.param(10.5, 0.961, 2.073584, 2.93249, 5.747681, id="suddengains-sd-10.5"),
    ],
)
def test_suddengains_reliable_change_values(sd, r, sem, sdiff, rc):
    assert reliable.standard_error(sd, r) == pytest.approx(sem, abs=1e-6)
    assert reliable.s_diff(sd, r) == pytest.approx(sdiff, abs=1e-6)
    assert reliable.reliable_change_points(sd, r) == pytest.approx(rc, abs=1e-5)


def test_unit_rci_from_the_package_tests():
    # calc_rci test: SD_pre 5, reliability 0.80 -> S_diff = sqrt(2) * 5 * sqrt(0.2)
    for change in (-8, -4, 0, 4, 8):
        assert reliable.rci(10, 10 + change, 5, 0.80) == pytest.approx(change / 3.16227766, abs=1e-6)


def test_direction_flips_for_scales_where_higher_is_better():
    assert reliable.rci_category(10, 20, 3, 0.8, higher_is_worse=False) == "improved"
    assert reliable.combined_category(30, 50, 3, 0.8, 40, higher_is_worse=False) == "recovered"
    assert reliable.anchor_category(20, 10, 7, higher_is_worse=False) == "deteriorated"


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        reliable.standard_error(-1, 0.8)
    with pytest.raises(ValueError):
        reliable.standard_error(3, 1.2)
    with pytest.raises(ValueError):
        reliable.rci(1, 2, 3, 1.0)
