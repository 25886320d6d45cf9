"""Valid canonical tables for tests: small, deterministic, easy to break one cell at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd

EXERCISES = [
    "Seated Calf Raise (Machine)",
    "Standing Calf Raise (Smith Machine)",
    "Squat (Barbell)",
]


def strength_sets(
    n_sessions: int = 4, *, sets_per_exercise: int = 3, seed: int = 0
) -> pd.DataFrame:
    """Sets of three exercises per session, sessions two days apart, loads on a 2.5 kg grid."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-03-04 07:00", tz="UTC")
    for s in range(n_sessions):
        when = start + pd.Timedelta(days=2 * s)
        for exercise in EXERCISES:
            for k in range(sets_per_exercise):
                rows.append(
                    {
                        "athlete_id": "a1",
                        "session_start": when,
                        "workout_name": "Calves",
                        "exercise_raw": exercise,
                        "set_index": k,
                        "set_type": "warmup" if k == 0 else "working",
                        "reps": float(rng.integers(8, 20)),
                        "load_kg": 2.5 * float(rng.integers(8, 30)),
                        "duration_s": np.nan,
                        "distance_m": np.nan,
                        "rpe": 8.0,
                        "timezone": "Europe/Oslo",
                        "source": "test",
                    }
                )
    return pd.DataFrame(rows)


def runs(n: int = 5) -> pd.DataFrame:
    """Easy runs one day apart."""
    start = pd.Timestamp("2024-03-04 17:00", tz="UTC")
    return pd.DataFrame(
        {
            "athlete_id": "a1",
            "start": [start + pd.Timedelta(days=i) for i in range(n)],
            "distance_m": [8000.0 + 500 * i for i in range(n)],
            "moving_time_s": [2700.0 + 150 * i for i in range(n)],
            "elapsed_time_s": [2800.0 + 150 * i for i in range(n)],
            "avg_hr_bpm": [145.0] * n,
            "max_hr_bpm": [170.0] * n,
            "timezone": "Europe/Oslo",
        }
    )


def sessions(n: int = 4) -> pd.DataFrame:
    start = pd.Timestamp("2024-03-04 17:00", tz="UTC")
    return pd.DataFrame(
        {
            "athlete_id": "a1",
            "start": [start + pd.Timedelta(days=i) for i in range(n)],
            "activity": ["running", "strength", "running", "soccer"][:n],
            "duration_s": [2700.0, 3600.0, 1800.0, 5400.0][:n],
            "rpe": [5.0, 7.0, 4.0, 6.0][:n],
        }
    )


def wellness(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "athlete_id": "a1",
            "date": pd.date_range("2024-03-04", periods=n, freq="D").as_unit("us"),
            "fatigue": [3.0] * n,
            "soreness": [2.0] * n,
            "readiness": [7.0] * n,
            "sleep_duration_h": [7.5] * n,
        }
    )


def athletes(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "athlete_id": [f"a{i + 1}" for i in range(n)],
            "sex": ["F", "M", "X"][:n],
            "body_mass_kg": [61.0, 74.5, 68.0][:n],
            "timezone": ["Europe/Oslo", "America/Los_Angeles", "UTC"][:n],
        }
    )


def athlete_week(n_weeks: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "athlete_id": "a1",
            "week_start": pd.date_range("2024-03-04", periods=n_weeks, freq="7D").as_unit("us"),
            "soleus_sets": [0.0, 6.0, 9.0, 12.0][:n_weeks],
            "run_distance_km": [30.0, 32.5, 35.0, 28.0][:n_weeks],
        }
    )


TABLE_FACTORIES = {
    "strength_sets": strength_sets,
    "runs": runs,
    "sessions": sessions,
    "wellness": wellness,
    "athletes": athletes,
    "athlete_week": athlete_week,
}
