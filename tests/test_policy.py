"""The rights policy as data: complete, unknowns refused, printed in the README as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from progress import policy
from progress.errors import ValidationError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_role_and_action_has_a_decision_for_every_scope():
    assert set(policy.POLICY) == {(r, a) for r in policy.ROLES for a in policy.ACTIONS}
    assert all(len(row) == len(policy.SCOPES) for row in policy.POLICY.values())
    assert len(policy.cells()) == len(policy.ROLES) * len(policy.ACTIONS) * len(policy.SCOPES) == 120


@pytest.mark.parametrize(
    ("role", "action", "scope"),
    [("nurse", "view_record", "own"), ("patient", "delete_record", "own"), ("patient", "view_record", "world")],
    ids=["unknown-role", "unknown-action", "unknown-scope"],
)
def test_anything_unknown_is_an_error_not_an_allow(role, action, scope):
    with pytest.raises(ValidationError):
        policy.decide(role, action, scope)


def test_only_identified_record_reads_ever_need_break_glass():
    glass = {(r, a) for r, a, _, d in policy.cells() if d == "break_glass"}
    assert {a for _, a in glass} == {"view_record"}


def test_the_readme_prints_the_table_in_the_code():
    assert policy.as_markdown() in README.read_text(encoding="utf-8")
