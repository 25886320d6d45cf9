"""Large canonical inputs for the benchmarks, made fast and deterministically."""

from __future__ import annotations

import numpy as np
import pandas as pd

_NAMES = np.array(
    [
        "Seated Calf Raise (Machine)",
        "Standing Calf Raise (Smith Machine)",
        "Squat (Barbell)",
        "Soleus Walk",
        "Calf Press on Leg Press",
        "Horse Stance Calf Raise",
    ]
)


def large_strength_sets(n_rows: int, *, bad_share: float = 0.001, rng=None) -> pd.DataFrame:
    """Canonical strength sets at scale, with a share of bad rows of three kinds.

    Athletes of about 1,000 sets each; sessions of 9 sets (3 exercises x 3 sets) every few days.
    Bad rows: a third negative reps, a third a 900 kg load, a third an exact duplicate key of the
    row before (same athlete, session, exercise and set number).
    """
    gen = np.random.default_rng(rng)
    n = int(n_rows)
    i = np.arange(n)
    session = i // 9
    n_athletes = max(1, n // 1000)
    athlete = session % n_athletes
    day = session // n_athletes
    start = (
        pd.Timestamp("2023-01-02 06:00", tz="UTC").as_unit("us")
        + pd.to_timedelta(day * 2, unit="D")
        + pd.to_timedelta((athlete * 37) % 720, unit="min")
    )
    exercise = (session * 3 + (i % 9) // 3) % len(_NAMES)
    df = pd.DataFrame(
        {
            "athlete_id": pd.array(np.char.add("ath", athlete.astype("U7")), dtype="str"),
            "session_start": start,
            "exercise_raw": pd.array(_NAMES[exercise], dtype="str"),
            "set_index": pd.array(i % 3, dtype="Int64"),
            "set_type": pd.array(np.where(i % 3 == 0, "warmup", "working"), dtype="str"),
            "reps": gen.integers(6, 20, n).astype("float64"),
            "load_kg": 2.5 * gen.integers(4, 40, n).astype("float64"),
            "duration_s": np.full(n, np.nan),
            "distance_m": np.full(n, np.nan),
            "rpe": gen.integers(6, 11, n).astype("float64"),
            "timezone": pd.array(np.full(n, "Europe/Oslo"), dtype="str"),
        }
    )
    bad = np.sort(gen.choice(np.arange(1, n), int(n * bad_share), replace=False))
    kind = bad % 3
    df.loc[bad[kind == 0], "reps"] = -1.0
    df.loc[bad[kind == 1], "load_kg"] = 900.0
    dup = bad[kind == 2]
    key = ["athlete_id", "session_start", "exercise_raw", "set_index"]
    df.loc[dup, key] = df.loc[dup - 1, key].to_numpy()
    return df
