"""Answer scales shared by several instruments (anchors and LOINC answer codes from the reference)."""

from progress.model import AnswerOption

# PHQ-9 / GAD-7 frequency anchors, LOINC answer list LL358-3 [S5].
FREQUENCY_2W = (
    AnswerOption(0, "Not at all", "LA6568-5"),
    AnswerOption(1, "Several days", "LA6569-3"),
    AnswerOption(2, "More than half the days", "LA6570-1"),
    AnswerOption(3, "Nearly every day", "LA6571-9"),
)

# PHQ-9 item 10, LOINC list LL359-1 [S5]; LA6575-0 is "Very", LA6574-3 "Extremely" (non-sequential).
DIFFICULTY = (
    AnswerOption(0, "Not difficult at all", "LA6572-7"),
    AnswerOption(1, "Somewhat difficult", "LA6573-5"),
    AnswerOption(2, "Very difficult", "LA6575-0"),
    AnswerOption(3, "Extremely difficult", "LA6574-3"),
)

# PCL-5 severity anchors [S15].
PCL5_SEVERITY = (
    AnswerOption(0, "Not at all"),
    AnswerOption(1, "A little bit"),
    AnswerOption(2, "Moderately"),
    AnswerOption(3, "Quite a bit"),
    AnswerOption(4, "Extremely"),
)


def _nrs(low: str, high: str) -> tuple[AnswerOption, ...]:
    return tuple(
        AnswerOption(v, f"{v} - {low}" if v == 0 else f"{v} - {high}" if v == 10 else str(v))
        for v in range(11)
    )


# 0-10 numeric rating scales [S20][S22]; only the end points carry words.
PAIN_NOW = _nrs("No pain", "Worst pain imaginable")
PEG_PAIN = _nrs("No pain", "Pain as bad as you can imagine")
PEG_INTERFERENCE = _nrs("Does not interfere", "Completely interferes")
MOOD_NOW = _nrs("Not low at all", "As low as I can imagine")
ANXIETY_NOW = _nrs("Not anxious at all", "As anxious as I can imagine")
