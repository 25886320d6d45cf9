"""``soleus init``: an empty study folder and a README of what goes where."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from soleus_analysis.errors import InputError
from soleus_analysis.readers.mapping import MAPPING_FILE

__all__ = ["ATHLETES_COLUMNS", "init_study"]

#: The columns of a study's athletes.csv (the ``athletes`` table, plus ``distance_unit``, which
#: the readers use for exports that do not state their distance unit).
ATHLETES_COLUMNS = (
    "athlete_id",
    "sex",
    "body_mass_kg",
    "hr_rest_bpm",
    "hr_max_bpm",
    "weight_unit",
    "distance_unit",
    "timezone",
)
_EXAMPLE_ROW = ("A01", "F", "61.5", "", "", "kg", "km", "Europe/Oslo")

_README = """\
# {name}: a study folder for soleus-analysis

Put your athletes' exports here, then run, from any folder:

    soleus report --data {name} --out {name}-reports

It builds the study (validated tables, rejected rows with their reasons, the athlete-week panel:
`{name}-reports/processed/{name}/`) and writes one HTML report per notebook, linked from
`{name}-reports/index.html`. `soleus build {name} --out {name}-processed` builds without the
reports.

## What goes where

    {name}/
      athletes.csv          one row per athlete (below)
      mapping.toml          how to read your own spreadsheets (optional; below)
      A01/                  one folder per athlete, named by athlete_id
        strong.csv          Strong or Hevy export (strength sets)
        activities.csv      Strava bulk export, with its activities/ folder of FIT/GPX/TCX files
        run1.gpx, run2.fit  single activity files (GPX, FIT, TCX; .gz too)
        fitbit/exercise.json
        pmsys/srpe.csv, pmsys/wellness.csv, pmsys/injury.csv
        running_log.csv     a spreadsheet of your own, read with mapping.toml
      A02/
        ...

The folder name is the athlete: every file under `A01/` is athlete `A01`. The app of each file is
recognised from its content, not its name. Files named `README*` or `*.md`/`*.txt` are ignored.
The raw files are only read, never changed.

## athletes.csv

| column | what |
|---|---|
| `athlete_id` | the athlete's folder name |
| `sex` | F, M or X (optional) |
| `body_mass_kg` | body mass in kg (optional) |
| `hr_rest_bpm`, `hr_max_bpm` | resting and maximal heart rate (optional) |
| `weight_unit` | kg or lb: the unit of weights in exports that do not say it (Strong classic) |
| `distance_unit` | km, mi or m: the unit of distances in exports that do not say it |
| `timezone` | IANA time zone (`Europe/Oslo`): times without a zone are local time there |

Times without a zone, from every file of an athlete (exports, spreadsheets, canonical tables),
are read as local time in the athlete's `timezone`; days and training weeks are local too.

The row `A01` is an example: replace it with one row per athlete folder. Leave a cell empty when
you do not know the value.

## mapping.toml: your own spreadsheets

A spreadsheet that no reader recognises (a hand-made running log, a lab sheet) is read when
`mapping.toml` maps its columns to canonical ones (`soleus schema runs` lists them) and gives the
units its column names do not state. The template in this folder is all comments; for a log with
the columns `Date, Distance (km), Time, Avg HR, RPE` it would say:

    files = "running_log*.csv"   # which files (optional: else any file whose header fits)
    table = "runs"

    [columns]
    "Date" = "start"
    "Distance (km)" = "distance_m"
    "Time" = "moving_time_s"
    "Avg HR" = "avg_hr_bpm"
    "RPE" = "rpe"

    [units]
    moving_time_s = "clock"      # 0:36:29 (else s, min or h)

Several kinds of spreadsheet: one `[[mapping]]` table each, with the same keys. On the command
line the same is `--columns 'Date=start,Distance (km)=distance_m,...' --units
'moving_time_s=clock'`.
"""

_MAPPING = """\
# How to read the spreadsheets of this study that no reader recognises (see README.md).
# Everything here is a comment: uncomment and edit the lines for your own files.

# files = "running_log*.csv"
# table = "runs"
#
# [columns]
# "Date" = "start"
# "Distance (km)" = "distance_m"
# "Time" = "moving_time_s"
# "Avg HR" = "avg_hr_bpm"
# "RPE" = "rpe"
#
# [units]
# moving_time_s = "clock"
"""


def init_study(folder: str | PathLike[str]) -> list[Path]:
    """Write an empty study folder: ``athletes.csv``, ``mapping.toml`` and ``README.md``.

    Parameters
    ----------
    folder : path
        Created if missing; an existing folder must be empty.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    InputError
        When ``folder`` is a file or a folder that is not empty, or cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in init_study(Path(d) / "my-study")]
    ['athletes.csv', 'mapping.toml', 'README.md']
    """
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder", path=path, fix="name a new folder")
    if path.is_dir() and any(path.iterdir()):
        raise InputError(
            "the folder is not empty",
            path=path,
            fix="name a new or empty folder; nothing in it was changed",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        files = {
            "athletes.csv": ",".join(ATHLETES_COLUMNS) + "\n" + ",".join(_EXAMPLE_ROW) + "\n",
            MAPPING_FILE: _MAPPING,
            "README.md": _README.format(name=path.resolve().name),
        }
        written = []
        for name, text in files.items():
            (path / name).write_text(text, encoding="utf-8")
            written.append(path / name)
    except OSError as exc:
        raise InputError(
            f"cannot write the study folder ({exc.strerror or exc})",
            path=path,
            fix="choose a folder you can write to",
        ) from None
    return written
