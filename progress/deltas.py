"""Before/after-infusion changes for momentary ("right now") ratings: pandas in, pandas out.

Why only momentary instruments
------------------------------
A questionnaire answers its own recall period, not the moment it is filled in. PHQ-9 and
GAD-7 ask about the last 2 weeks and PCL-5 about the past month (``clinical-reference.md``
§PHQ-9 recall window, §GAD-7, §PCL-5 [S3][S4][S11][S15]), so a form completed 40 minutes
after an infusion describes nearly the same fortnight as the one completed before it: any
same-day difference is noise or a response bias, not an effect of the infusion. Only
instruments declared ``momentary=True`` (recall ``PT0S``, "right now": pain now, mood now,
anxiety now) can show a same-day change, so both functions here refuse any other instrument
with :class:`~progress.errors.ValidationError`. Pre-to-pre change uses the same momentary
pre-infusion ratings; for a 2-week or 1-month instrument, consecutive pre-infusion forms
(2-4 days apart in induction) share most of their recall window, and the weekly trend
(``progress.charts.trend_figure``) is the right view.

Direction: every declared instrument is ``higher_is_worse``, so a negative ``delta`` or
``change`` is an improvement.

Pairing rule
------------
For each infusion (in time order):

1. a rating whose ``infusion_id`` names the infusion is paired with it (context
   ``pre_infusion`` -> ``pre``, ``post_infusion`` -> ``post``); if several are linked, the one
   nearest the infusion time wins (the latest pre, the earliest post);
2. otherwise, an unlinked rating (no ``infusion_id``) on the same UTC day is used: a pre at
   or before the infusion time and after the previous infusion, a post after the infusion
   time and before the next infusion, again the nearest one. An unlinked rating is used for
   at most one infusion.

Infusions with no rating on a side get NaN there (and NaN ``delta``).
"""

from __future__ import annotations

import pandas as pd

from progress.errors import ValidationError
from progress.instruments import get
from progress.model import Instrument

PREPOST_COLUMNS = [
    "infusion_id",
    "number",
    "administered_at",
    "phase",
    "pre",
    "post",
    "delta",
    "pre_id",
    "post_id",
    "paired_by",
]
PRE_TO_PRE_COLUMNS = [
    "infusion_id",
    "number",
    "administered_at",
    "phase",
    "pre",
    "next_pre",
    "change",
    "days_to_next",
]


def _momentary(instrument: str | Instrument, function: str) -> Instrument:
    inst = instrument if isinstance(instrument, Instrument) else get(instrument)
    if not inst.momentary:
        raise ValidationError(
            f"{function} needs a momentary ('right now', recall PT0S) instrument; "
            f"{inst.id!r} ({inst.short_name}) has recall period {inst.recall_period} "
            f"('{inst.recall_text}'), so a same-day before/after change cannot show in it. "
            "Use its weekly trend instead."
        )
    return inst


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _prepare_infusions(infusions: pd.DataFrame | None) -> pd.DataFrame:
    if infusions is None or len(infusions) == 0:
        return pd.DataFrame(columns=["id", "administered_at", "phase", "number", "ts"])
    inf = infusions.copy()
    inf["ts"] = _utc(inf["administered_at"])
    inf = inf.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)
    if "number" not in inf.columns:
        inf["number"] = range(1, len(inf) + 1)
    if "phase" not in inf.columns:
        inf["phase"] = None
    return inf


def _prepare_series(series: pd.DataFrame | None, instrument_id: str) -> pd.DataFrame:
    cols = ["id", "ts", "context", "link", "total"]
    if series is None or len(series) == 0:
        return pd.DataFrame(columns=cols)
    s = series
    if "instrument" in s.columns:
        s = s[s["instrument"] == instrument_id]
    s = s[s["context"].isin(("pre_infusion", "post_infusion"))]
    if s.empty:
        return pd.DataFrame(columns=cols)
    link = s["infusion_id"] if "infusion_id" in s.columns else pd.Series(None, index=s.index)
    out = pd.DataFrame(
        {
            "id": s["id"],
            "ts": _utc(s["administered_at"]),
            "context": s["context"],
            "link": pd.to_numeric(link, errors="coerce").astype("Int64"),
            "total": pd.to_numeric(s["total"], errors="coerce").astype(float),
        }
    )
    return out.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)


def _pick(rows: pd.DataFrame, *, latest: bool) -> pd.Series | None:
    if rows.empty:
        return None
    return rows.iloc[-1] if latest else rows.iloc[0]


def prepost_deltas(
    series: pd.DataFrame,
    infusions: pd.DataFrame,
    instrument_id: str | Instrument,
) -> pd.DataFrame:
    """One row per infusion: the momentary rating before and after it, and the change.

    Parameters
    ----------
    series
        Assessments as returned by ``store.load_series`` (``id``, ``instrument``,
        ``administered_at``, ``context``, ``infusion_id``, ``total``). Rows of other
        instruments and of other contexts than ``pre_infusion``/``post_infusion`` are ignored.
    infusions
        Infusions as returned by ``store.list_infusions`` (``id``, ``administered_at``,
        ``phase`` and optionally ``number``; numbered 1..n in time order when absent).
    instrument_id
        The instrument the ratings belong to; it must be momentary (see the module docstring).

    Returns
    -------
    DataFrame with columns ``infusion_id, number, administered_at, phase, pre, post, delta,
    pre_id, post_id, paired_by``, in infusion order. ``delta = post - pre`` (negative is
    better: higher is worse on every declared instrument). ``pre_id``/``post_id`` are the
    assessment ids used; ``paired_by`` is ``"infusion_id"``, ``"same_day"``, ``"mixed"`` (one
    side each way) or None when neither side was found.

    Raises
    ------
    ValidationError
        If the instrument is not momentary (PHQ-9, GAD-7, PCL-5, PEG).
    UnknownInstrument
        If the id is not registered.
    """
    inst = _momentary(instrument_id, "prepost_deltas")
    inf = _prepare_infusions(infusions)
    if inf.empty:
        return pd.DataFrame(columns=PREPOST_COLUMNS)
    s = _prepare_series(series, inst.id)
    pre_all = s[s["context"] == "pre_infusion"]
    post_all = s[s["context"] == "post_infusion"]
    day = s["ts"].dt.floor("D") if len(s) else s["ts"]
    unlinked = s["link"].isna()
    used: set[int] = set()
    times = list(inf["ts"])
    rows = []
    for k, infusion in inf.iterrows():
        inf_id, t = infusion["id"], infusion["ts"]
        t_prev = times[k - 1] if k > 0 else None
        t_next = times[k + 1] if k + 1 < len(times) else None
        same_day = day == t.floor("D")

        linked_pre = pre_all[pre_all["link"].eq(inf_id).fillna(False)] if len(pre_all) else pre_all
        pre = _pick(linked_pre, latest=True)
        pre_how = "infusion_id" if pre is not None else None
        if pre is None:
            mask = unlinked & same_day & (s["context"] == "pre_infusion") & (s["ts"] <= t)
            if t_prev is not None:
                mask &= s["ts"] > t_prev
            pre = _pick(s[mask & ~s.index.isin(list(used))], latest=True)
            pre_how = "same_day" if pre is not None else None

        linked_post = (
            post_all[post_all["link"].eq(inf_id).fillna(False)] if len(post_all) else post_all
        )
        post = _pick(linked_post, latest=False)
        post_how = "infusion_id" if post is not None else None
        if post is None:
            mask = unlinked & same_day & (s["context"] == "post_infusion") & (s["ts"] > t)
            if t_next is not None:
                mask &= s["ts"] < t_next
            post = _pick(s[mask & ~s.index.isin(list(used))], latest=False)
            post_how = "same_day" if post is not None else None

        for picked, how in ((pre, pre_how), (post, post_how)):
            if picked is not None and how == "same_day":
                used.add(picked.name)
        hows = {h for h in (pre_how, post_how) if h}
        pre_v = float(pre["total"]) if pre is not None else float("nan")
        post_v = float(post["total"]) if post is not None else float("nan")
        rows.append(
            {
                "infusion_id": inf_id,
                "number": int(infusion["number"]),
                "administered_at": infusion["administered_at"],
                "phase": infusion["phase"],
                "pre": pre_v,
                "post": post_v,
                "delta": post_v - pre_v,
                "pre_id": pre["id"] if pre is not None else None,
                "post_id": post["id"] if post is not None else None,
                "paired_by": hows.pop() if len(hows) == 1 else ("mixed" if hows else None),
            }
        )
    out = pd.DataFrame(rows, columns=PREPOST_COLUMNS)
    for col in ("pre_id", "post_id"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


def pre_to_pre_change(
    series: pd.DataFrame,
    infusions: pd.DataFrame,
    instrument_id: str | Instrument,
) -> pd.DataFrame:
    """Per infusion, the change from its pre-infusion rating to the next infusion's one.

    This is what is left of the change by the time the patient comes back: a sustained
    improvement lowers each pre-infusion rating, a short-lived one returns to where it was.
    Ratings are paired to infusions exactly as in :func:`prepost_deltas`.

    Returns
    -------
    DataFrame with columns ``infusion_id, number, administered_at, phase, pre, next_pre,
    change, days_to_next``, in infusion order. ``change = next_pre - pre`` (negative is
    better), over ``days_to_next`` days. The comparison is always with the *next* infusion:
    if its pre-infusion rating is missing, ``change`` is NaN rather than reaching further
    ahead over a longer, different interval. The last infusion has NaN ``next_pre``.

    Raises
    ------
    ValidationError
        If the instrument is not momentary (see the module docstring).
    """
    inst = _momentary(instrument_id, "pre_to_pre_change")
    paired = prepost_deltas(series, infusions, inst)
    if paired.empty:
        return pd.DataFrame(columns=PRE_TO_PRE_COLUMNS)
    ts = _utc(paired["administered_at"])
    out = paired[["infusion_id", "number", "administered_at", "phase", "pre"]].copy()
    out["next_pre"] = paired["pre"].shift(-1)
    out["change"] = out["next_pre"] - out["pre"]
    out["days_to_next"] = (ts.shift(-1) - ts).dt.total_seconds() / 86400.0
    return out[PRE_TO_PRE_COLUMNS].reset_index(drop=True)


__all__ = ["PREPOST_COLUMNS", "PRE_TO_PRE_COLUMNS", "pre_to_pre_change", "prepost_deltas"]
