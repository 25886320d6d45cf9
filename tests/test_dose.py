import math

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.errors import InputError

NAN = np.nan


def _sets(rows, athlete="a", start="2024-05-06T07:00Z", zone="Europe/Oslo"):
    out = []
    for k, (name, set_type, reps, load, duration, distance) in enumerate(rows):
        out.append(
            {
                "athlete_id": athlete,
                "session_start": pd.Timestamp(start),
                "exercise_raw": name,
                "set_index": k,
                "set_type": set_type,
                "reps": reps,
                "load_kg": load,
                "duration_s": duration,
                "distance_m": distance,
                "rpe": NAN,
                "timezone": zone,
                "source_file": f"{athlete}.csv",
                "source_row": k + 2,
            }
        )
    return out


@pytest.fixture
def sets():
    rows = _sets(
        [
            ("Seated Calf Raise (Machine)", "warmup", 20, 20, NAN, NAN),
            ("Seated Calf Raise (Machine)", "working", 15, 40, NAN, NAN),
            ("Seated Calf Raise (Machine)", "drop", 10, 25, NAN, NAN),
            ("Single Leg Standing Calf Raise", "failure", 12, NAN, NAN, NAN),
            ("Soleus Walk", "working", NAN, NAN, 60, 40),
            ("Calf Wall", "working", NAN, NAN, 30, NAN),
            ("Mystery Machine", "working", 10, 50, NAN, NAN),
            ("Squat (Barbell)", "working", 5, 100, NAN, NAN),
        ]
    )
    # Monday 00:30 in Oslo (next week), and Sunday 22:00 in Oslo (this week).
    rows += _sets([("Seated Calf Raise", "working", 20, 30, NAN, NAN)], start="2024-05-12T22:30Z")
    rows += _sets([("Jump Rope", "working", NAN, NAN, 120, NAN)], start="2024-05-12T20:00Z")
    rows += _sets(
        [
            ("Single Leg Standing Calf Raise", "working", 10, 10, NAN, NAN),
            ("Calf Press (Machine)", "working", 10, NAN, NAN, NAN),
        ],
        athlete="b",
    )
    df = pd.DataFrame(rows)
    df["session_start"] = df["session_start"].dt.as_unit("us")
    return df


@pytest.fixture
def athletes():
    return pd.DataFrame({"athlete_id": ["a", "b"], "body_mass_kg": [70.0, NAN]})


def test_per_set_dose_matches_hand_computation(sets, athletes):
    d = sol.soleus_dose(sets, athletes)
    cols = [
        "soleus_sets",
        "soleus_reps",
        "soleus_volume_kg",
        "soleus_tut_s",
        "soleus_distance_m",
        "calf_sets",
    ]
    expected = [
        [0, 0, 0, 0, 0, 0],  # warm-up: nothing
        [0.85, 12.75, 510.0, 0, 0, 1],  # 15 x 40 kg x 0.85
        [0, 8.5, 212.5, 0, 0, 0],  # drop set: work, not a new set
        [0.65, 7.8, 546.0, 0, 0, 1],  # 12 x (0 + 1.0 x 70 kg) x 0.65
        [0.75, 0, 0, 45.0, 30.0, 1],  # walk: 60 s and 40 m x 0.75
        [0, 0, 0, 0, 0, 0],  # Calf Wall: a stretch
        [NAN] * 6,  # unknown name: missing, not 0
        [0, 0, 0, 0, 0, 0],  # squat: share 0
        [0.85, 17.0, 510.0, 0, 0, 1],  # 20 x 30 kg x 0.85
        [0.65, 0, 0, 78.0, 0, 1],  # jump rope 120 s x 0.65
        [0.65, 6.5, NAN, 0, 0, 1],  # body mass unknown: volume missing
        [0.65, 6.5, NAN, 0, 0, 1],  # machine without a load: volume missing
    ]
    np.testing.assert_allclose(d[cols].to_numpy(dtype=float), np.array(expected, dtype=float))
    assert d["mapped"].tolist() == [True] * 6 + [False] + [True] * 5
    assert d["hard_set"].tolist()[:4] == [False, True, False, True]
    assert d.index.tolist() == list(range(12))
    assert d.index.name == "row"


def test_weeks_are_local_and_weekly_sums_match(sets, athletes):
    d = sol.soleus_dose(sets, athletes)
    assert d["week_start"].dt.strftime("%m-%d").tolist() == ["05-06"] * 8 + [
        "05-13",
        "05-06",
        "05-06",
        "05-06",
    ]
    w = sol.weekly(d)
    assert list(w.columns) == ["athlete_id", "week_start", *sol.dose.WEEKLY_DOSE_COLUMNS]
    a1 = w[(w["athlete_id"] == "a") & (w["week_start"] == "2024-05-06")].iloc[0]
    assert a1["soleus_sets"] == pytest.approx(0.85 + 0.65 + 0.75 + 0.65)
    assert a1["soleus_reps"] == pytest.approx(12.75 + 8.5 + 7.8)
    assert a1["soleus_volume_kg"] == pytest.approx(510 + 212.5 + 546)
    assert a1["soleus_tut_s"] == pytest.approx(45 + 78)
    assert a1["soleus_distance_m"] == pytest.approx(30)
    assert a1["calf_sets"] == 4
    assert a1["strength_sessions"] == 2 and a1["sets_logged"] == 9 and a1["unmapped_sets"] == 1
    a2 = w[(w["athlete_id"] == "a") & (w["week_start"] == "2024-05-13")].iloc[0]
    assert a2["soleus_volume_kg"] == pytest.approx(510) and a2["strength_sessions"] == 1
    b = w[w["athlete_id"] == "b"].iloc[0]
    assert math.isnan(b["soleus_volume_kg"])  # never a partial sum
    assert b["soleus_sets"] == pytest.approx(1.3)
    assert w[["athlete_id", "week_start"]].apply(tuple, axis=1).tolist() == sorted(
        w[["athlete_id", "week_start"]].apply(tuple, axis=1).tolist()
    )


def test_volume_without_body_mass_is_missing_for_body_weight_work(sets):
    d = sol.soleus_dose(sets)  # no athletes table
    assert math.isnan(d.loc[3, "soleus_volume_kg"])
    assert d.loc[1, "soleus_volume_kg"] == pytest.approx(510)  # seated: body mass not needed
    assert math.isnan(sol.weekly(d).loc[0, "soleus_volume_kg"])
    assert "2 body-weight set(s) of 2 athlete(s) (a, b)" in d.attrs["notes"][0]
    assert (
        sol.soleus_dose(
            sets, pd.DataFrame({"athlete_id": ["a", "b"], "body_mass_kg": [70.0, 60.0]})
        ).attrs["notes"]
        == []
    )


def test_provenance_traces_every_weekly_number_to_its_sets(sets, athletes):
    d = sol.soleus_dose(sets, athletes)
    w = sol.weekly(d).set_index(["athlete_id", "week_start"])
    prov = sol.dose_provenance(d)
    assert len(prov) == len(sets)
    sums = prov.groupby(["athlete_id", "week_start"])[list(sol.dose.DOSE_COLUMNS)].sum(min_count=1)
    for col in ["soleus_sets", "soleus_reps", "soleus_tut_s", "soleus_distance_m", "calf_sets"]:
        np.testing.assert_allclose(sums[col].to_numpy(), w.loc[sums.index, col].to_numpy())
    row = prov[(prov["exercise_raw"] == "Jump Rope")].iloc[0]
    assert (row["source_file"], row["source_row"], row["row"]) == ("a.csv", 2, 9)
    assert str(row["week_start"].date()) == "2024-05-06"


def test_weekly_dose_shortcut_equals_weekly_of_soleus_dose(sets, athletes):
    pd.testing.assert_frame_equal(
        sol.weekly_dose(sets, athletes), sol.weekly(sol.soleus_dose(sets, athletes))
    )


def test_weekly_does_not_depend_on_row_order(sets, athletes):
    w = sol.weekly(sol.soleus_dose(sets, athletes))
    for seed in range(5):
        shuffled = sets.sample(frac=1.0, random_state=seed)
        w2 = sol.weekly(sol.soleus_dose(shuffled, athletes))
        pd.testing.assert_frame_equal(w, w2, check_exact=True)  # bit-identical sums


def test_a_canonical_exercise_column_wins_over_the_raw_name(sets, athletes):
    sets = sets.copy()
    sets["exercise"] = None
    sets.loc[6, "exercise"] = "seated_calf_raise"  # "Mystery Machine" classified by a reader
    sets.loc[7, "exercise"] = "not_an_id"  # ignored: the raw name decides
    d = sol.soleus_dose(sets, athletes)
    assert d.loc[6, "exercise"] == "seated_calf_raise" and d.loc[6, "soleus_sets"] == pytest.approx(
        0.85
    )
    assert d.loc[7, "exercise"] == "squat"


def test_zone_falls_back_to_the_athletes_table_then_tz(sets, athletes):
    sets = sets.drop(columns="timezone")
    one = sets.iloc[[8]]  # 2024-05-12 22:30 UTC
    assert sol.soleus_dose(one)["week_start"].iloc[0] == pd.Timestamp("2024-05-06")
    zoned = athletes.assign(timezone=["Europe/Oslo", None])
    assert sol.soleus_dose(one, zoned)["week_start"].iloc[0] == pd.Timestamp("2024-05-13")
    assert sol.soleus_dose(one, tz="Asia/Tokyo")["week_start"].iloc[0] == pd.Timestamp("2024-05-13")


def test_missing_columns_and_wrong_input():
    with pytest.raises(InputError, match="lacks the column"):
        sol.soleus_dose(pd.DataFrame({"athlete_id": ["a"]}))
    with pytest.raises(TypeError):
        sol.soleus_dose([1, 2])
    with pytest.raises(InputError, match="per-set table"):
        sol.weekly(pd.DataFrame({"athlete_id": ["a"]}))


def _reference_weekly(sets, body_mass, catalog):
    """Straightforward per-row loop over the definitions in dose.py (independent of its numpy
    code)."""
    table = catalog.exercises.set_index("exercise")
    out = {}
    for rec in sets.to_dict(orient="records"):
        local = rec["session_start"].tz_convert(rec["timezone"]).tz_localize(None).normalize()
        week = local - pd.Timedelta(days=local.weekday())
        key = (rec["athlete_id"], week)
        acc = out.setdefault(
            key,
            dict(
                soleus_sets=0.0,
                soleus_reps=0.0,
                soleus_volume_kg=0.0,
                soleus_tut_s=0.0,
                calf_sets=0.0,
                unmapped_sets=0,
                sessions=set(),
            ),
        )
        acc["sessions"].add(rec["session_start"])
        ex = catalog.resolve(rec["exercise_raw"])
        if ex is None:
            acc["unmapped_sets"] += 1
            continue
        row = table.loc[ex]
        share, f = row["soleus_share"], row["body_mass_share"]
        hard = rec["set_type"] in ("working", "failure")
        work = hard or rec["set_type"] == "drop"
        if hard:
            acc["soleus_sets"] += share
            if row["plantar_flexor"] and row["is_training"]:
                acc["calf_sets"] += 1
        if work and not math.isnan(rec["reps"]):
            acc["soleus_reps"] += rec["reps"] * share
            if share > 0:
                load = rec["load_kg"]
                if math.isnan(load) and f > 0:
                    load = 0.0
                bm = body_mass.get(rec["athlete_id"], math.nan)
                acc["soleus_volume_kg"] += rec["reps"] * (load + (f * bm if f > 0 else 0.0)) * share
        if work and not math.isnan(rec["duration_s"]):
            acc["soleus_tut_s"] += rec["duration_s"] * share
    return out


def test_vectorised_dose_agrees_with_a_row_by_row_reference():
    rng = np.random.default_rng(11)
    names = [
        "Seated Calf Raise (Machine)",
        "Standing Calf Raise (Smith Machine)",
        "Calf Wall",
        "Pogo Hops",
        "Soleus Walk",
        "Horse Stance Calf Raise",
        "Bench Press (Barbell)",
        "Calf Thing 2000",
        "calf_raise/single_leg_bent_knee_calf_raise",
        "Donkey Calf Raise",
    ]
    n = 600
    starts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 60 * 24 * 90, n), unit="min"
    )
    sets = pd.DataFrame(
        {
            "athlete_id": rng.choice(["a", "b", "c"], n),
            "session_start": pd.Series(starts).dt.floor("h").dt.as_unit("us"),
            "exercise_raw": rng.choice(names, n),
            "set_type": rng.choice(
                ["working", "warmup", "drop", "failure"], n, p=[0.6, 0.15, 0.1, 0.15]
            ),
            "reps": np.where(rng.random(n) < 0.8, rng.integers(5, 30, n).astype(float), NAN),
            "load_kg": np.where(rng.random(n) < 0.7, 2.5 * rng.integers(0, 40, n), NAN),
            "duration_s": np.where(
                rng.random(n) < 0.3, rng.integers(20, 120, n).astype(float), NAN
            ),
            "distance_m": NAN,
            "timezone": rng.choice(["Europe/Oslo", "America/Los_Angeles", "Australia/Sydney"], n),
        }
    )
    body = {"a": 61.0, "b": 80.0}  # c has no body mass
    athletes = pd.DataFrame({"athlete_id": ["a", "b", "c"], "body_mass_kg": [61.0, 80.0, NAN]})
    cat = sol.load_catalog()
    got = sol.weekly(sol.soleus_dose(sets, athletes, cat)).set_index(["athlete_id", "week_start"])
    ref = _reference_weekly(sets, body, cat)
    assert len(got) == len(ref)
    for key, acc in ref.items():
        row = got.loc[key]
        for col in ["soleus_sets", "soleus_reps", "soleus_tut_s", "calf_sets"]:
            assert row[col] == pytest.approx(acc[col]), (key, col)
        if math.isnan(acc["soleus_volume_kg"]):
            assert math.isnan(row["soleus_volume_kg"]), key
        else:
            assert row["soleus_volume_kg"] == pytest.approx(acc["soleus_volume_kg"]), key
        assert row["unmapped_sets"] == acc["unmapped_sets"]
        assert row["strength_sessions"] == len(acc["sessions"])


def test_weekly_sums_are_bit_identical_for_any_order_of_many_sets():
    rng = np.random.default_rng(5)
    n = 5000
    sets = pd.DataFrame(
        {
            "athlete_id": rng.choice(["a", "b"], n),
            "session_start": (
                pd.Timestamp("2024-01-01", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
            ).as_unit("us"),
            "exercise_raw": rng.choice(
                ["Seated Calf Raise", "Single Leg Standing Calf Raise", "Pogo Hops"], n
            ),
            "set_type": "working",
            "reps": rng.integers(5, 30, n).astype(float),
            "load_kg": rng.uniform(0, 100, n).round(3),
            "duration_s": rng.uniform(10, 60, n),
        }
    )
    athletes = pd.DataFrame({"athlete_id": ["a", "b"], "body_mass_kg": [63.3, 77.7]})
    w = sol.weekly(sol.soleus_dose(sets, athletes))
    for seed in range(3):
        shuffled = sets.sample(frac=1.0, random_state=seed)
        pd.testing.assert_frame_equal(
            sol.weekly(sol.soleus_dose(shuffled, athletes)), w, check_exact=True
        )


def test_programme_start_finds_the_simulated_programme_group_and_its_start():
    cohort = sol.simulate_cohort(16, 20, rng=4)
    dose = sol.soleus_dose(cohort.strength_sets, cohort.athletes)
    out = sol.programme_start(dose, athletes=cohort.athletes["athlete_id"]).set_index("athlete_id")
    truth = cohort.truth
    group = truth.groupby("athlete_id")["group"].first()
    assert len(out) == 16  # athletes without any set are listed too
    expected = group.map({"soleus": "soleus programme", "control": "no programme"})
    pd.testing.assert_series_equal(out["group"], expected, check_names=False)
    # the start is the first programme week in which a bent-knee set was actually logged
    started = truth[(truth["programme_week"] >= 0) & (truth["soleus_sets"] > 0)]
    first = started.groupby("athlete_id")["week_start"].min()
    on = out.loc[first.index, "programme_start"]
    assert (on.to_numpy() == pd.to_datetime(first).to_numpy(dtype="datetime64[us]")).all()
    assert out.loc[group[group == "control"].index, "programme_start"].isna().all()


def test_programme_start_needs_enough_weeks_of_bent_knee_work():
    rows = _sets([("Seated Calf Raise", "working", 15, 20, NAN, NAN)])
    rows += _sets([("Standing Calf Raise", "working", 15, 20, NAN, NAN)], athlete="b")
    dose = sol.soleus_dose(pd.DataFrame(rows))
    assert sol.programme_start(dose)["group"].tolist() == ["no programme"] * 2
    once = sol.programme_start(dose, min_weeks=1).set_index("athlete_id")
    assert once.loc["a", "group"] == "soleus programme"
    assert once.loc["b", "group"] == "no programme"  # straight-knee raises only
    with pytest.raises(InputError, match="per-set table"):
        sol.programme_start(pd.DataFrame(rows))
