"""Malformed input is refused cleanly at every entry point (a quick Hypothesis sample here;
benchmarks/bad_input.py runs 10,000 per entry point), and the Streamlit settings are locked down."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bad_input  # noqa: E402

bad_input.SETTINGS["derandomize"] = True


@pytest.mark.parametrize("entry", ["scoring", "csv", "cli"])
def test_a_sample_of_malformed_inputs_is_refused_without_crash_or_partial_write(entry):
    tally = bad_input.RUNS[entry](150)
    assert tally.n >= 150
    assert (tally.crashes, tally.wrong, tally.partial) == ([], [], 0)
    assert sum(tally.rejections.values()) == tally.n
    assert tally.positive_ok


def test_the_harness_catches_a_crash_and_a_wrong_accept(monkeypatch):
    """Negative control: a scorer that accepts everything, or crashes, is reported."""
    from progress import scoring

    monkeypatch.setattr(scoring, "score", lambda inst, answers: type("S", (), {"total": 0})())
    lenient = bad_input.run_scoring(30)
    assert lenient.wrong and not lenient.positive_ok  # total 0 for nine 1s is also wrong
    monkeypatch.setattr(scoring, "score", lambda inst, answers: 1 / 0)
    assert bad_input.run_scoring(30).crashes


def test_streamlit_settings_are_locked_down():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_no_page_renders_html_unescaped():
    shell = [ROOT / "dashboard.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    offenders = [p.name for p in shell if re.search(r"unsafe_allow_html\s*=\s*True|st\.html\(", p.read_text())]
    assert offenders == []


def test_fhir_import_refuses_malformed_input_cleanly():
    tally = bad_input.run_fhir(150)
    assert (tally.crashes, tally.wrong, tally.partial) == ([], [], 0)
