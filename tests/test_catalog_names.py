"""The names people log: the names file, word-order matching, knee guesses, real-export coverage."""

from pathlib import Path

import fitdecode
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.catalog import guess_knee_position

DATA = Path(__file__).parent / "data" / "catalog"


@pytest.fixture(scope="module")
def catalog():
    return sol.load_catalog()


def test_every_name_of_the_names_file_has_a_source_and_a_known_exercise(catalog):
    names = pd.read_csv("soleus_analysis/data/exercise_names.csv", dtype=str)
    assert names["source"].str.len().gt(10).all()
    assert set(names["exercise"]) <= set(catalog.exercises["exercise"])
    assert {"en", "de", "fr", "es", "it", "pt", "fit"} <= set(names["language"])
    # Each file name resolves to the exercise the file gives it (a catalog alias never disagrees).
    resolved = [catalog.resolve(n) for n in names["name"]]
    assert resolved == names["exercise"].tolist()


def test_names_file_sources_reach_the_aliases_table(catalog):
    row = catalog.aliases[catalog.aliases["alias"] == "Elevação de Panturrilha Sentado"].iloc[0]
    assert row["exercise"] == "seated_calf_raise" and "judgement" in row["source"]
    assert (catalog.aliases["source"] == "catalog").sum() > 300


def test_every_fit_calf_raise_name_of_the_sdk_profile_is_known(catalog):
    enum = fitdecode.profile.FIELD_TYPES["calf_raise_exercise_name"].enum
    for name in enum.values():
        assert catalog.resolve(f"calf_raise/{name}") is not None, name


def test_hevys_calf_extension_machine_lifts_no_body_mass(catalog):
    row = catalog.exercises.set_index("exercise").loc[catalog.resolve("Calf Extension (Machine)")]
    assert row["knee_position"] == "straight" and row["body_mass_share"] == 0.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Machine Seated Calf Raise", "seated_calf_raise"),
        ("Calf Raise - Seated (Machine)", "seated_calf_raise"),
        ("Leg Press Calf Press Machine", "calf_press_leg_press"),
        ("Calf Raise Single Leg", "single_leg_standing_calf_raise"),
        ("Wadenheben im Sitzen (Maschine)", "seated_calf_raise"),
        ("Extension des Mollets Assis (Machine)", "seated_calf_raise"),
        ("Elevación de Talones Sentado (Máquina)", "seated_calf_raise"),
        ("Calf Raise Seduto (Macchina)", "seated_calf_raise"),
        ("Elevação de Panturrilha em Pé (Smith)", "standing_calf_raise"),
        ("Hack Squat Calf Raise", "standing_calf_raise"),
    ],
)
def test_names_in_other_orders_and_languages(catalog, name, expected):
    assert catalog.resolve(name) == expected


def test_word_order_matching_does_not_join_different_exercises(catalog):
    # Same words as no alias: unknown; a donkey seated raise is not a seated raise.
    assert catalog.resolve("Seated Donkey Calf Raise") is None
    assert catalog.resolve("Leg Curl Seated Calf") is None


@pytest.mark.parametrize(
    ("name", "knee"),
    [
        ("Seated Calf Crusher", "bent"),
        ("Bent-Knee Wall Calf Raise", "bent"),
        ("Soleus Squeeze", "bent"),
        ("Wadenheben sitzend an der Wand", "bent"),
        ("Mollets assis à la poulie", "bent"),
        ("Gemelos sentado en banco", "bent"),
        ("Polpacci seduto con bilanciere", "bent"),
        ("Standing Calf Crusher", "straight"),
        ("Calf Raise on the Leg Press Sled", "straight"),
        ("Smith Tiptoe Calf Pump", "straight"),
        ("Donkey Calf Pump", "straight"),
        ("Mollets debout sur marche", "straight"),
        ("Panturrilha em pé no degrau", "straight"),
        ("Calf Crusher", None),  # no rule word
        ("Seated Standing Calf Thing", None),  # both
        ("Seated Leg Curl", None),  # not a calf exercise
    ],
)
def test_guess_of_the_knee_position_by_rule_words(name, knee):
    assert guess_knee_position(name) == knee


def test_a_guess_is_marked_and_the_name_stays_unmapped(catalog):
    names = ["Seated Calf Crusher", "Seated Calf Raise", "Zumba"]
    out = sol.classify_exercises(names, catalog)
    assert out["match"].tolist() == ["guess", "alias", "none"]
    assert out["knee_position"].tolist()[:2] == ["bent", "bent"]
    assert pd.isna(out["exercise"].iloc[0]) and pd.isna(out["soleus_share"].iloc[0])
    assert not out["mapped"].iloc[0]
    listed = sol.unmapped(names, catalog, guess=True)
    assert listed["name"].tolist() == ["Seated Calf Crusher", "Zumba"]
    assert listed["guessed_knee_position"].tolist() == ["bent", None]
    # A guess adds no dose.
    sets = pd.DataFrame(
        {
            "athlete_id": "a",
            "session_start": pd.Timestamp("2024-03-04 10:00", tz="UTC"),
            "exercise_raw": ["Seated Calf Crusher"],
            "set_index": 0,
            "set_type": "working",
            "reps": 15.0,
            "load_kg": 20.0,
        }
    )
    dose = sol.soleus_dose(sets, catalog=catalog)
    assert dose["soleus_sets"].sum() == 0


def test_coverage_of_calf_names_from_real_exports(catalog):
    names = pd.read_csv(DATA / "calf_names_real.csv", dtype=str)
    assert names["source"].notna().all() and len(names) >= 15
    out = sol.classify_exercises(names["name"], catalog)
    coverage = float(out["mapped"].mean())
    assert coverage >= 0.95, out.loc[~out["mapped"], "name"].tolist()
