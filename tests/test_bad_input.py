# ruff: noqa: E501  (a table of cases: one case per line reads better than wrapped ones)
"""The bad-input suite of the readers: one file per case and the outcome it must get.

Each case writes a small file (or damages a real one), reads it, and asserts one outcome:

- ``Err``: a one-line :class:`~soleus_analysis.InputError` (or the subclass named) that names the
  file and says what was wrong (``fragment``);
- ``Read``: the file reads into ``table`` with ``rows`` rows, and validation keeps every row:
  ``valid + rejected == rows`` with the numbers given, and the failing check (``check``) or a
  note (``note``) when the case is about one.

The cases used to be spread over the reader tests (strong, hevy, strava, fit, gpx, tcx, fitbit,
pmsys, generic, detect, textfile); they are gathered and extended here, reader by reader.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Err:
    error: type
    fragment: str


@dataclass(frozen=True)
class Read:
    table: str
    rows: int
    valid: int
    rejected: int
    check: str | None = None
    note: str | None = None
    flag: str | None = None


@dataclass(frozen=True)
class Invalid:
    """The file reads, but validation refuses the table as a whole (a missing required column)."""

    fragment: str


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    content: object  # str, bytes, or callable(folder: Path) -> bytes
    expect: Err | Read | Invalid
    options: dict | None = None


# ---- building blocks ---------------------------------------------------------------------------

STRONG = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n"


def strong_row(
    date="2024-01-02 10:00:00",
    exercise="Seated Calf Raise",
    order="1",
    weight="40",
    reps="12",
    distance="0",
    seconds="0",
    notes="",
    rpe="",
):
    return f"{date},A,30m,{exercise},{order},{weight},{reps},{distance},{seconds},{notes},,{rpe}\n"


def strong(*rows):
    return STRONG + "".join(rows)


KG = {"weight_unit": "kg"}
HEVY = '"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes","set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"\n'


def hevy_row(
    start="30 Nov 2024, 18:51",
    exercise="Seated Calf Raise",
    kind="normal",
    weight="50",
    reps="12",
    rpe="",
    end="30 Nov 2024, 19:40",
):
    return f'"Legs","{start}","{end}","","{exercise}","","","0","{kind}","{weight}","{reps}","","","{rpe}"\n'


def hevy(*rows):
    return HEVY + "".join(rows)


STRAVA_SRC = (DATA / "strava" / "activities.csv").read_text(encoding="utf-8")
STRAVA_HEADER, STRAVA_RUN = STRAVA_SRC.splitlines()[:2]


def strava(*edits, rows=1):
    """The test export's header and first row(s), each edit ``(old, new)`` applied to the rows."""
    lines = STRAVA_SRC.splitlines()[1 : 1 + rows]
    body = "\n".join(lines)
    for old, new in edits:
        body = body.replace(old, new, 1)
    return STRAVA_HEADER + "\n" + body + "\n"


GARMIN = (DATA / "locales" / "garmin" / "Activities_en.csv").read_text(encoding="utf-8")
GARMIN_HEADER = GARMIN.splitlines()[0]
FITBIT_ITEM = (
    '{"logId": 1, "activityName": "Run", "startTime": "2019-11-05 22:40:41", "duration": 1800000,'
    ' "activeDuration": 1800000, "averageHeartRate": 150, "distance": 5.0,'
    ' "distanceUnit": "Kilometer", "steps": 5000}'
)
SRPE = "end_date_time,activity_names,perceived_exertion,duration_min\n"
WELLNESS = (
    "effective_time_frame,fatigue,mood,readiness,sleep_duration_h,sleep_quality,soreness,"
    "soreness_area,stress\n"
)
FIT = (DATA / "fit" / "activity-small-fenix2-run.fit").read_bytes()
GPX = (DATA / "gpx" / "3472f2dc-150a-4dfd-8a76-7bc8f40e766e.gpx").read_bytes()
TCX = (DATA / "tcx" / "sample.tcx").read_bytes()


def strava_folder_with(filename: str, make=None):
    """An export folder whose one run names ``filename``; ``make(folder)`` adds files."""

    def build(folder: Path) -> bytes:
        (folder / "activities").mkdir(exist_ok=True)
        if make is not None:
            make(folder)
        return strava(("activities/4400000001.gpx", filename)).encode()

    return build


def outside_link(folder: Path) -> None:
    secret = folder.parent / "outside.gpx"
    secret.write_bytes(GPX)
    os.symlink(secret, folder / "activities" / "link.gpx")


def damaged_gpx(folder: Path) -> None:
    (folder / "activities" / "bad.gpx").write_bytes(GPX[:200])


def inside_gpx(folder: Path) -> None:
    (folder / "activities" / "4400000001.gpx").write_bytes(GPX)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<gpx version="1.1"><trk><name>&lol9;</name></trk></gpx>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&secret;</name><trkseg>
<trkpt lat="1" lon="1"><time>2024-01-02T10:00:00Z</time></trkpt>
<trkpt lat="1.001" lon="1"><time>2024-01-02T10:01:00Z</time></trkpt></trkseg></trk></gpx>"""

# ---- the cases -----------------------------------------------------------------------------------

CASES = [
    # -- any file ------------------------------------------------------------------------------
    Case("empty", "x.csv", b"", Err(sol.InputError, "the file is empty")),
    Case("spaces-only", "x.csv", b"  \n \r\n", Err(sol.InputError, "the file is empty")),
    Case("bom-only", "x.csv", b"\xef\xbb\xbf", Err(sol.InputError, "")),
    Case("binary", "x.csv", bytes(range(256)) * 4, Err(sol.UnknownSourceError, "binary data")),
    Case("nul-in-text", "x.csv", strong(strong_row()).encode().replace(b"Seated", b"Sea\x00ted"), Err(sol.InputError, "")),
    Case("one-word", "x.csv", b"hello\n", Err(sol.UnknownSourceError, "cannot tell which app")),
    Case("json-as-csv-wide", "x.txt", b"[" + b",".join([b'{"a": 1}'] * 1500) + b"]", Err(sol.InputError, "")),
    Case("xml-other-root", "x.xml", b"<?xml version='1.0'?><kml></kml>", Err(sol.UnknownSourceError, "XML root element is 'kml'")),
    # -- Strong ----------------------------------------------------------------------------------
    Case("strong-header-only", "s.csv", STRONG, Read("strength_sets", 0, 0, 0), KG),
    Case("strong-header-and-blank-lines", "s.csv", STRONG + "\n\n,,,\n", Read("strength_sets", 0, 0, 0, note="blank line"), KG),
    Case("strong-no-weight-unit", "s.csv", strong(strong_row()), Err(sol.MissingUnitError, "weight_unit='kg'")),
    Case("strong-distance-without-unit", "s.csv", strong(strong_row(distance="0.04", reps="0")), Err(sol.MissingUnitError, "distance_unit"), KG),
    Case("strong-unknown-marker", "s.csv", strong(strong_row(order="X")), Read("strength_sets", 1, 0, 1, check="isin"), KG),
    Case("strong-date-text", "s.csv", strong(strong_row(date="yesterday")), Read("strength_sets", 1, 0, 1, check="coerce_dtype"), KG),
    Case("strong-date-1985", "s.csv", strong(strong_row(date="1985-06-01 10:00:00")), Read("strength_sets", 1, 0, 1, check="not_before_1990"), KG),
    Case("strong-date-future", "s.csv", strong(strong_row(date="2099-06-01 10:00:00")), Read("strength_sets", 1, 0, 1, check="not_in_future"), KG),
    Case("strong-date-dst-gap", "s.csv", strong(strong_row(date="2024-03-31 02:30:00")), Read("strength_sets", 1, 0, 1, note="daylight-saving"), {**KG, "tz": "Europe/Oslo"}),
    Case("strong-negative-reps", "s.csv", strong(strong_row(reps="-3")), Read("strength_sets", 1, 0, 1, check="greater_than_or_equal_to"), KG),
    Case("strong-reps-text", "s.csv", strong(strong_row(reps="ten")), Read("strength_sets", 1, 0, 1, check="coerce_dtype"), KG),
    Case("strong-fractional-reps", "s.csv", strong(strong_row(reps="10.5")), Read("strength_sets", 1, 0, 1, check="whole_reps"), KG),
    Case("strong-900kg", "s.csv", strong(strong_row(weight="900")), Read("strength_sets", 1, 0, 1, check="less_than_or_equal_to"), KG),
    Case("strong-thousands-dot", "s.csv", strong(strong_row(weight='"1.005,0"')), Read("strength_sets", 1, 0, 1, check="less_than_or_equal_to"), KG),
    Case("strong-decimal-comma", "s.csv", strong(strong_row(weight='"42,5"')), Read("strength_sets", 1, 1, 0, note="decimal comma"), KG),
    Case("strong-rpe-11", "s.csv", strong(strong_row(rpe="11")), Read("strength_sets", 1, 0, 1, check="less_than_or_equal_to"), KG),
    Case("strong-exact-copy", "s.csv", strong(strong_row(), strong_row()), Read("strength_sets", 2, 1, 1, check="duplicate_set"), KG),
    Case("strong-session-twice-40s-apart", "s.csv", strong(strong_row(), strong_row(order="2", reps="10"), strong_row(date="2024-01-02 10:00:40"), strong_row(date="2024-01-02 10:00:40", order="2", reps="10")), Read("strength_sets", 4, 2, 2, check="near_duplicate_session"), KG),
    Case("strong-truncated-mid-row", "s.csv", strong(strong_row(), "2024-01-02 10:00:00,A,30m,Seated Calf Raise,2,4"), Read("strength_sets", 2, 1, 1), KG),
    Case("strong-ragged-extra-fields", "s.csv", strong(strong_row().rstrip("\n") + ",x,y\n"), Read("strength_sets", 1, 1, 0, note="more fields than the header"), KG),
    Case("strong-renamed-column-read-by-layout", "s.csv", STRONG.replace(",Reps", ",Repz") + strong_row(), Read("strength_sets", 1, 1, 0, note="column order"), {**KG, "source": "strong"}),
    Case("strong-missing-reps-column", "s.csv", STRONG.replace(",Reps", "") + strong_row().replace(",40,12,", ",40,", 1), Err(sol.InputError, "not a Strong export"), {**KG, "source": "strong"}),
    Case("strong-orphan-rest-timer", "s.csv", strong(strong_row(order="Rest Timer", weight="0", reps="0", seconds="90"), strong_row()), Read("strength_sets", 1, 1, 0, note="no set above"), KG),
    Case("strong-zero-reps-with-load", "s.csv", strong(strong_row(reps="0")), Read("strength_sets", 1, 1, 0, flag="zero_reps_with_load"), KG),
    Case("strong-nothing-measured", "s.csv", strong(strong_row(reps="", weight="0")), Read("strength_sets", 1, 0, 1, check="set_has_a_measure"), KG),
    Case("strong-cell-over-128k", "s.csv", strong(strong_row(notes="x" * 200_000)), Read("strength_sets", 1, 1, 0), KG),
    Case("strong-quoted-newline-in-note", "s.csv", strong(strong_row(notes='"two\nlines"'), strong_row(order="2")), Read("strength_sets", 2, 2, 0), KG),
    Case("strong-utf16", "s.csv", strong(strong_row(exercise="Wadenheben im Sitzen")).encode("utf-16"), Read("strength_sets", 1, 1, 0, note="utf-16"), KG),
    Case("strong-latin1", "s.csv", strong(strong_row(exercise="Wadenheben gebeugt Übung")).encode("latin-1"), Read("strength_sets", 1, 1, 0, note="not valid UTF-8"), KG),
    Case("strong-crlf-no-final-newline", "s.csv", strong(strong_row()).replace("\n", "\r\n").rstrip("\r\n"), Read("strength_sets", 1, 1, 0), KG),
    Case("strong-mixed-line-endings", "s.csv", STRONG + strong_row().replace("\n", "\r") + strong_row(order="2").replace("\n", "\r\n") + strong_row(order="3"), Read("strength_sets", 3, 3, 0), KG),
    Case("strong-formula-cell-kept-as-text", "s.csv", strong(strong_row(exercise="=HYPERLINK(x)")), Read("strength_sets", 1, 1, 0), KG),
    Case("strong-unreadable-duration", "s.csv", STRONG + "2024-01-02 10:00:00,A,forever,Seated Calf Raise,1,40,12,0,0,,,\n", Read("strength_sets", 1, 1, 0, note="could not be read"), KG),
    Case("strong-unknown-language-bad-dates", "s.csv", (DATA / "locales" / "strong" / "strong_it.csv").read_text(encoding="utf-8").replace("2024-03-04 07:02:11", "ieri"), Err(sol.UnknownSourceError, "source='strong', columns={")),
    Case("strong-unknown-language", "s.csv", (DATA / "locales" / "strong" / "strong_it.csv").read_bytes(), Read("strength_sets", 7, 7, 0, note="column order"), KG),
    Case("strong-semicolon-quoted-delimiter", "s.csv", '"Workout #";"Date";"Workout Name";"Duration (sec)";"Exercise Name";"Set Order";"Weight (kg)";"Reps";"RPE";"Distance (meters)";"Seconds";"Notes";"Workout Notes"\n"1";"2024-01-02 10:00:00";"A";"1800";"Seated Calf Raise";"1";"40";"12";"";"0";"0";"slow; then fast";""\n', Read("strength_sets", 1, 1, 0)),
    # -- Hevy --------------------------------------------------------------------------------------
    Case("hevy-header-only", "h.csv", HEVY, Read("strength_sets", 0, 0, 0)),
    Case("hevy-bad-set-type", "h.csv", hevy(hevy_row(kind="superset")), Read("strength_sets", 1, 0, 1, check="isin")),
    Case("hevy-date-other-form", "h.csv", hevy(hevy_row(), hevy_row(start="2024-11-30 18:51", kind="warmup")), Read("strength_sets", 2, 1, 1, note="do not match the date format")),
    Case("hevy-portuguese-date", "h.csv", hevy(hevy_row(start="30 Abr 2026, 19:37", end="30 Abr 2026, 21:27")), Read("strength_sets", 1, 1, 0)),
    Case("hevy-end-before-start", "h.csv", hevy(hevy_row(start="30 Abr 2026, 19:37")), Read("strength_sets", 1, 0, 1, check="greater_than")),
    Case("hevy-negative-weight", "h.csv", hevy(hevy_row(weight="-20")), Read("strength_sets", 1, 0, 1, check="greater_than_or_equal_to")),
    Case("hevy-rpe-12", "h.csv", hevy(hevy_row(rpe="12")), Read("strength_sets", 1, 0, 1, check="less_than_or_equal_to")),
    Case("hevy-copy", "h.csv", hevy(hevy_row(), hevy_row()), Read("strength_sets", 2, 1, 1, check="duplicate_set")),
    Case("hevy-truncated", "h.csv", hevy(hevy_row(), hevy_row(kind="warmup"))[:-40], Read("strength_sets", 2, 1, 1)),
    Case("hevy-no-reps-column", "h.csv", HEVY.replace('"reps"', '"repz"') + hevy_row(), Err(sol.InputError, "not a Hevy export"), {"source": "hevy"}),
    Case("hevy-decimal-comma", "h.csv", hevy(hevy_row(weight="50,5")), Read("strength_sets", 1, 1, 0)),
    Case("hevy-weight-text", "h.csv", hevy(hevy_row(weight="heavy")), Read("strength_sets", 1, 0, 1, check="coerce_dtype")),
    Case("hevy-zero-reps-with-load", "h.csv", hevy(hevy_row(reps="0")), Read("strength_sets", 1, 1, 0, flag="zero_reps_with_load")),
    # -- Strava ------------------------------------------------------------------------------------
    Case("strava-header-only", "activities.csv", STRAVA_HEADER + "\n", Read("runs", 0, 0, 0)),
    Case("strava-renamed-type-read-by-layout", "activities.csv", strava().replace("Activity Type", "Kind", 1), Read("runs", 1, 1, 0), {"source": "strava"}),
    Case("strava-no-activity-type", "activities.csv", strava().replace("Activity Type,", "", 1).replace(",Run,", ",", 1), Err(sol.InputError, "not a Strava activities.csv"), {"source": "strava"}),
    Case("strava-bad-date", "activities.csv", strava(('"Oct 7, 2020, 2:43:11 PM"', "tomorrow")), Read("runs", 1, 0, 1, check="coerce_dtype")),
    Case("strava-hr-300", "activities.csv", strava((",165.2,", ",300.0,")), Read("runs", 1, 0, 1, check="less_than_or_equal_to")),
    Case("strava-distance-zero", "activities.csv", strava((",2034.5,", ",0.0,")), Read("runs", 1, 0, 1, check="greater_than")),
    Case("strava-run-twice", "activities.csv", strava() + STRAVA_RUN + "\n", Read("runs", 2, 1, 1)),
    Case("strava-filename-climbs-out", "activities.csv", strava_folder_with("../../outside.gpx"), Read("runs", 1, 1, 0, note="leads outside the export's folder")),
    Case("strava-filename-absolute", "activities.csv", strava_folder_with("/etc/passwd"), Read("runs", 1, 1, 0, note="leads outside the export's folder")),
    Case("strava-filename-windows-drive", "activities.csv", strava_folder_with("C:\\\\Windows\\\\x.gpx"), Read("runs", 1, 1, 0, note="leads outside the export's folder")),
    Case("strava-filename-link-outside", "activities.csv", strava_folder_with("activities/link.gpx", outside_link), Read("runs", 1, 1, 0, note="leads outside the export's folder")),
    Case("strava-filename-missing-file", "activities.csv", strava_folder_with("activities/none.gpx"), Read("runs", 1, 1, 0, note="not found")),
    Case("strava-filename-damaged-file", "activities.csv", strava_folder_with("activities/bad.gpx", damaged_gpx), Read("runs", 1, 1, 0, note="could not be read")),
    Case("strava-filename-inside", "activities.csv", strava_folder_with("activities/4400000001.gpx", inside_gpx), Read("runs", 1, 1, 0, note="stream metrics from 1")),
    Case("strava-html-in-header", "activities.csv", strava().replace(",Type,", ',"<span class=""x"">Type</span>",', 1), Read("runs", 1, 1, 0, note="HTML markup")),
    Case("strava-unknown-type", "activities.csv", strava((",Run,", ",Parkour,")), Read("sessions", 1, 1, 0, note="'Parkour' (1)")),
    Case("strava-one-distance-no-unit", "activities.csv", "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Commute,Activity Gear,Filename\n1,\"Oct 7, 2020, 2:43:11 PM\",Easy,Run,,750,2.03,false,,\n", Err(sol.MissingUnitError, "distance_unit")),
    Case("strava-localised-dates-commas", "activities.csv", (DATA / "locales" / "strava" / "activities_es.csv").read_bytes(), Read("runs", 2, 2, 0)),
    Case("strava-truncated", "activities.csv", strava()[: len(STRAVA_HEADER) + 60], Read("runs", 1, 1, 0, note="fewer fields than the header")),
    # -- Garmin Connect ------------------------------------------------------------------------------
    Case("garmin-no-unit", "Activities.csv", GARMIN, Err(sol.MissingUnitError, "distance_unit")),
    Case("garmin-reads", "Activities.csv", GARMIN, Read("runs", 3, 3, 0, note="timer time"), {"distance_unit": "km"}),
    Case("garmin-bad-date", "Activities.csv", GARMIN.replace("2022-04-06 07:40:14", "last week"), Read("runs", 3, 2, 1, check="coerce_dtype"), {"distance_unit": "km"}),
    Case("garmin-unknown-type", "Activities.csv", GARMIN.replace("Road Cycling", "Underwater Hockey"), Read("sessions", 4, 4, 0, note="'Underwater Hockey' (1)"), {"distance_unit": "km"}),
    Case("garmin-no-time-column", "Activities.csv", GARMIN.replace(",Time,", ",Clock,", 1), Err(sol.InputError, "not a Garmin Connect activity export"), {"source": "garmin_csv", "distance_unit": "km"}),
    Case("garmin-truncated", "Activities.csv", GARMIN[:-80], Read("sessions", 4, 4, 0, note="fewer fields than the header"), {"distance_unit": "km"}),
    Case("garmin-hr-dashes", "Activities.csv", GARMIN.replace(",153,181,", ",--,--,", 1), Read("runs", 3, 3, 0), {"distance_unit": "km"}),
    # -- FIT ---------------------------------------------------------------------------------------------
    Case("fit-truncated-half", "a.fit", FIT[: len(FIT) // 2], Err(sol.InputError, "truncated")),
    Case("fit-header-only", "a.fit", FIT[:14], Err(sol.InputError, "")),
    Case("fit-bad-crc", "a.fit", FIT[:-2] + bytes([FIT[-2] ^ 0xFF, FIT[-1]]), Err(sol.InputError, "checksum")),
    Case("fit-flipped-byte", "a.fit", FIT[:200] + bytes([FIT[200] ^ 0x55]) + FIT[201:], Err(sol.InputError, "")),
    Case("fit-signature-only", "a.fit", b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", Err(sol.InputError, "")),
    Case("fit-gzip-damaged", "a.fit.gz", gzip.compress(FIT)[:300], Err(sol.InputError, "gzip")),
    Case("fit-named-gpx", "a.gpx", FIT, Read("runs", 1, 1, 0)),
    # -- GPX / TCX ----------------------------------------------------------------------------------------
    Case("gpx-truncated", "a.gpx", GPX[: len(GPX) // 3], Err(sol.InputError, "cannot be parsed")),
    Case("gpx-no-track", "a.gpx", b'<?xml version="1.0"?><gpx version="1.1" creator="x"></gpx>', Err(sol.InputError, "no track")),
    Case("gpx-garbage-time", "a.gpx", b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><time>soon</time></trkpt></trkseg></trk></gpx>', Read("runs", 1, 0, 1, check="not_nullable")),
    Case("gpx-billion-laughs", "a.gpx", BILLION_LAUGHS, Err(sol.InputError, "")),
    Case("gpx-external-entity", "a.gpx", XXE, Err(sol.InputError, "")),
    Case("gpx-gzip-damaged", "a.gpx.gz", gzip.compress(GPX)[:100], Err(sol.InputError, "gzip")),
    Case("tcx-truncated", "a.tcx", TCX[: len(TCX) // 2], Err(sol.InputError, "cannot be parsed")),
    Case("tcx-no-activity", "a.tcx", b'<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities/></TrainingCenterDatabase>', Err(sol.InputError, "no activity")),
    Case("tcx-billion-laughs", "a.tcx", BILLION_LAUGHS.replace(b"<gpx version=\"1.1\"><trk><name>&lol9;</name></trk></gpx>", b"<TrainingCenterDatabase><Activities>&lol9;</Activities></TrainingCenterDatabase>"), Err(sol.InputError, "")),
    # -- Fitbit --------------------------------------------------------------------------------------------
    Case("fitbit-non-object-items", "exercise.json", f"[1, \"a\", {FITBIT_ITEM}, null]", Read("sessions", 4, 1, 3, note="not activity objects")),
    Case("fitbit-object-not-list", "exercise.json", FITBIT_ITEM, Err(sol.InputError, ""), {"source": "fitbit"}),
    Case("fitbit-truncated", "exercise.json", f"[{FITBIT_ITEM}, {FITBIT_ITEM}"[:-30], Err(sol.InputError, "truncated")),
    Case("fitbit-empty-list", "exercise.json", "[]", Read("runs", 0, 0, 0), {"source": "fitbit"}),
    Case("fitbit-distance-without-unit", "exercise.json", "[" + FITBIT_ITEM.replace('"distanceUnit": "Kilometer", ', "") + "]", Err(sol.MissingUnitError, "distance_unit")),
    Case("fitbit-bad-start", "exercise.json", "[" + FITBIT_ITEM.replace("2019-11-05 22:40:41", "soon") + "]", Read("runs", 1, 0, 1, check="coerce_dtype")),
    Case("fitbit-nested-junk-values", "exercise.json", "[" + FITBIT_ITEM.replace('"averageHeartRate": 150', '"averageHeartRate": {"x": [1]}').replace('"distance": 5.0', '"distance": [5]') + "]", Read("runs", 1, 1, 0)),
    Case("fitbit-name-not-text", "exercise.json", "[" + FITBIT_ITEM.replace('"activityName": "Run"', '"activityName": 7') + "]", Read("sessions", 1, 1, 0)),
    # -- PMSys ---------------------------------------------------------------------------------------------
    Case("pmsys-header-only", "srpe.csv", SRPE, Read("sessions", 0, 0, 0)),
    Case("pmsys-rpe-12", "srpe.csv", SRPE + "2019-11-05T22:51:54.710Z,\"['individual', 'running']\",12,30\n", Read("sessions", 1, 0, 1, check="less_than_or_equal_to")),
    Case("pmsys-nothing-logged", "srpe.csv", SRPE + "2019-11-05T22:51:54.710Z,{},7,30\n", Read("sessions", 1, 0, 1, check="not_nullable")),
    Case("pmsys-activities-garbage", "srpe.csv", SRPE + "2019-11-05T22:51:54.710Z,\"['individual', \",7,30\n", Read("sessions", 1, 1, 0)),
    Case("pmsys-fatigue-0", "wellness.csv", WELLNESS + "2019-11-01T08:31:40.751Z,0,3,5,6,3,2,[],3\n", Read("wellness", 1, 0, 1, check="greater_than_or_equal_to")),
    Case("pmsys-truncated", "wellness.csv", WELLNESS + "2019-11-01T08:31:40.751Z,2,3,5,6,3,2,[],3\n2019-11-02T10:00:01.229Z,2,3", Read("wellness", 2, 2, 0, note="fewer fields than the header")),
    # -- generic and canonical CSV ----------------------------------------------------------------------------
    Case("csv-mapping-missing-column", "lab.csv", "Athlete,When,Ex,Reps\na,2024-01-02T10:00:00,Seated Calf Raise,12\n", Err(sol.InputError, "are not in the file"), {"source": "csv", "columns": {"Who": "athlete_id"}}),
    Case("csv-mapping-ambiguous-table", "lab.csv", "Athlete\na\n", Err(sol.InputError, ""), {"source": "csv", "columns": {"Athlete": "athlete_id"}, "table": "nope"}),
    Case("csv-weight-without-unit", "lab.csv", "Athlete,When,Ex,Set,Type,Reps,Load\na,2024-01-02T10:00:00,Seated Calf Raise,0,working,12,40\n", Err(sol.MissingUnitError, "units="), {"source": "csv", "table": "strength_sets", "columns": {"Athlete": "athlete_id", "When": "session_start", "Ex": "exercise_raw", "Set": "set_index", "Type": "set_type", "Reps": "reps", "Load": "load_kg"}}),
    Case("canonical-missing-required", "runs.csv", "athlete_id,start\na,2024-01-02T10:00:00Z\n", Invalid("lacks the required column(s) distance_m"), {"source": "canonical", "table": "runs"}),
    Case("unknown-source-name", "x.csv", strong(strong_row()), Err(sol.InputError, "unknown source"), {"source": "garmin"}),
    Case("unknown-table-name", "x.csv", strong(strong_row()), Err(sol.InputError, "unknown table"), {"table": "laps"}),
    Case("unknown-time-zone", "x.csv", strong(strong_row()), Err(sol.InputError, "unknown time zone"), {**KG, "tz": "Mars/Olympus"}),
    Case("unknown-weight-unit", "x.csv", strong(strong_row()), Err(sol.InputError, "unknown weight unit"), {"weight_unit": "stone"}),
    Case("wrong-encoding-given", "x.csv", strong(strong_row(exercise="Übung")).encode("latin-1"), Err(sol.InputError, "cannot decode the file as utf-8"), {**KG, "encoding": "utf-8"}),
]


def _write(folder: Path, case: Case) -> Path:
    content = case.content(folder) if callable(case.content) else case.content
    raw = content.encode("utf-8") if isinstance(content, str) else content
    path = folder / case.name
    path.write_bytes(raw)
    return path


def test_the_suite_has_at_least_100_cases_with_distinct_ids():
    ids = [c.id for c in CASES]
    assert len(ids) >= 100 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_its_outcome(case, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    path = _write(folder, case)
    options = dict(case.options or {})
    expect = case.expect
    if isinstance(expect, Err):
        with pytest.raises(expect.error) as err:
            sol.read_all(path, **options)
        message = str(err.value)
        assert "\n" not in message
        assert str(path) in message or path.name in message
        assert expect.fragment in message
        return
    res = sol.read_all(path, **options)
    if isinstance(expect, Invalid):
        with pytest.raises(sol.InputError) as err:
            sol.validate(res.tables[res.main], res.main)
        assert expect.fragment in str(err.value) and "\n" not in str(err.value)
        return
    df = res.tables[expect.table]
    assert len(df) == expect.rows, (len(df), res.notes)
    report = sol.validate(df, expect.table)
    assert len(report.valid) + len(report.rejected) == len(df)  # no row lost
    assert (len(report.valid), len(report.rejected)) == (expect.valid, expect.rejected), (
        report.to_text()
    )
    if expect.check is not None:
        assert expect.check in set(report.failures["check"])
    if expect.note is not None:
        assert any(expect.note in n for n in res.notes), res.notes
    if expect.flag is not None:
        assert expect.flag in set(report.flags["check"])
