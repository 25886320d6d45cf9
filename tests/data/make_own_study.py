"""Make tests/data/own-study: a small study as a new user would bring it (see README.md there).

Run once from the repository root: ``python tests/data/make_own_study.py SHARED``, where
SHARED is the folder with the public data (PMData, runpandas GPX runs). Real files are copied
unchanged (GPX gzipped); the Strong logs and the running log are hand-made, written here
row by row with a fixed seed so that they can be re-made.
"""

import gzip
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "own-study"
RNG = np.random.default_rng(13)


def strong_log(path, start, weeks, *, sessions_per_week, exercises, unit_note=""):
    header = ("Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
              "Notes,Workout Notes,RPE")
    rows = [header]
    day = start
    for week in range(weeks):
        for s in range(sessions_per_week):
            when = day + timedelta(days=7 * week + 3 * s, hours=int(RNG.integers(6, 19)),
                                   minutes=int(RNG.integers(0, 60)))
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
            minutes = int(RNG.integers(20, 45))
            for name, load, reps in exercises:
                sets = 2 + min(week // 3, 2)
                for k in range(sets):
                    w = round((load * (1 + 0.03 * week)) / 2.5) * 2.5
                    rows.append(f"{stamp},Calves,{minutes}m,{name},{k + 1},{w:g},{reps},0,0,,,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main(shared: Path) -> None:
    # runner-gpx: 12 real GPX runs (runpandas examples, MIT), Strong log from mid-September 2020
    gpx_dir = OUT / "runner-gpx" / "gpx"
    gpx_dir.mkdir(parents=True, exist_ok=True)
    picked = []
    for f in sorted((shared / "gpx_tcx" / "session").glob("*.gpx")):
        text = f.read_text(encoding="utf-8", errors="replace")
        i = text.find("<time>")
        stamp = text[i + 6:i + 16]
        if "2020-08-01" <= stamp <= "2020-12-31" and "hr>" in text:
            picked.append((stamp, f))
    for _, f in sorted(picked)[:12]:
        with open(f, "rb") as src, gzip.GzipFile(gpx_dir / (f.name + ".gz"), "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    strong_log(OUT / "runner-gpx" / "strong.csv", datetime(2020, 9, 14), 10, sessions_per_week=2,
               exercises=[("Seated Calf Raise (Machine)", 40, 15),
                          ("Standing Calf Raise (Machine)", 60, 12)])
    # p03, p05: PMData participants (CC BY 4.0): PMSys and Fitbit files unchanged
    for pid in ("p03", "p05"):
        for sub in ("pmsys", "fitbit"):
            dst = OUT / pid / sub
            dst.mkdir(parents=True, exist_ok=True)
            for name in ("srpe.csv", "wellness.csv", "injury.csv", "exercise.json"):
                src = shared / "pmdata" / pid / sub / name
                if src.exists():
                    shutil.copy(src, dst / name)
    strong_log(OUT / "p03" / "strong.csv", datetime(2019, 12, 2), 12, sessions_per_week=2,
               exercises=[("Seated Calf Raise (Machine)", 90, 15)])  # pounds: see athletes.csv
    # runner-log: a hand-made running log (spreadsheet) and a Strong log, 2024
    rows = ["Date,Distance (km),Time,Avg HR,RPE"]
    day = datetime(2024, 3, 4, 7, 15)
    for k in range(40):
        when = day + timedelta(days=int(2 * k + RNG.integers(0, 2)), minutes=int(RNG.integers(0, 50)))
        km = round(float(RNG.uniform(5, 14)), 2)
        pace = 330 - 0.4 * k + float(RNG.normal(0, 8))  # s/km, getting faster
        secs = int(km * pace)
        rows.append(f"{when:%Y-%m-%d %H:%M},{km},{secs // 3600}:{secs % 3600 // 60:02d}:"
                    f"{secs % 60:02d},{int(RNG.integers(135, 160))},{int(RNG.integers(3, 8))}")
    (OUT / "runner-log").mkdir(exist_ok=True)
    (OUT / "runner-log" / "running_log.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    strong_log(OUT / "runner-log" / "strong.csv", datetime(2024, 4, 1), 8, sessions_per_week=2,
               exercises=[("Seated Calf Raise (Machine)", 30, 15),
                          ("Standing Calf Raise (Dumbbell)", 20, 12)])
    (OUT / "athletes.csv").write_text(
        "athlete_id,sex,body_mass_kg,weight_unit,timezone\n"
        "runner-gpx,M,72.0,kg,Europe/Oslo\n"
        "p03,F,61.0,lb,Europe/Oslo\n"
        "p05,M,78.0,kg,Europe/Oslo\n"
        "runner-log,F,58.5,kg,America/New_York\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
