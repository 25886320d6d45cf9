"""Panel build from 10M set rows against an equivalent polars query (goal 2 of issue 8).

Goal: ``sol.build_panel(sets, athletes=athletes)`` (dose per set, athlete-week aggregation, the
weekly grid, lags, within/between split, schema check) within 1.5x of an equivalent polars query
run in the same benchmark.

The polars reference does the same work on the same data, already converted to polars frames
outside the timing (``pl.from_pandas`` of the 10M rows costs about 1 s more), and gets the exercise
classification for free (a join on the names' soleus and body-mass shares made by our catalog):

1. per set: soleus share and body-mass share of the exercise, hard / work set from ``set_type``,
   the local date in the row's own time zone (one ``convert_time_zone`` per zone, chosen per row
   with ``when/then``), the Monday of that week, soleus sets, reps, volume load (reps x (load +
   share_bw x body mass) x share), time under tension, distance and calf sets;
2. per athlete and week: their sums and the number of distinct sessions;
3. the complete weekly grid of each athlete (weeks without sets are 0);
4. lags 1-4 of soleus sets, reps, volume, time under tension and calf sets, on the grid;
5. within/between split (athlete mean, deviation) of the 7 dose exposures and the 20 lags.

Both results are compared (weeks, total soleus sets, total volume, a lag and a within column).
The data are the simulator's strength sets scaled up (``benchmarks/_data.py``), all valid, in the
order an export has them (athlete by athlete, sets of a session adjacent; ``sol.build_panel``
works once per run of adjacent equal rows where it can). ``--shuffle`` shuffles the rows first, to
measure the case without that order.

Usage: python -m benchmarks.bench_dose [--rows 10000000] [--repeats 3] [--shuffle]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

import soleus_analysis as sol
from benchmarks._common import emit, goal, in_child, load_average
from benchmarks._data import simulated_sets

DOSE = ["soleus_sets", "soleus_reps", "soleus_volume_kg", "soleus_tut_s", "soleus_distance_m",
        "calf_sets", "strength_sessions"]
LAGGED = ["soleus_sets", "soleus_reps", "soleus_volume_kg", "soleus_tut_s", "calf_sets"]
LAGS = (1, 2, 3, 4)


def _shares(names: pd.Series):
    import polars as pl

    classes = sol.classify_exercises(pd.Series(names.unique()))
    return pl.DataFrame(
        {
            "exercise_raw": classes["name"].astype(str).tolist(),
            "share": classes["soleus_share"].astype(float).to_numpy(),
            "bw_share": classes["body_mass_share"].astype(float).to_numpy(),
            "calf": (
                classes["plantar_flexor"].fillna(False) & classes["is_training"].fillna(False)
            ).to_numpy(dtype=bool),
        }
    )


def to_polars(sets: pd.DataFrame, athletes: pd.DataFrame) -> tuple:
    """The reference's inputs as polars frames, and the classification of the names."""
    import polars as pl

    frame = pl.from_pandas(
        sets[["athlete_id", "session_start", "exercise_raw", "set_type", "reps", "load_kg",
              "duration_s", "distance_m", "timezone"]]
    )
    mass = pl.from_pandas(athletes[["athlete_id", "body_mass_kg"]])
    return frame, mass, _shares(sets["exercise_raw"])


def polars_panel(frame, mass, shares):
    """The panel's strength part in polars (see the module docstring); a polars DataFrame."""
    import polars as pl

    hard = pl.col("set_type").is_in(["working", "failure"])
    work = pl.col("set_type").is_in(["working", "failure", "drop"])
    base = (
        frame.lazy()
        .join(shares.lazy(), on="exercise_raw", how="left")
        .join(mass.lazy(), on="athlete_id", how="left")
    )
    # The local date in each row's own zone: polars converts a column to one zone at a time, so
    # one conversion per zone, picked row by row (faster than filtering and concatenating).
    local = None
    for zone in frame["timezone"].unique().sort().to_list():
        date = (
            pl.col("session_start").dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.date()
        )
        is_zone = pl.col("timezone") == zone
        local = pl.when(is_zone).then(date) if local is None else local.when(is_zone).then(date)
    weekly = (
        base.with_columns(local=local)
        .with_columns(
            week_start=pl.col("local") - pl.duration(days=pl.col("local").dt.weekday() - 1),
            moved=pl.when(pl.col("bw_share") > 0).then(pl.col("load_kg").fill_null(0.0)).otherwise(
                pl.col("load_kg")) + pl.col("bw_share") * pl.col("body_mass_kg"),
        )
        .group_by(["athlete_id", "week_start"])
        .agg(
            soleus_sets=pl.when(hard).then(pl.col("share")).otherwise(0.0).sum(),
            soleus_reps=pl.when(work).then(pl.col("reps") * pl.col("share")).otherwise(0.0).sum(),
            soleus_volume_kg=pl.when(work & pl.col("reps").is_not_null() & (pl.col("share") > 0))
            .then(pl.col("reps") * pl.col("moved") * pl.col("share"))
            .otherwise(0.0)
            .sum(),
            soleus_tut_s=pl.when(work).then(pl.col("duration_s") * pl.col("share")).otherwise(0.0)
            .sum(),
            soleus_distance_m=pl.when(work).then(pl.col("distance_m") * pl.col("share"))
            .otherwise(0.0).sum(),
            calf_sets=(hard & pl.col("calf")).cast(pl.Float64).sum(),
            strength_sessions=pl.col("session_start").n_unique().cast(pl.Float64),
        )
    )
    grid = (
        weekly.group_by("athlete_id")
        .agg(first=pl.col("week_start").min(), last=pl.col("week_start").max())
        .with_columns(week_start=pl.date_ranges("first", "last", interval="1w"))
        .explode("week_start")
        .select("athlete_id", "week_start")
    )
    panel = (
        grid.join(weekly, on=["athlete_id", "week_start"], how="left")
        .with_columns([pl.col(c).fill_null(0.0) for c in DOSE])
        .sort(["athlete_id", "week_start"])
        .with_columns(
            [
                pl.col(c).shift(k).over("athlete_id").alias(f"{c}_lag{k}")
                for c in LAGGED
                for k in LAGS
            ]
        )
    )
    split = DOSE + [f"{c}_lag{k}" for c in LAGGED for k in LAGS]
    panel = panel.with_columns(
        [pl.col(c).mean().over("athlete_id").alias(f"{c}_between") for c in split]
    ).with_columns([(pl.col(c) - pl.col(f"{c}_between")).alias(f"{c}_within") for c in split])
    return panel.collect()


def _summary(panel) -> dict:
    get = (lambda c: panel[c].to_numpy()) if not isinstance(panel, pd.DataFrame) else (
        lambda c: panel[c].to_numpy(dtype=float))
    return {
        "weeks": len(get("soleus_sets")),
        "soleus_sets": round(float(np.nansum(get("soleus_sets"))), 3),
        "volume": round(float(np.nansum(get("soleus_volume_kg"))), 0),
        "sets_lag2": round(float(np.nansum(get("soleus_sets_lag2"))), 3),
        "abs_sets_within": round(float(np.nansum(np.abs(get("soleus_sets_within")))), 2),
    }


POLARS = "polars query (classification given)"
PANEL = "sol.build_panel(sets, athletes=athletes)"
WEEKLY = "sol.weekly_dose(sets, athletes) (weekly dose only)"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shuffle", action="store_true", help="rows in random order")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    simulated_sets(args.rows, bad_share=0.0)  # made once, cached

    def setup():
        sets, athletes, _ = simulated_sets(args.rows, bad_share=0.0)
        if args.shuffle:
            order = np.random.default_rng(0).permutation(len(sets))
            sets = sets.take(order).reset_index(drop=True)
        sol.build_panel(sets.head(2000), athletes=athletes)  # one-off imports outside the timing
        polars_panel(*to_polars(sets.head(2000), athletes))
        return sets, athletes, to_polars(sets, athletes)

    def ours(data):
        return _summary(sol.build_panel(data[0], athletes=data[1]))

    def weekly(data):
        w = sol.weekly_dose(data[0], data[1])
        return {"weeks with sets": len(w), "soleus_sets": round(float(w["soleus_sets"].sum()), 3)}

    def reference(data):
        return _summary(polars_panel(*data[2]))

    methods = [(POLARS, reference), (PANEL, ours), (WEEKLY, weekly)]
    runs: dict[str, list[dict]] = {name: [] for name, _ in methods}
    for _ in range(args.repeats):
        for name, work in methods:  # interleaved, so that a noisy minute hits every method
            runs[name].append(in_child(setup, work))
    rows, best, med, cpu = [], {}, {}, {}
    for name, _ in methods:
        times = sorted(r["seconds"] for r in runs[name])
        best[name], med[name] = times[0], float(np.median(times))
        cpu[name] = min(r["cpu_seconds"] for r in runs[name])
        rows.append({
            "method": name,
            "seconds (min)": f"{best[name]:.2f}",
            "seconds (median)": f"{med[name]:.2f}",
            "all runs [s]": ", ".join(f"{t:.2f}" for t in times),
            "CPU seconds (min)": f"{cpu[name]:.2f}",
            "peak RSS MB": f"{max(r['rss_peak_mb'] for r in runs[name]):.0f}",
            "result": runs[name][-1]["out"],
        })
    a, b = runs[PANEL][-1]["out"], runs[POLARS][-1]["out"]
    same = all(np.isclose(a[k], b[k], rtol=1e-6) for k in a)
    ratio = best[PANEL] / best[POLARS]
    notes = [
        f"{args.rows:,} set rows (simulated cohort scaled up, 7 time zones)"
        + (", rows shuffled" if args.shuffle else ", in export order"),
        f"build_panel / polars = {ratio:.2f} by min time, {med[PANEL] / med[POLARS]:.2f} by "
        f"median, {cpu[PANEL] / cpu[POLARS]:.2f} by CPU time (goal <= 1.5); polars uses both "
        "cores, build_panel one",
        f"weekly_dose / polars = {best[WEEKLY] / best[POLARS]:.2f} by min time",
        f"same weeks and totals: {same}",
        f"load average when done: {load_average()} (2 cores)",
    ]
    goals = [
        goal("2", f"panel build from {args.rows / 1e6:g}M set rows vs polars"
             + (" (rows shuffled)" if args.shuffle else ""),
             f"{best[PANEL]:.2f} s", f"{best[POLARS]:.2f} s (polars)", ratio, "<= 1.5",
             ratio <= 1.5 and same),
    ]
    emit("Panel build (goal 2)", rows, notes, goals)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
