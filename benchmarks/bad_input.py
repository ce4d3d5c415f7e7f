"""Malformed input at every entry point: scoring, CSV import, FHIR import, the command line.

Hypothesis generates inputs that are malformed by construction (each breaks at least one rule),
10,000 per entry point by default, and the harness counts:

- crashes: any exception that is not the project's ProgressError (for the command line: a
  traceback, or an exit status other than 2, or more than one line of error for a usage error);
- wrong accepts: a malformed input that was accepted;
- partial imports: a rejected import that still changed the database.

A positive control per entry point (a valid input must be accepted) shows the oracle is not
simply refusing everything. Prints figures; asserts nothing about time.

    .venv/bin/python benchmarks/bad_input.py [--examples 10000] [--only csv]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from progress import instruments, io_csv, io_fhir, scoring, store  # noqa: E402
from progress.__main__ import main as cli_main  # noqa: E402
from progress.errors import ProgressError  # noqa: E402
from progress.timeutil import parse_instant  # noqa: E402

T0 = "2026-02-01T09:00:00Z"
HEADER = ["patient_id", "instrument", "administered_at", "context", "answers", "total"]
VALID_ROW = ["p1", "phq9", "2026-02-01T09:00:00Z", "weekly", "1 1 1 1 1 1 1 1 0", "8"]
# Tests set derandomize=True so a sample is the same on every run.
SETTINGS: dict = {"database": None, "deadline": None, "suppress_health_check": list(HealthCheck)}
TABLES = ("patients", "assessments", "answers", "alerts", "audit_events", "infusions")


class Tally:
    def __init__(self, name: str) -> None:
        self.name, self.n, self.crashes, self.wrong, self.partial = name, 0, [], [], 0
        self.rejections: Counter[str] = Counter()
        self.positive_ok = False  # the positive control: a valid input was accepted

    def line(self, seconds: float) -> str:
        top = ", ".join(f"{k} {v}" for k, v in self.rejections.most_common(3))
        return (f"{self.name}: {self.n} malformed inputs, {len(self.crashes)} crashes, "
                f"{len(self.wrong)} wrong accepts, {self.partial} partial imports, valid input "
                f"{'accepted' if self.positive_ok else 'NOT ACCEPTED'} ({seconds:.1f} s; "
                f"most common rejections: {top})")


def _kind(exc: BaseException) -> str:
    return type(exc).__name__


def _accepts(valid) -> bool:
    try:
        return bool(valid())
    except Exception:  # noqa: BLE001
        return False


def counts(db) -> tuple[int, ...]:
    return tuple(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES)


def _is_instant(text: str) -> bool:
    try:
        parse_instant(text)
    except ProgressError:
        return False
    return True


# -- scoring -----------------------------------------------------------------------------

def bad_values(hi: int):
    """A value no item with range 0..hi accepts."""
    return st.one_of(
        st.integers().filter(lambda v: not 0 <= v <= hi), st.floats(allow_nan=True), st.booleans(),
        st.text(max_size=4), st.none(), st.lists(st.integers(0, 3), max_size=2), st.just(b"1"),
    )


@st.composite
def bad_scoring(draw):
    """(instrument, answers) breaking one rule: unknown instrument, wrong count, a bad value."""
    how = draw(st.sampled_from(["instrument", "count", "value", "mapping"]))
    if how == "instrument":
        return draw(st.text(max_size=8).filter(lambda t: t not in instruments.REGISTRY)), [1] * 9
    inst = draw(st.sampled_from(["phq9", "gad7", "pcl5", "peg", "pain_nrs"]))
    items = instruments.get(inst).scored_items if hasattr(instruments.get(inst), "scored_items") else None
    n = len(items) if items is not None else {"phq9": 9, "gad7": 7, "pcl5": 20, "peg": 3, "pain_nrs": 1}[inst]
    hi = 3 if inst in ("phq9", "gad7") else 4 if inst == "pcl5" else 10
    good = [draw(st.integers(0, hi)) for _ in range(n)]
    if how == "count":
        k = draw(st.integers(0, n + 5).filter(lambda k: k not in (n, n + 1 if inst == "phq9" else n)))
        return inst, (good * 3)[:k]
    if how == "mapping":
        return inst, {draw(st.text(max_size=6).filter(lambda t: not t.startswith(inst))): 1, **{}}
    bad = draw(st.one_of(bad_values(hi), st.integers(hi + 1, 10**6), st.integers(max_value=-1)))
    at = draw(st.integers(0, n - 1))
    good[at] = bad
    return inst, good


def run_scoring(examples: int) -> Tally:
    tally = Tally("scoring.score")

    @settings(max_examples=examples, **SETTINGS)
    @given(bad_scoring())
    def check(case):
        inst, answers = case
        tally.n += 1
        try:
            result = scoring.score(inst, answers)
        except ProgressError as exc:
            tally.rejections[_kind(exc)] += 1
        except Exception as exc:  # noqa: BLE001
            tally.crashes.append((case, repr(exc)))
        else:
            tally.wrong.append((case, result.total))

    check()
    tally.positive_ok = _accepts(lambda: scoring.score("phq9", [1] * 9).total == 9)
    return tally


# -- CSV import --------------------------------------------------------------------------


def _cell(value: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue()


@st.composite
def bad_csv(draw):
    """A CSV with valid rows around one malformed row (or malformed as a whole)."""
    how = draw(st.sampled_from(["patient", "instrument", "time", "context", "answers", "total",
                                "columns", "garbage", "header"]))
    row = list(VALID_ROW)
    if how == "patient":
        row[0] = draw(st.sampled_from(["", " ", "\t"]))
    elif how == "instrument":
        row[1] = draw(st.text(max_size=8).filter(lambda t: t.strip() not in instruments.REGISTRY))
    elif how == "time":
        row[2] = draw(st.text(max_size=25).filter(lambda t: not _is_instant(t)))
    elif how == "context":
        row[3] = draw(st.text(max_size=12).filter(lambda t: t.strip() not in store.CONTEXTS))
    elif how == "answers":
        vals = ["1"] * 9
        vals[draw(st.integers(0, 8))] = draw(st.one_of(
            st.integers(4, 10**6).map(str), st.integers(max_value=-1).map(str),
            st.text(alphabet="abcxyz.,;-+", min_size=1, max_size=4)))
        if draw(st.booleans()):
            vals = vals[: draw(st.integers(1, 7))]  # too few answers
        row[4], row[5] = " ".join(vals), ""
    elif how == "total":
        row[5] = draw(st.one_of(st.integers().filter(lambda t: t != 8).map(str),
                                st.text(alphabet="abc.-", min_size=1, max_size=5)))
    elif how == "columns":
        row = row[: draw(st.integers(1, 5))] if draw(st.booleans()) else row + ["extra"]
    if how == "garbage":
        return draw(st.binary(max_size=300)).replace(b"patient_id", b"")
    header = list(HEADER)
    if how == "header":
        header[draw(st.integers(0, 5))] = draw(st.text(max_size=10).filter(lambda t: t not in HEADER))
    valid2 = ["p2", "gad7", "2026-02-02T09:00:00+01:00", "intake", "1 1 1 1 1 1 1", ""]
    lines = [",".join(header), ",".join(map(_cell, VALID_ROW)), ",".join(map(_cell, row)), ",".join(map(_cell, valid2))]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogatepass")


def run_csv(examples: int) -> Tally:
    tally = Tally("CSV import")
    db = store.open_db(memory=True)
    store.add_patient(db, "p1", created_at=T0)
    actor = store.Actor.system("bench")

    @settings(max_examples=examples, **SETTINGS)
    @given(bad_csv())
    def check(data):
        tally.n += 1
        before = counts(db)
        try:
            io_csv.import_csv(db, data, actor=actor, at=T0)
        except ProgressError as exc:
            tally.rejections[_kind(exc)] += 1
        except Exception as exc:  # noqa: BLE001
            tally.crashes.append((data[:120], repr(exc)))
        else:
            tally.wrong.append(data[:200])
        if counts(db) != before:
            tally.partial += 1

    check()
    ok = "\r\n".join([",".join(HEADER), ",".join(VALID_ROW)]).encode() + b"\r\n"
    tally.positive_ok = _accepts(lambda: io_csv.import_csv(store.open_db(memory=True), ok) is not None)
    return tally


# -- FHIR import -------------------------------------------------------------------------


def _valid_bundle() -> dict:
    db = store.open_db(memory=True)
    store.add_patient(db, "p1", created_at=T0)
    store.save_assessment(db, "p1", scoring.score("phq9", [1] * 9), administered_at=T0, context="weekly")
    return io_fhir.export_bundle(db, ["p1"], timestamp=T0)


BUNDLE = None
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)


@st.composite
def bad_fhir(draw):
    bundle = copy.deepcopy(BUNDLE)
    qrs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    qr = qrs[0]
    how = draw(st.sampled_from(["random", "type", "drop-item9", "code", "authored", "item-json", "empty", "not-json"]))
    if how == "random":
        return json.dumps(draw(JSON)).encode()
    if how == "not-json":
        return draw(st.binary(max_size=200))
    if how == "empty":
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "QuestionnaireResponse"]
    elif how == "type":
        qr["resourceType"] = draw(st.text(max_size=12).filter(lambda t: t != "QuestionnaireResponse"))
    elif how == "drop-item9":
        qr["item"] = [i for i in qr["item"] if not i["linkId"].endswith("44260-8")]
    elif how == "code":
        at = draw(st.integers(0, len(qr["item"]) - 1))
        qr["item"][at]["answer"] = [{"valueCoding": {"system": "http://loinc.org",
                                                     "code": draw(st.text(max_size=8).filter(lambda c: not c.startswith("LA")))}}]
    elif how == "authored":
        qr["authored"] = draw(st.one_of(st.text(max_size=20).filter(lambda t: not _is_instant(t)), st.integers(), st.none()))
    elif how == "item-json":
        at = draw(st.integers(0, len(qr["item"]) - 1))
        value = draw(JSON)
        if value == BUNDLE_ITEM_ANSWERS[at] or (qr["item"][at]["linkId"].endswith(OPTIONAL_LINKS) and value in (None, [])):
            value = "not an answer list"  # leaving an optional item unanswered is not malformed
        qr["item"][at]["answer"] = value
    return json.dumps(bundle).encode()


BUNDLE_ITEM_ANSWERS: list = []
# Items a response may leave unanswered: the PHQ-9 total (44261-6) and the unscored
# difficulty question (69722-7), both optional in the declaration.
OPTIONAL_LINKS = ("44261-6", "69722-7")


def run_fhir(examples: int) -> Tally:
    global BUNDLE, BUNDLE_ITEM_ANSWERS
    BUNDLE = _valid_bundle()
    qr = next(e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    BUNDLE_ITEM_ANSWERS = [i.get("answer") for i in qr["item"]]
    tally = Tally("FHIR import")
    db = store.open_db(memory=True)
    store.add_patient(db, "p1", created_at=T0)

    @settings(max_examples=examples, **SETTINGS)
    @given(bad_fhir())
    def check(data):
        tally.n += 1
        before = counts(db)
        try:
            io_fhir.import_fhir(db, data, actor=store.Actor.system("bench"), at=T0)
        except ProgressError as exc:
            tally.rejections[_kind(exc)] += 1
        except Exception as exc:  # noqa: BLE001
            tally.crashes.append((data[:160], repr(exc)))
        else:
            tally.wrong.append(data)
        if counts(db) != before:
            tally.partial += 1

    check()
    tally.positive_ok = _accepts(lambda: io_fhir.import_fhir(store.open_db(memory=True), json.dumps(BUNDLE).encode()) is not None)
    return tally


# -- command line ------------------------------------------------------------------------

TOKENS = st.one_of(st.text(max_size=6), st.sampled_from(["--json", "--db", "-", "--", "-1", "9", "x", "--help-me"]))


@st.composite
def bad_argv(draw, folder: Path):
    how = draw(st.sampled_from(["score-value", "score-count", "score-instrument", "tokens", "import"]))
    if how == "import":
        path = folder / f"in{draw(st.integers(0, 50))}.csv"
        path.write_bytes(draw(bad_csv()))
        return ["import", str(path), "--db", str(folder / "cli.db")]
    if how == "tokens":
        cmd = draw(st.sampled_from(["score", "import", "export", "users", "audit", "settings", "backup", "nope"]))
        return [cmd, *draw(st.lists(TOKENS, max_size=4))] if cmd != "score" else [cmd, *draw(st.lists(TOKENS, max_size=1))]
    inst, answers = draw(bad_scoring()) if how != "score-instrument" else (draw(st.text(min_size=1, max_size=6).filter(lambda t: t not in instruments.REGISTRY and not t.startswith("-"))), [1] * 9)
    if isinstance(answers, dict) or any(isinstance(a, (list, bytes)) for a in answers):
        answers = ["x"]
    words = [str(a) if not isinstance(a, float) else repr(a) for a in answers]
    if how == "score-count" and words:
        words = words[:-1]
    if not words:
        words = ["x"]
    words = [w if w.strip() else "x" for w in words]
    # As text an answer can turn valid again (the text "2", or a count that drops back to the
    # right length); the scoring harness covers the scorer itself, so here make sure it refuses.
    try:
        scoring.score(inst, [int(w) if re.fullmatch(r"-?[0-9]+", w) else w for w in words])
    except ProgressError:
        return ["score", inst, *words]
    return ["score", inst, *words[:-1], "x"]


def run_cli(examples: int) -> Tally:
    tally = Tally("command line (python -m progress)")
    folder = Path(tempfile.mkdtemp(prefix="badcli-"))
    db = store.open_db(folder / "cli.db")
    store.add_patient(db, "p1", created_at=T0)

    @settings(max_examples=examples, **SETTINGS)
    @given(bad_argv(folder))
    def check(argv):
        tally.n += 1
        before = counts(db)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli_main(argv)
        except SystemExit as exc:
            code = exc.code
        except Exception:  # noqa: BLE001
            tally.crashes.append((argv, traceback.format_exc(limit=2)))
            return
        message = err.getvalue()
        if "Traceback" in message:
            tally.crashes.append((argv, message[:300]))
        elif code == 0:
            if argv[0] == "score":
                tally.wrong.append((argv, out.getvalue()[:100]))
            else:  # e.g. "audit verify" on an intact database is a fair success, not malformed
                tally.rejections["accepted (not malformed)"] += 1
        elif code != 2 and not (argv[0] == "audit" and code == 1):
            tally.crashes.append((argv, f"exit {code}: {message[:200]}"))
        else:
            tally.rejections[f"exit {code}"] += 1
        if counts(db) != before and argv[0] == "import":
            tally.partial += 1

    # Commands without --db use $PROGRESS_DB and write files relative to the working folder:
    # keep both inside the scratch folder, never the checkout's data/progress.db.
    saved_env, saved_cwd = os.environ.get("PROGRESS_DB"), os.getcwd()
    os.environ["PROGRESS_DB"] = str(folder / "cli.db")
    os.chdir(folder)
    try:
        check()
        with contextlib.redirect_stdout(io.StringIO()):
            tally.positive_ok = _accepts(lambda: cli_main(["score", "phq9", *["1"] * 9]) == 0)
    finally:
        os.chdir(saved_cwd)
        if saved_env is None:
            os.environ.pop("PROGRESS_DB", None)
        else:
            os.environ["PROGRESS_DB"] = saved_env
    return tally


RUNS = {"scoring": run_scoring, "csv": run_csv, "fhir": run_fhir, "cli": run_cli}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--only", choices=tuple(RUNS))
    args = ap.parse_args()
    for name, run in RUNS.items():
        if args.only and name != args.only:
            continue
        started = time.perf_counter()
        tally = run(args.examples)
        print(tally.line(time.perf_counter() - started))
        for case, what in (tally.crashes + [(w, "accepted") for w in tally.wrong])[:3]:
            print(f"  e.g. {case!r:.200} -> {what!s:.300}")


if __name__ == "__main__":
    main()
