"""The README of a written cohort: plainly simulated; how, with which effects, formats, defects."""

from __future__ import annotations

import pandas as pd

from soleus_analysis.simulation.cohort import Cohort

__all__ = ["readme_text"]

_EFFECTS = (
    (
        "pace_s_per_km_per_10_soleus_sets",
        "easy pace, s/km per +10 soleus sets/week (negative = faster)",
    ),
    ("slope_sd_s_per_km", "between-athlete SD of that effect, s/km"),
    ("adaptation_weeks", "time constant of the adaptation, weeks"),
    ("fatigue_per_10_soleus_sets", "PMSys fatigue points per +10 sets (positive = fresher)"),
    (
        "soreness_per_10_novel_soleus_sets",
        "PMSys soreness points per 10 unaccustomed sets (negative = more sore)",
    ),
    ("decoupling_pct_per_10_soleus_sets", "aerobic decoupling, percentage points per +10 sets"),
    ("pace_fade_pct_per_10_soleus_sets", "late-run pace fade, percentage points per +10 sets"),
    ("pace_s_per_km_per_10_km_acute", "easy pace, s/km per +10 km this week"),
    ("pace_s_per_km_per_10_km_chronic", "easy pace, s/km per +10 km/week chronic load"),
)
_TRAPS = (
    ("season_pace_s_per_km_per_week", "season trend: easy pace change per week at the start, s/km"),
    ("season_pace_sd_s_per_km_per_week", "between-athlete SD of that rate, s/km per week"),
    ("season_saturation_weeks", "time constant of the season's saturation, weeks (0 = linear)"),
    ("pace_ar1", "lag-1 autocorrelation of the weekly easy-pace residual (SD "
     "`pace_week_sd_s_per_km`)"),
    ("fatigue_ar1", "the same for fatigue (soreness: `soreness_ar1`, decoupling and fade: "
     "`stream_ar1`)"),
)
_CONFOUNDING = (
    ("uptake_log_odds_per_sd_fitness", "log-odds of taking up the programme per SD of fitness"),
    ("adherence_log_odds_per_sd_fitness", "log-odds of adherence (and of 3 sessions a week) per "
     "SD of fitness"),
)


def _table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for rec in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in rec) + " |")
    return "\n".join(lines)


def readme_text(
    cohort: Cohort,
    files: pd.DataFrame,
    injected: pd.DataFrame,
    formats: pd.DataFrame,
    *,
    seed: int | None,
) -> str:
    """The README.md of a folder written by :func:`write_cohort` (Markdown)."""
    p = cohort.params
    effects = p.effects.to_dict()
    ath = p.athletes
    n_soleus = int((ath["group"] == "soleus").sum())
    starts = ath.loc[ath["group"] == "soleus", "start_week"]
    first, last = (int(starts.min()), int(starts.max())) if len(starts) else ("-", "-")
    seed_text = f"seed {seed}" if seed is not None else "a seed not recorded"
    cli = (
        f"soleus simulate OUTDIR --athletes {p.n_athletes} --weeks {p.n_weeks} --seed {seed} "
        f"--start {p.start.date()}"
        if seed is not None
        else "sol.write_cohort(sol.simulate_cohort(...), OUTDIR)"
    )
    effect_rows = pd.DataFrame(
        [(f"`{k}`", f"{effects[k]:g}", text) for k, text in _EFFECTS],
        columns=["effect", "value", "meaning"],
    )
    design = p.design.to_dict()
    trap_rows = pd.DataFrame(
        [(f"`{k}`", f"{effects[k]:g}", text) for k, text in _TRAPS]
        + [(f"`{k}`", f"{design[k]:g}", text) for k, text in _CONFOUNDING],
        columns=["parameter", "value", "meaning"],
    )
    traps = cohort.planted["traps"]
    fitness_gap = traps["confounding"]["fitness_gap_sd"]
    pace_gap = traps["confounding"]["baseline_pace_gap_s_per_km"]
    gap_text = (
        f"In this cohort the programme athletes are {fitness_gap:+.2f} SD fitter "
        f"({pace_gap:+.0f} s/km baseline easy pace) than the controls."
        if fitness_gap is not None
        else ""
    )
    corr = traps["within_corr_dose_week"]
    corr_text = (
        f" Within an athlete, the soleus dose correlates {corr:.2f} with the study week."
        if corr is not None
        else ""
    )
    fmt = formats[
        [
            "athlete_id",
            "strength",
            "strength_unit",
            "weight_unit",
            "device",
            "strava_dates",
            "timezone",
        ]
    ].copy()
    fmt.insert(1, "group", fmt["athlete_id"].map(ath.set_index("athlete_id")["group"]))
    data_files = files[files["athlete_id"] != ""]
    by_format = (
        data_files.groupby("format").agg(files=("path", "size"), rows=("rows", "sum")).reset_index()
    )
    if len(injected):
        defects = (
            injected.groupby(["kind", "table", "expected"]).size().rename("rows").reset_index()
        )
        details = (
            injected.drop_duplicates("defect")
            .groupby(["kind", "detail"])
            .size()
            .rename("times")
            .reset_index()
        )
        defect_text = (
            _table(defects)
            + "\n\nWhat was planted:\n\n"
            + _table(details)
            + "\n\nEvery planted row, with its file, spreadsheet row and expected outcome, is "
            "listed in `truth_injected.csv`."
        )
    else:
        defect_text = "None: this cohort was written without bad input (`--no-bad-input`)."
    return f"""# Simulated cohort: NOT real athletes

Everything in this folder is **simulated**. The {p.n_athletes} athletes, their
{p.n_weeks} weeks of training from {p.start.date()} and every number in these files were drawn by
`soleus_analysis` from a documented generating model ({seed_text}), with soleus-training effects
planted on purpose, so that the analyses can be checked against a known answer. Do not cite
anything here as a finding about real runners.

## How it was made

```
{cli}
```

(`sol.simulate_cohort` draws the cohort as canonical tables; `sol.write_cohort` writes them in the
apps' export formats.) The generating model, its equations and assumptions are in
`docs/simulation.md` of the soleus-analysis repository. {n_soleus} athletes took up a
soleus programme (seated calf raise, soleus walk, bent-knee raise, slant-board single-leg squat or
a common calf exercise; 2-3 sessions a week) starting at weeks {first} to {last} (staggered);
the other {p.n_athletes - n_soleus} are controls. Everyone runs, and most do some general
strength work.

## Planted effects

{_table(effect_rows)}

Each athlete's own effect is in `truth.json` (`planted.athlete_slopes_s_per_km_per_10_sets`); the
athlete-week truth (dose, outcomes and the latent adaptation, true pace level...) is in
`truth_weeks.csv`; every generating parameter is in `truth.json` (`params`).

**Estimand.** {cohort.planted["estimand"]}

## Traps of real data

Runners get faster over the season (at their own rate), weekly form, fatigue, soreness and stream
metrics drift as AR(1) series, and fitter runners were more likely to take up the programme and
to stick to it (not randomised). An analysis that ignores calendar time mistakes the season for a
soleus effect; one that compares athletes mistakes fitness for one.

{_table(trap_rows)}

{gap_text}{corr_text}

Each athlete's season rate is in `truth.json` (`planted.athlete_season_rates_s_per_km_per_week`),
the population season curve in `planted.traps.season_trend.curve_s_per_km`, and the season term
of every athlete-week in `truth_weeks.csv` (`true_season_pace_s_per_km`).

## Files and formats

One folder per athlete (the readers take the athlete id from it); `athletes.csv` gives each
athlete's time zone, the weight unit of Strong files that state none and the display distance
unit. Strength sets are Strong exports (classic comma, German, old semicolon with units, newest
quoted semicolon with decimal commas and a byte-order mark) or Hevy exports (kg or lbs); runs are a
Strava bulk export (`strava/activities.csv`, one row per run) with an activity file for each long
run (`strava/activities/<id>.gpx.gz`, `.fit.gz` or `.tcx.gz`, record stream sampled every 30 s);
wellness and session RPE are PMSys-style `pmsys/wellness.csv` and `pmsys/srpe.csv`
(fatigue, mood, sleep quality, soreness and stress 1-5 with 5 the best state; readiness 0-10).
Missing wellness days are part of the simulation (logging habits), not defects. FIT files are
encoded with `fit-tool` (BSD-3-Clause); GPX, TCX and the CSV files are written as text.

{_table(by_format)}

Per athlete:

{_table(fmt)}

## Planted bad input

{defect_text}

## Reading it

```python
import soleus_analysis as sol
folder = sol.read_folder("{"PATH"}")
report = sol.validate(folder.tables["strength_sets"], "strength_sets")
report.rejected, report.flags
```

`truth*` files and this README are skipped by `sol.read_folder`.
""".replace("{'PATH'}", "PATH")
