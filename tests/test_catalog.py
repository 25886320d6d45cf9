import fitdecode
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.errors import InputError

SHARED_IDS = [
    "slant_board_single_leg_squat",
    "seated_calf_raise",
    "soleus_walk",
    "soleus_walk_farmers_carry",
    "soleus_walk_suitcase_carry",
    "horse_stance_calf_raise",
    "bent_knee_calf_raise",
    "single_leg_bent_knee_calf_raise",
    "standing_calf_raise",
    "single_leg_standing_calf_raise",
    "calf_press_leg_press",
    "donkey_calf_raise",
    "jump_rope",
    "pogo_hops",
]
NOT_TRAINING = ["calf_stretch", "calf_massage", "calf_foam_roll"]


@pytest.fixture(scope="module")
def catalog():
    return sol.load_catalog()


def test_shipped_catalog_has_every_shared_id_with_stated_assumptions(catalog):
    ex = catalog.exercises.set_index("exercise")
    for name in SHARED_IDS:
        row = ex.loc[name]
        assert row["plantar_flexor"] and row["is_training"], name
        assert row["knee_position"] in {"bent", "straight", "mixed"}, name
        assert 0 < row["soleus_share"] <= 1, name
        assert row["dose_unit"] in {"reps", "seconds", "metres"}, name
        assert row["source"], name
        assert len(row["rationale"]) > 30, name
    for name in NOT_TRAINING:
        assert not ex.loc[name, "is_training"] and ex.loc[name, "soleus_share"] == 0
    # Every row says where its numbers come from: a citation with a year, or "judgement".
    assert catalog.exercises["source"].str.contains(r"judgement|\d{4}").all()


def test_bent_knee_shares_exceed_straight_knee_shares(catalog):
    calf = catalog.exercises[catalog.exercises["plantar_flexor"] & catalog.exercises["is_training"]]
    bent = calf.loc[calf["knee_position"] == "bent", "soleus_share"]
    straight = calf.loc[calf["knee_position"] == "straight", "soleus_share"]
    assert bent.min() > straight.max()
    ex = catalog.exercises.set_index("exercise")
    # The body is not lifted in a seated raise or on a leg press; a single-leg raise lifts all
    # of it.
    assert ex.loc["seated_calf_raise", "body_mass_share"] == 0
    assert ex.loc["calf_press_leg_press", "body_mass_share"] == 0
    assert ex.loc["single_leg_standing_calf_raise", "body_mass_share"] == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Seated Calf Raise (Machine)", "seated_calf_raise"),
        ("Seated Calf Raise (Plate Loaded)", "seated_calf_raise"),
        ("Standing Calf Raise (Machine)", "standing_calf_raise"),
        ("Standing Calf Raise (Smith Machine)", "standing_calf_raise"),
        ("Standing Calf Raise (Dumbbell)", "standing_calf_raise"),
        ("Calf Press (Machine)", "calf_press_leg_press"),
        ("Calf Press on Leg Press", "calf_press_leg_press"),
        ("Single Leg Standing Calf Raise", "single_leg_standing_calf_raise"),
        ("Seated Calf Raise", "seated_calf_raise"),
        ("  seated   CALF raises ", "seated_calf_raise"),
        ("Seated calf-raise (machine)", "seated_calf_raise"),
        ("Calf Wall", "calf_stretch"),
        ("Calf Rubs", "calf_massage"),
        ("calf_raise/seated_calf_raise", "seated_calf_raise"),
        ("calf_raise/weighted_seated_calf_raise", "seated_calf_raise"),
        ("calf_raise/single_leg_bent_knee_calf_raise", "single_leg_bent_knee_calf_raise"),
        ("single_leg_bent_knee_calf_raise", "single_leg_bent_knee_calf_raise"),
        ("carry/farmers_walk_on_toes", "soleus_walk_farmers_carry"),
        ("carry/farmers_walk", "farmers_carry"),
        ("cardio/jump_rope", "jump_rope"),
        ("warm_up/stretch_calf", "calf_stretch"),
        ("Soleus Walk with Suitcase Carry", "soleus_walk_suitcase_carry"),
        ("Farmer's Walk on Toes", "soleus_walk_farmers_carry"),
        ("Horse Stance Alternating Calf Raises", "horse_stance_calf_raise"),
        ("Slant Board Heel Elevated Single Leg Squat", "slant_board_single_leg_squat"),
        ("Pogo Hops", "pogo_hops"),
        ("Wadenheben im Sitzen (Maschine)", "seated_calf_raise"),
        ("Einbeiniges Wadenheben", "single_leg_standing_calf_raise"),
        ("Wadendrücken an der Beinpresse", "calf_press_leg_press"),
        ("Seilspringen", "jump_rope"),
        ("Squat (Barbell)", "squat"),
        ("Leg Press", "leg_press"),
    ],
)
def test_names_seen_in_exports_map_to_canonical_exercises(name, expected, catalog):
    assert catalog.resolve(name) == expected


def test_every_garmin_calf_raise_and_carry_name_is_known(catalog):
    profile = fitdecode.profile.FIELD_TYPES
    names = [f"calf_raise/{n}" for n in profile["calf_raise_exercise_name"].enum.values()]
    names += [f"carry/{n}" for n in profile["carry_exercise_name"].enum.values()]
    out = sol.classify_exercises(names, catalog)
    assert out["mapped"].all(), out.loc[~out["mapped"], "name"].tolist()
    # Bent-knee FIT names land on bent-knee exercises, straight-knee ones on straight-knee ones.
    knee = dict(zip(out["name"], out["knee_position"], strict=True))
    assert knee["calf_raise/seated_calf_raise"] == "bent"
    assert knee["calf_raise/weighted_single_leg_bent_knee_calf_raise"] == "bent"
    assert knee["calf_raise/standing_calf_raise"] == "straight"
    assert knee["calf_raise/single_leg_standing_calf_raise"] == "straight"


def test_classify_returns_one_row_per_name_with_the_documented_columns(catalog):
    names = pd.Series(
        ["Calf Wall", "Seated Calf Raise", "Zumba", None, "Calf Wall"], index=[5, 6, 7, 8, 9]
    )
    out = sol.classify_exercises(names, catalog)
    assert list(out.columns[:7]) == [
        "name",
        "exercise",
        "knee_position",
        "soleus_share",
        "dose_unit",
        "is_training",
        "mapped",
    ]
    assert out.index.tolist() == [5, 6, 7, 8, 9]
    assert out["mapped"].tolist() == [True, True, False, False, True]
    assert out["is_training"].tolist()[:2] == [False, True]
    assert out["soleus_share"].isna().tolist() == [False, False, True, True, False]
    assert out.loc[6, "soleus_share"] == pytest.approx(0.85)


def test_unmapped_lists_unknown_names_with_counts_and_calf_hint(catalog):
    sets = pd.DataFrame(
        {
            "athlete_id": ["a", "a", "b", "b", "b", "a"],
            "exercise_raw": [
                "Calf Crusher 3000",
                "Zumba",
                "Calf Crusher 3000",
                "Calf Crusher 3000",
                "Seated Calf Raise",
                "Calf Wall",
            ],
        }
    )
    out = sol.unmapped(sets, catalog)
    assert out.to_dict(orient="list") == {
        "name": ["Calf Crusher 3000", "Zumba"],
        "sets": [3, 1],
        "athletes": [2, 1],
        "looks_like_calf": [True, False],
    }
    assert sol.unmapped(["Seated Calf Raise"], catalog).empty
    assert list(sol.unmapped(["Seated Calf Raise"], catalog).columns) == [
        "name",
        "sets",
        "looks_like_calf",
    ]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("Seated Calf Rase", "seated_calf_raise"),
        ("Single Lg Standing Calf Raise", "single_leg_standing_calf_raise"),
        ("Romanan Deadlift (Dumbbell)", "romanian_deadlift"),
        ("Bulgarian Slit Squat", "bulgarian_split_squat"),
        ("Palnk", "plank"),
        ("calf_raise/seated_calf_rais", "seated_calf_raise"),
    ],
)
def test_unmapped_suggests_the_exercise_a_typo_meant(typo, meant, catalog):
    out = sol.unmapped([typo, "Zumba", typo], catalog, suggest=True)
    assert out.set_index("name")["suggestion"].to_dict() == {typo: meant, "Zumba": None}
    assert catalog.resolve(typo) is None  # a suggestion is never applied by itself


def test_suggestions_need_a_close_name(catalog):
    from soleus_analysis.catalog import suggest_exercise

    assert suggest_exercise("Calf Crusher 3000", catalog) is None
    assert suggest_exercise("Seated Calf Rase", catalog, cutoff=0.99) is None
    assert "suggestion" not in sol.unmapped(["Zumba"], catalog).columns
    empty = sol.unmapped(["Seated Calf Raise"], catalog, suggest=True)
    assert empty.empty and "suggestion" in empty.columns


def test_normalize_name():
    assert sol.normalize_name("Single-Leg  CALF Raises") == "single leg calf raise"
    assert sol.normalize_name("Fußgelenk Übung") == "fussgelenk ubung"
    assert sol.normalize_name(None) == ""


def _write_catalog(path, rows):
    header = (
        "exercise,label,plantar_flexor,is_training,knee_position,soleus_share,body_mass_share,"
        "dose_unit,aliases,source,rationale"
    )
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = (
    "seated_calf_raise,Seated,true,true,bent,0.95,0,reps,Seated Calf Raise|My Soleus Machine,"
    "my lab 2025,why"
)


def test_user_catalog_overrides_the_shipped_one(tmp_path):
    path = _write_catalog(tmp_path / "mine.csv", [GOOD])
    mine = sol.load_catalog(path)
    out = sol.classify_exercises(["my soleus machine (machine)", "Standing Calf Raise"], mine)
    assert out["exercise"].tolist()[0] == "seated_calf_raise"
    assert out["soleus_share"].tolist()[0] == pytest.approx(0.95)
    assert not out["mapped"].iloc[1]  # not in the user's catalog
    assert sol.classify_exercises(["My Soleus Machine"], str(path))["mapped"].all()


@pytest.mark.parametrize(
    ("row", "line", "column", "words"),
    [
        (
            "seated_calf_raise,S,true,true,bent,1.5,0,reps,x,src,r",
            2,
            "soleus_share",
            "between 0 and 1",
        ),
        (
            "seated_calf_raise,S,true,true,kneeling,0.8,0,reps,x,src,r",
            2,
            "knee_position",
            "bent, straight or mixed",
        ),
        (
            "seated_calf_raise,S,maybe,true,bent,0.8,0,reps,x,src,r",
            2,
            "plantar_flexor",
            "true or false",
        ),
        ("squat,S,false,true,,0.3,1,reps,x,src,r", 2, "soleus_share", "not calf training"),
        (
            "seated_calf_raise,S,true,true,bent,0.8,0,furlongs,x,src,r",
            2,
            "dose_unit",
            "reps, seconds or metres",
        ),
        ("seated_calf_raise,S,true,true,bent,0.8,0,reps,x,,r", 2, "source", "judgement"),
        (
            "Seated Calf Raise,S,true,true,bent,0.8,0,reps,x,src,r",
            2,
            "exercise",
            "valid exercise id",
        ),
    ],
)
def test_bad_catalog_cells_name_file_line_column_and_fix(tmp_path, row, line, column, words):
    path = _write_catalog(tmp_path / "bad.csv", [row])
    with pytest.raises(InputError) as err:
        sol.load_catalog(path)
    text = str(err.value)
    assert str(path) in text and f"line {line}" in text and f"column '{column}'" in text
    assert words in text and "Fix:" in text


def test_an_alias_of_two_exercises_is_rejected(tmp_path):
    other = (
        "standing_calf_raise,Standing,true,true,straight,0.6,1,reps,Calf Raise|seated calf raises,"
        "src,r"
    )
    path = _write_catalog(tmp_path / "clash.csv", [GOOD, other])
    with pytest.raises(
        InputError,
        match=r"line 3.*alias of both 'seated_calf_raise' \(line 2\) and 'standing_calf_raise'",
    ):
        sol.load_catalog(path)


def test_missing_catalog_column_or_file(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("exercise,aliases\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks the column"):
        sol.load_catalog(path)
    with pytest.raises(InputError, match="catalog file not found"):
        sol.load_catalog(tmp_path / "nope.csv")
    with pytest.raises(TypeError, match="catalog must be"):
        sol.classify_exercises(["x"], catalog=42)


def test_shipped_catalog_is_a_rectangular_csv():
    # A comma in an unquoted rationale made pandas fail on the file and cut the rationale short.
    import csv

    from soleus_analysis.catalog import load_catalog

    with open(load_catalog().path, encoding="utf-8", newline="") as f:
        widths = {len(row) for row in csv.reader(f)}
    assert widths == {11}


# ---------------------------------------------------------------------------------------------
# changing shares without a copy of the file (sensitivity analyses)
# ---------------------------------------------------------------------------------------------
def test_with_values_changes_the_chosen_exercises_only_and_the_dose_follows(catalog):
    raises = catalog.exercises.loc[
        catalog.exercises["exercise"].str.contains("calf_raise"), "exercise"
    ]
    half = catalog.with_values(raises, soleus_share=0.5)
    old = catalog.exercises.set_index("exercise")
    new = half.exercises.set_index("exercise")
    assert (new.loc[raises, "soleus_share"] == 0.5).all()
    others = old.index.difference(raises)
    pd.testing.assert_frame_equal(new.loc[others], old.loc[others])
    pd.testing.assert_frame_equal(half.aliases, catalog.aliases)
    assert list(half.exercises.columns) == list(catalog.exercises.columns)
    assert (old.loc[raises, "soleus_share"] != 0.5).any()  # the original is untouched
    assert half.changes == (f"soleus_share = 0.5 for {', '.join(raises)}",)

    # The dose of one seated calf raise set scales with the share: 0.5 / 0.85.
    sets = pd.DataFrame({
        "athlete_id": "a", "session_start": pd.Timestamp("2024-05-06 07:00", tz="UTC"),
        "exercise_raw": "Seated Calf Raise (Machine)", "set_index": [1, 2], "set_type": "working",
        "reps": [12, 10], "load_kg": [40.0, 40.0],
    })
    shipped = sol.soleus_dose(sets, catalog=catalog)["soleus_reps"].sum()
    changed = sol.soleus_dose(sets, catalog=half)["soleus_reps"].sum()
    assert changed == pytest.approx(shipped * 0.5 / 0.85)


def test_with_values_checks_the_changed_rows_by_the_catalog_rules(catalog):
    with pytest.raises(InputError) as info:
        catalog.with_values("seated_calf_raise", soleus_share=1.5)
    assert "soleus_share" in str(info.value) and "seated_calf_raise" in str(info.value)
    with pytest.raises(InputError, match="not calf training"):
        catalog.with_values("squat", soleus_share=0.3)
    with pytest.raises(InputError, match="knee position"):
        catalog.with_values("seated_calf_raise", knee_position="kneeling")
    with pytest.raises(ValueError, match="unknown exercise"):
        catalog.with_values(["seated_calf_raise", "moon_walk"], soleus_share=0.5)
    with pytest.raises(ValueError, match="cannot change 'aliases'"):
        catalog.with_values("seated_calf_raise", aliases="x")
    with pytest.raises(ValueError, match="at least one column"):
        catalog.with_values("seated_calf_raise")
    # Several changes chain, each recorded; a bool is written as the catalog writes it.
    both = catalog.with_values("squat", is_training=False).with_values(
        "seated_calf_raise", body_mass_share=0.1
    )
    assert both.changes == (
        "is_training = false for squat",
        "body_mass_share = 0.1 for seated_calf_raise",
    )
    assert not bool(both.exercises.set_index("exercise").loc["squat", "is_training"])


def test_a_build_with_a_changed_catalog_records_the_change_in_report_and_fingerprint(tmp_path, catalog):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({
        "athlete_id": "a", "session_start": ["2024-05-06T07:00:00Z"],
        "exercise_raw": "Seated Calf Raise", "set_index": 1, "set_type": "working",
        "reps": 12, "load_kg": 40.0, "duration_s": "", "distance_m": "", "rpe": "",
    }).to_csv(raw / "strength_sets.csv", index=False)
    shipped = sol.build(raw, tmp_path / "a")
    changed = sol.build(raw, tmp_path / "b", catalog=catalog.with_values(
        "seated_calf_raise", soleus_share=0.5))
    assert "catalog_changes" not in shipped.parameters
    assert changed.parameters["catalog_changes"] == ["soleus_share = 0.5 for seated_calf_raise"]
    dose = [pd.read_parquet(tmp_path / d / "dose_per_set.parquet")["soleus_reps"].sum()
            for d in ("a", "b")]
    assert dose[1] == pytest.approx(dose[0] * 0.5 / 0.85)
    stamps = [(tmp_path / d / "input_fingerprint.json").read_text() for d in ("a", "b")]
    assert stamps[0] != stamps[1]  # a study built with the shipped shares is out of date
