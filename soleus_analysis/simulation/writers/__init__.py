"""Write a simulated cohort as the files athletes' apps export, with planted bad input.

:func:`write_cohort` writes one folder per athlete, in the formats the readers of
:mod:`soleus_analysis.readers` parse (one module per format here: :mod:`.strong`, :mod:`.hevy`,
:mod:`.strava`, :mod:`.activity` for GPX/TCX/FIT, :mod:`.pmsys`), plants a realistic share of bad
input (:mod:`.defects`) and stores the known answer next to the files::

    OUTDIR/
      athletes.csv                 canonical athletes table (+ distance_unit)
      truth.json                   planted effects, design, parameters, formats, defect counts
      truth_weeks.csv              athlete-week truth (the panel the cohort sums to)
      truth_injected.csv           every planted defect and the outcome it must get
      README.md                    what this folder is (simulated), how and with which effects
      <athlete_id>/strong.csv | hevy_workouts.csv
      <athlete_id>/strava/activities.csv
      <athlete_id>/strava/activities/<id>.gpx.gz | .fit.gz | .tcx.gz   (long runs only)
      <athlete_id>/pmsys/wellness.csv, srpe.csv

``sol.read_folder(OUTDIR)`` reads it back (``truth*`` and ``README*`` are skipped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.simulation.cohort import Cohort
from soleus_analysis.simulation.writers import activity, defects, hevy, pmsys, strava, strong
from soleus_analysis.simulation.writers.readme import readme_text
from soleus_analysis.simulation.writers.streams import synthesise

__all__ = ["STRENGTH_FORMATS", "DEVICES", "WrittenCohort", "assign_formats", "write_cohort"]

#: Strength export formats: the four Strong variants and Hevy.
STRENGTH_FORMATS = ("strong_classic", "strong_german", "strong_semicolon", "strong_newest", "hevy")
#: Activity-file formats of the long runs in the Strava export.
DEVICES = ("gpx", "fit", "tcx")
_HOMES = {
    "Europe/Oslo": (59.91, 10.75),
    "Europe/Berlin": (52.52, 13.40),
    "Europe/London": (51.51, -0.13),
    "America/Los_Angeles": (34.05, -118.24),
    "America/New_York": (40.71, -74.00),
    "Australia/Sydney": (-33.87, 151.21),
    "UTC": (38.72, -9.14),
}


@dataclass(frozen=True)
class WrittenCohort:
    """A simulated cohort written as app exports.

    Attributes
    ----------
    root : Path
        The folder written.
    files : DataFrame
        One row per file: ``path`` (relative to ``root``, ``/``-separated), ``format``
        (``strong_classic``, ``strong_german``, ``strong_semicolon``, ``strong_newest``,
        ``hevy``, ``strava_activities``, ``gpx.gz``, ``fit.gz``, ``tcx.gz``,
        ``pmsys_wellness``, ``pmsys_srpe``, ``athletes``, ``truth``, ``readme``),
        ``athlete_id`` ("" for cohort files), ``table`` (the canonical table the file feeds
        first; "" for the known answer) and ``rows`` (data rows; records of an activity file).
    injected : DataFrame
        One row per planted bad row and table: ``defect`` (id), ``path``, ``source_row``
        (spreadsheet row as the readers report it, header = 1; missing for a defect of a whole
        file), ``table`` (``strength_sets``, ``runs``, ``sessions``, ``wellness``), ``kind``
        (``duplicate``, ``near-duplicate``, ``typo``, ``impossible value``, ``unit mix-up``),
        ``expected`` (``rejected``, ``flagged``, ``unmapped``, or ``undetected`` where no rule
        of the table can see the defect), ``added`` (True: a row that is not in the canonical
        tables, such as a copy; False: a canonical row changed in place, or a whole file),
        ``athlete_id`` and ``detail``.
    formats : DataFrame
        One row per athlete: ``athlete_id``, ``strength`` (format of the strength export),
        ``strength_unit`` (unit the file's weights are labelled in), ``weight_unit`` (the
        plates the athlete loads), ``distance_unit`` (display unit), ``device`` (format of the
        long runs' activity files), ``strava_dates`` (``us`` or ``gb`` date text),
        ``sample_s`` (recording interval of the streams: 30 s) and ``timezone``.
    """

    root: Path
    files: pd.DataFrame
    injected: pd.DataFrame
    formats: pd.DataFrame


def assign_formats(
    cohort: Cohort, *, rng: np.random.Generator, overrides: pd.DataFrame | dict | None = None
) -> pd.DataFrame:
    """Each athlete's export formats, from the simulated logging habits.

    Strong users (``params.athletes.strength_app``) get one of the four Strong variants (German
    for most athletes in Europe/Berlin; else classic 40%, newest 40%, old semicolon 20%), Hevy users
    the Hevy export; weights are labelled in the athlete's unit. Runs go to Strava; the long runs'
    activity files are FIT (70%) or TCX (30%) for watch users (``run_app == "fit"``) and GPX for
    phone users. When the cohort has at least 4 Strong users, 3 watch users or 3 runners, each
    variant and each device is used at least once (the most common one gives way).

    Parameters
    ----------
    cohort : Cohort
    rng : numpy.random.Generator
    overrides : DataFrame or dict, optional
        Per athlete, values that replace the drawn ones, e.g.
        ``{"A001": {"strength": "strong_german", "device": "tcx"}}``.

    Returns
    -------
    DataFrame
        Indexed by ``athlete_id``; columns as :attr:`WrittenCohort.formats`.
    """
    ath = cohort.params.athletes
    n = len(ath)
    u_variant, u_device, u_date = rng.random(n), rng.random(n), rng.random(n)
    # Smart recording, sparse: one sample every 30 s keeps a 40 x 26 cohort a few MB.
    sample = np.full(n, 30)
    zones = ath["timezone"].astype(str).to_numpy()
    strength = []
    for k in range(n):
        if ath["strength_app"].iloc[k] == "hevy":
            strength.append("hevy")
        elif zones[k] == "Europe/Berlin" and u_variant[k] < 0.7:
            strength.append("strong_german")
        else:
            u = u_variant[k]
            strength.append(
                "strong_classic" if u < 0.4 else "strong_newest" if u < 0.8 else "strong_semicolon"
            )
    watch = ath["run_app"].astype(str).to_numpy() == "fit"
    device = np.where(watch, np.where(u_device < 0.7, "fit", "tcx"), "gpx").astype(object)
    out = pd.DataFrame(
        {
            "athlete_id": ath["athlete_id"].astype(str).to_numpy(),
            "strength": strength,
            "strength_unit": ath["weight_unit"].astype(str).to_numpy(),
            "weight_unit": ath["weight_unit"].astype(str).to_numpy(),
            "distance_unit": np.where(ath["weight_unit"] == "lb", "mi", "km"),
            "device": device,
            "strava_dates": np.where(
                np.char.startswith(zones.astype(str), "America/") | (u_date < 0.5), "us", "gb"
            ),
            "sample_s": sample.astype("int64"),
            "timezone": zones,
        }
    ).set_index("athlete_id", drop=False)
    has_sets = out.index.isin(cohort.strength_sets["athlete_id"].unique())
    has_runs = out.index.isin(cohort.runs["athlete_id"].unique())
    _cover(
        out,
        has_sets & (out["strength"] != "hevy").to_numpy(),
        "strength",
        ("strong_classic", "strong_german", "strong_semicolon", "strong_newest"),
        4,
    )
    _cover(out, has_runs & watch, "device", ("fit", "tcx"), 3)
    _cover(out, has_runs, "device", DEVICES, 3)
    if overrides is not None:
        frame = overrides if isinstance(overrides, pd.DataFrame) else pd.DataFrame(overrides).T
        for athlete, row in frame.iterrows():
            if athlete not in out.index:
                raise ValueError(f"formats override for unknown athlete {athlete!r}")
            for key, value in row.dropna().items():
                if key not in out.columns or key == "athlete_id":
                    raise ValueError(f"unknown formats column {key!r}; use one of {list(out)}")
                out.at[athlete, key] = value
    bad = set(out["strength"]) - set(STRENGTH_FORMATS)
    if bad:
        raise ValueError(f"unknown strength format(s) {sorted(bad)}; use {STRENGTH_FORMATS}")
    if set(out["device"]) - set(DEVICES):
        raise ValueError(f"unknown device(s) {sorted(set(out['device']) - set(DEVICES))}")
    return out


def _cover(out: pd.DataFrame, eligible: np.ndarray, column: str, values: tuple, least: int) -> None:
    """Give each value to at least one eligible athlete when there are ``least`` of them."""
    if eligible.sum() < least:
        return
    for value in values:
        current = out.loc[eligible, column]
        if (current == value).any():
            continue
        counts = current.value_counts()
        donor = counts.index[0]
        athlete = current.index[current == donor][-1]
        out.at[athlete, column] = value


def _as_logged_runs(cohort: Cohort, formats: pd.DataFrame, rng) -> pd.DataFrame:
    runs = cohort.runs.copy()
    order = np.argsort(runs["start"].to_numpy(), kind="stable")
    ids = np.empty(len(runs), dtype="int64")
    ids[order] = 12_000_000_000 + np.cumsum(rng.integers(50, 5000, len(runs)))
    runs["activity_id"] = ids
    streamed = (
        (runs["activity_name"] == "Long Run")
        & runs["pace_fade_pct"].notna()
        & runs["elevation_gain_m"].notna()
    )
    ext = runs["athlete_id"].map(formats["device"])
    runs["filename"] = np.where(
        streamed, "activities/" + runs["activity_id"].astype(str) + "." + ext + ".gz", ""
    )
    return runs


def _as_logged_wellness(cohort: Cohort, formats: pd.DataFrame, rng) -> pd.DataFrame:
    well = cohort.wellness.copy()
    n = len(well)
    seconds = np.round(rng.uniform(6.0 * 3600, 10.5 * 3600, n)).astype("int64")
    well["millis"] = rng.integers(0, 1000, n)
    well["soreness_area_pick"] = rng.integers(0, 3, n)
    local = well["date"].to_numpy(dtype="datetime64[s]") + seconds.astype("timedelta64[s]")
    zones = well["athlete_id"].map(formats["timezone"]).to_numpy()
    out = np.empty(n, dtype="datetime64[us]")
    for zone in pd.unique(zones):
        rows = zones == zone
        stamps = pd.DatetimeIndex(local[rows]).tz_localize(
            zone, nonexistent="shift_forward", ambiguous=False
        )
        out[rows] = stamps.tz_convert("UTC").tz_localize(None).as_unit("us").to_numpy()
    well["reported_at"] = pd.Series(out, index=well.index).dt.tz_localize("UTC")
    return well


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_cohort(
    cohort: Cohort,
    outdir: str | PathLike[str],
    *,
    rng=None,
    bad_input: bool = True,
    formats: pd.DataFrame | dict | None = None,
    activity_files: bool = True,
    seed: int | None = None,
) -> WrittenCohort:
    """Write a simulated cohort as the files of the apps athletes use, with planted bad input.

    Each athlete gets a folder ``OUTDIR/<athlete_id>/`` (the readers name the athlete from it)
    with a Strong or Hevy export of the strength sets, a Strava bulk export of the runs (an
    ``activities.csv`` row per run; an activity file with the record stream for each long run of
    30 minutes or more, GPX, FIT or TCX, gzip-compressed as Strava stores them) and PMSys
    ``wellness.csv`` and ``srpe.csv``. ``athletes.csv`` gives each athlete's zone and units;
    ``truth.json``, ``truth_weeks.csv`` and ``truth_injected.csv`` the known answer; ``README.md``
    says what the folder is. Formats follow each athlete's simulated habits
    (:func:`assign_formats`); the record streams reproduce each long run's efficiency factor,
    decoupling and pace fade (:mod:`.streams`). With ``bad_input``, about 0.6% of the rows are
    planted defects (:mod:`.defects`), each listed in ``injected`` with the outcome validation
    must give it.

    Parameters
    ----------
    cohort : Cohort
        From :func:`soleus_analysis.simulate_cohort`.
    outdir : str or PathLike
        Created if missing; files of the same names are overwritten.
    rng : None, int, SeedSequence or Generator
        Seed of the writer's own random stream (formats, streams, report times, defects). The same
        cohort and seed give the same bytes; ``None`` draws fresh entropy.
    bad_input : bool, default True
        Plant the defects.
    formats : DataFrame or dict, optional
        Per-athlete overrides of the drawn formats (see :func:`assign_formats`), e.g. to cover
        every variant in a small test cohort.
    activity_files : bool, default True
        Write the long runs' activity files (record streams). Without them the runs are only in
        ``activities.csv`` and have no stream metrics; writing and reading are much faster.
    seed : int, optional
        Recorded in ``truth.json`` and the README (the seed the cohort was simulated with).

    Returns
    -------
    WrittenCohort

    Examples
    --------
    >>> import tempfile, soleus_analysis as sol
    >>> cohort = sol.simulate_cohort(3, 4, rng=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = sol.write_cohort(cohort, tmp, rng=5)
    ...     tables = sol.read_folder(tmp).tables
    >>> sorted(tables)
    ['athletes', 'runs', 'sessions', 'strength_sets', 'wellness']
    """
    if not isinstance(cohort, Cohort):
        raise TypeError(
            f"write_cohort needs a Cohort from simulate_cohort, got {type(cohort).__name__}"
        )
    rng = np.random.default_rng(rng)
    root = Path(outdir)
    root.mkdir(parents=True, exist_ok=True)
    fmt = assign_formats(cohort, rng=rng, overrides=formats)
    runs = _as_logged_runs(cohort, fmt, rng)
    if not activity_files:
        runs["filename"] = ""
    wellness = _as_logged_wellness(cohort, fmt, rng)
    srpe = cohort.sessions.copy()
    srpe["millis"] = rng.integers(1, 1000, len(srpe))
    sets = cohort.strength_sets.copy()
    if bad_input:
        planted = defects.plant(sets, runs, wellness, srpe, formats=fmt, rng=rng)
    else:
        planted = defects.Planted(*(defects.mark_rows(f) for f in (sets, runs, wellness, srpe)))
        planted.sets["_copy_of_previous"] = False
        planted.runs["_expect_sessions"] = ""
    files: list[dict] = []
    injected: list[dict] = []
    kinds = {d["defect"]: d for d in planted.defects}
    mass = cohort.athletes.set_index("athlete_id")["body_mass_kg"]
    stream_rng = np.random.default_rng(rng.integers(2**63))
    for athlete in fmt.index:
        f = fmt.loc[athlete]
        _strength_file(root, athlete, f, planted.sets, kinds, files, injected)
        _strava_files(
            root, athlete, f, planted.runs, kinds, files, injected, float(mass[athlete]), stream_rng
        )
        for name, frame, render, table in (
            ("wellness.csv", planted.wellness, pmsys.wellness_bytes, "wellness"),
            ("srpe.csv", planted.srpe, pmsys.srpe_bytes, "sessions"),
        ):
            rows = frame[frame["athlete_id"] == athlete].reset_index(drop=True)
            if rows.empty:
                continue
            rel = f"{athlete}/pmsys/{name}"
            _write(root / rel, render(rows))
            files.append(
                {
                    "path": rel,
                    "format": f"pmsys_{name[:-4]}",
                    "athlete_id": athlete,
                    "table": table,
                    "rows": len(rows),
                }
            )
            _collect(rows, rel, table, "_expect", kinds, injected)
    if planted.pound_grid_athlete is not None:
        athlete = planted.pound_grid_athlete
        d = next(
            x for x in planted.defects if x["athlete_id"] == athlete and x["kind"] == "unit mix-up"
        )
        path = next(
            x["path"] for x in files if x["athlete_id"] == athlete and x["table"] == "strength_sets"
        )
        injected.append(
            {
                "defect": d["defect"],
                "path": path,
                "source_row": None,
                "table": "strength_sets",
                "kind": d["kind"],
                "expected": "flagged",
                "added": False,
                "athlete_id": athlete,
                "detail": d["detail"],
            }
        )
    athletes = cohort.athletes.copy()
    athletes["distance_unit"] = athletes["athlete_id"].map(fmt["distance_unit"])
    athletes.to_csv(root / "athletes.csv", index=False, lineterminator="\n")
    files.append(
        {
            "path": "athletes.csv",
            "format": "athletes",
            "athlete_id": "",
            "table": "athletes",
            "rows": len(athletes),
        }
    )
    injected_frame = _injected_frame(injected)
    formats_frame = fmt.reset_index(drop=True)
    _truth_files(root, cohort, formats_frame, injected_frame, seed, files)
    files_frame = pd.DataFrame.from_records(
        files, columns=["path", "format", "athlete_id", "table", "rows"]
    ).sort_values("path", ignore_index=True)
    (root / "README.md").write_text(
        readme_text(cohort, files_frame, injected_frame, formats_frame, seed=seed), encoding="utf-8"
    )
    files_frame = pd.concat(
        [
            files_frame,
            pd.DataFrame(
                [
                    {
                        "path": "README.md",
                        "format": "readme",
                        "athlete_id": "",
                        "table": "",
                        "rows": 0,
                    }
                ]
            ),
        ],
        ignore_index=True,
    ).sort_values("path", ignore_index=True)
    return WrittenCohort(
        root=root, files=files_frame, injected=injected_frame, formats=formats_frame
    )


def _collect(rows, rel, table, expect_col, kinds, injected) -> None:
    """Injected entries for the rows of one rendered file (row k is spreadsheet row k + 2)."""
    for k in np.flatnonzero(rows[expect_col].to_numpy() != ""):
        d = kinds[int(rows["_defect"].iloc[k])]
        injected.append(
            {
                "defect": d["defect"],
                "path": rel,
                "source_row": int(k) + 2,
                "table": table,
                "kind": d["kind"],
                "expected": rows[expect_col].iloc[k],
                "added": bool(rows["_added"].iloc[k]),
                "athlete_id": d["athlete_id"],
                "detail": d["detail"],
            }
        )


def _strength_file(root, athlete, f, all_sets, kinds, files, injected) -> None:
    sets = all_sets[all_sets["athlete_id"] == athlete].reset_index(drop=True)
    if sets.empty:
        return
    fmt = f["strength"]
    if fmt == "hevy":
        # Hevy lists the newest workout first (blocks of one session keep their order).
        key = sets["session_start"]
        block = (key != key.shift()).cumsum()
        first = sets.groupby(block)["session_start"].transform("first")
        order = np.lexsort(
            (np.arange(len(sets)), -block.to_numpy(), -first.astype("int64").to_numpy())
        )
        sets = sets.iloc[order].reset_index(drop=True)
        data = hevy.hevy_bytes(sets, weight_unit=f["strength_unit"], timezone=f["timezone"])
        rel, has_sessions = f"{athlete}/hevy_workouts.csv", True
    else:
        variant = fmt.removeprefix("strong_")
        data = strong.strong_bytes(
            sets,
            variant=variant,
            weight_unit=f["strength_unit"],
            distance_unit=f["distance_unit"],
            timezone=f["timezone"],
        )
        rel, has_sessions = f"{athlete}/strong.csv", strong.has_sessions(variant)
    _write(root / rel, data)
    files.append(
        {
            "path": rel,
            "format": fmt,
            "athlete_id": athlete,
            "table": "strength_sets",
            "rows": len(sets),
        }
    )
    _collect(sets, rel, "strength_sets", "_expect", kinds, injected)
    if not has_sessions:
        return
    # Session-level outcomes: a session dated 1985 is rejected, a session logged twice is not seen.
    first_rows = ~sets["session_start"].duplicated().to_numpy()
    for k in np.flatnonzero(first_rows & (sets["_defect"].to_numpy() >= 0)):
        d = kinds[int(sets["_defect"].iloc[k])]
        outcome = {"near-duplicate": "undetected"}.get(d["kind"])
        if d["kind"] == "impossible value" and "1985" in d["detail"]:
            outcome = "rejected"
        if outcome:
            injected.append(
                {
                    "defect": d["defect"],
                    "path": rel,
                    "source_row": int(k) + 2,
                    "table": "sessions",
                    "kind": d["kind"],
                    "expected": outcome,
                    "added": d["kind"] == "near-duplicate",
                    "athlete_id": athlete,
                    "detail": d["detail"],
                }
            )


def _strava_files(root, athlete, f, all_runs, kinds, files, injected, mass, rng) -> None:
    runs = all_runs[all_runs["athlete_id"] == athlete].reset_index(drop=True)
    if runs.empty:
        return
    rel = f"{athlete}/strava/activities.csv"
    _write(
        root / rel,
        strava.activities_bytes(
            runs, distance_unit=f["distance_unit"], date_style=f["strava_dates"], body_mass_kg=mass
        ),
    )
    files.append(
        {
            "path": rel,
            "format": "strava_activities",
            "athlete_id": athlete,
            "table": "runs",
            "rows": len(runs),
        }
    )
    _collect(runs, rel, "runs", "_expect", kinds, injected)
    _collect(runs, rel, "sessions", "_expect_sessions", kinds, injected)
    home = np.array(_HOMES.get(f["timezone"], (0.0, 0.0))) + rng.uniform(-0.05, 0.05, 2)
    serial = int(rng.integers(1_000_000_000, 4_000_000_000))
    for r in runs[(runs["filename"] != "") & (runs["_defect"] < 0)].itertuples(index=False):
        stream = synthesise(
            start=r.start,
            distance_m=r.distance_m,
            moving_time_s=r.moving_time_s,
            elapsed_time_s=r.elapsed_time_s,
            avg_hr_bpm=r.avg_hr_bpm,
            efficiency_factor=r.efficiency_factor_m_per_beat,
            decoupling_pct=r.decoupling_pct,
            pace_fade_pct=r.pace_fade_pct,
            cadence_spm=r.avg_cadence_spm,
            elevation_gain_m=r.elevation_gain_m,
            home=(float(home[0]), float(home[1])),
            sample_s=int(f["sample_s"]),
            rng=rng,
        )
        summary = {
            "distance_m": r.distance_m,
            "moving_time_s": r.moving_time_s,
            "elapsed_time_s": r.elapsed_time_s,
            "avg_hr_bpm": r.avg_hr_bpm,
            "max_hr_bpm": r.max_hr_bpm,
            "avg_cadence_spm": r.avg_cadence_spm,
            "elevation_gain_m": r.elevation_gain_m,
        }
        device = f["device"]
        if device == "gpx":
            data = activity.gpx_bytes(stream, name=r.activity_name)
        elif device == "tcx":
            data = activity.tcx_bytes(stream, summary=summary)
        else:
            offset = int(r.start.tz_convert(f["timezone"]).utcoffset().total_seconds())
            data = activity.fit_bytes(stream, summary=summary, serial=serial, utc_offset_s=offset)
        file_rel = f"{athlete}/strava/{r.filename}"
        _write(root / file_rel, activity.gzipped(data))
        files.append(
            {
                "path": file_rel,
                "format": f"{device}.gz",
                "athlete_id": athlete,
                "table": "runs",
                "rows": len(stream),
            }
        )


def _injected_frame(injected: list[dict]) -> pd.DataFrame:
    cols = [
        "defect",
        "path",
        "source_row",
        "table",
        "kind",
        "expected",
        "added",
        "athlete_id",
        "detail",
    ]
    out = pd.DataFrame.from_records(injected, columns=cols)
    out["source_row"] = pd.array(out["source_row"], dtype="Int64")
    out["defect"] = out["defect"].astype("int64")
    return out.sort_values(["path", "source_row", "table"], ignore_index=True, na_position="first")


def _truth_files(root, cohort, formats, injected, seed, files) -> None:
    weeks = cohort.truth.copy()
    weeks.to_csv(root / "truth_weeks.csv", index=False, lineterminator="\n", float_format="%.8g")
    injected.to_csv(root / "truth_injected.csv", index=False, lineterminator="\n")
    counts = (
        injected.groupby(["kind", "table", "expected"]).size().rename("rows").reset_index()
        if len(injected)
        else pd.DataFrame(columns=["kind", "table", "expected", "rows"])
    )
    meta = {
        "simulated": True,
        "description": "Simulated cohort (soleus_analysis.simulate_cohort + write_cohort): not "
        "real athletes. See docs/simulation.md for the generating model.",
        "seed": seed,
        "planted": cohort.planted,
        "params": cohort.params.to_dict(),
        "formats": formats.to_dict(orient="records"),
        "injected_rows": [
            {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
            for rec in counts.to_dict(orient="records")
        ],
        "files": {
            "athlete_weeks": "truth_weeks.csv",
            "injected": "truth_injected.csv",
        },
    }
    text = json.dumps(meta, indent=1, sort_keys=True, allow_nan=False, default=_json_default)
    (root / "truth.json").write_text(text + "\n", encoding="utf-8")
    for rel, fmt, rows in (
        ("truth.json", "truth", 0),
        ("truth_weeks.csv", "truth", len(weeks)),
        ("truth_injected.csv", "truth", len(injected)),
    ):
        files.append({"path": rel, "format": fmt, "athlete_id": "", "table": "", "rows": rows})


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
