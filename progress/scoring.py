"""Score one completed form: the single interpreter of every instrument's scoring rule.

Nothing is coerced. An answer must be a plain ``int`` inside the item's range: ``"3"``,
``3.0``, ``True`` and ``None`` are rejected with a message naming the item and the range.
Missing items make the form invalid unless the caller opts into the instrument's proration
policy, and the safety item (PHQ-9 item 9) may never be missing [S59][S61].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from progress import instruments
from progress.errors import ValidationError
from progress.model import ClusterRule, Instrument, ItemAtLeast, Score

Answers = Mapping[str, object] | Sequence[object]


def score(instrument_id: str, answers: Answers, *, prorate: bool = False) -> Score:
    """Score ``answers`` for ``instrument_id``.

    Parameters
    ----------
    instrument_id
        A registered id such as ``"phq9"``.
    answers
        Either a mapping of item id to value, or a sequence of values in declaration order.
        A sequence may hold just the scored items, or every item (PHQ-9 with item 10).
    prorate
        Opt into the instrument's proration policy for missing scored items. Off by default
        because the PHQ manual's rule is UNCONFIRMED in the reference.

    Returns
    -------
    Score
        Total, band (None where the instrument has no bands), subscales and flags.

    Raises
    ------
    UnknownInstrument
        For an unregistered id.
    ValidationError
        For a wrong number of answers, an unknown item, a value of the wrong type or out of
        range, or a missing required item; the message names the item and the allowed range.
    """
    instrument = instruments.get(instrument_id)
    given = _as_mapping(instrument, answers)
    values = {item_id: _check_value(instrument, item_id, v) for item_id, v in given.items()}
    return _score_checked(instrument, values, prorate=prorate)


def _as_mapping(instrument: Instrument, answers: Answers) -> dict[str, object]:
    if isinstance(answers, Mapping):
        known = {i.id for i in instrument.items}
        for key in answers:
            if key not in known:
                raise ValidationError(
                    f"{instrument.short_name} has no item {key!r}; items are "
                    f"{', '.join(i.id for i in instrument.items)}."
                )
        return dict(answers)
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ValidationError(
            f"{instrument.short_name} answers must be a list of values or a mapping of item ids."
        )
    scored = instrument.scored_items
    if len(answers) == len(scored):
        ids = [i.id for i in scored]
    elif len(answers) == len(instrument.items):
        ids = [i.id for i in instrument.items]
    else:
        expected = str(len(scored))
        if len(instrument.items) != len(scored):
            expected += f" (or {len(instrument.items)} with the unscored item)"
        raise ValidationError(
            f"{instrument.short_name} needs {expected} answers; got {len(answers)}."
        )
    return dict(zip(ids, answers, strict=True))


def _check_value(instrument: Instrument, item_id: str, value: object) -> int | None:
    item = instrument.item(item_id)
    if value is None:
        return None
    # bool is an int subclass; "3", 3.0 and numpy types are not accepted silently.
    if type(value) is not int:
        raise ValidationError(
            f"{instrument.short_name} item {item_id}: {value!r} is not a whole number; "
            f"allowed {item.min_value}-{item.max_value}."
        )
    if not item.min_value <= value <= item.max_value:
        raise ValidationError(
            f"{instrument.short_name} item {item_id}: {value} is out of range; "
            f"allowed {item.min_value}-{item.max_value}."
        )
    return value


def _score_checked(instrument: Instrument, values: dict[str, int | None], *, prorate: bool) -> Score:
    policy = instrument.missing
    scored = instrument.scored_items
    missing = [i.id for i in scored if values.get(i.id) is None]
    for item_id in policy.never_missing:
        if item_id in missing:
            raise ValidationError(
                f"{instrument.short_name} item {item_id} must be answered: it is the safety item "
                "and is never left out or estimated."
            )
    allowed = policy.max_prorated if prorate else 0
    if len(missing) > allowed:
        raise ValidationError(
            f"{instrument.short_name} is incomplete: {', '.join(missing)} not answered "
            f"({len(missing)} missing, {allowed} allowed)."
        )
    answered = {k: v for k, v in values.items() if v is not None}
    present = [answered[i.id] for i in scored if i.id in answered]
    if instrument.method == "mean":
        total: float = round(sum(present) / len(present), 2)
    else:
        total = sum(present)
        if missing:  # proration: scale the sum of answered items to the full item count,
            # rounding a half up (4.5 -> 5); round() would round half to even (4.5 -> 4).
            total = (2 * total * len(scored) + len(present)) // (2 * len(present))
    subscales = {
        s.id: sum(answered.get(item_id, 0) for item_id in s.items) for s in instrument.subscales
    }
    flags = tuple(rule.flag for rule in instrument.flag_rules if _fires(rule, answered, instrument))
    return Score(
        instrument=instrument.id,
        total=total,
        band=instrument.band_for(total),
        subscales=subscales,
        flags=flags,
        answers=answered,
        n_missing=len(missing),
        prorated=bool(missing),
    )


def _fires(rule: ItemAtLeast | ClusterRule, answers: Mapping[str, int], instrument: Instrument) -> bool:
    if isinstance(rule, ItemAtLeast):
        return answers.get(rule.item, 0) >= rule.value
    groups = {s.id: s.items for s in instrument.subscales}
    return all(
        sum(1 for item_id in groups[group] if answers.get(item_id, 0) >= rule.endorsed_at) >= need
        for group, need in rule.minimum
    )


def score_total_only(instrument_id: str, total: object) -> Score:
    """Check a total given without items (legacy spreadsheets) and return a total-only Score.

    Flags cannot be computed without items, so a total-only PHQ-9 carries the flag
    ``item9_unknown``: the safety item was not seen.
    """
    instrument = instruments.get(instrument_id)
    if type(total) not in (int, float) or total != total:  # rejects bool, str, NaN
        raise ValidationError(f"{instrument.short_name} total {total!r} is not a number.")
    if not instrument.total_min <= total <= instrument.total_max:
        raise ValidationError(
            f"{instrument.short_name} total {total} is out of range; "
            f"allowed {instrument.total_min:g}-{instrument.total_max:g}."
        )
    if instrument.method == "sum" and total != int(total):
        raise ValidationError(f"{instrument.short_name} total {total} must be a whole number.")
    value = int(total) if instrument.method == "sum" else float(total)
    flags = ("item9_unknown",) if instrument.missing.never_missing else ()
    return Score(instrument=instrument.id, total=value, band=instrument.band_for(value), flags=flags)
