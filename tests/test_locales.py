"""Exports in other languages: Strong, Strava, Garmin Connect and Hevy (tests/data/locales)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.readers.strong import LAYOUTS
from soleus_analysis.readers.vocabulary import activity_kinds, header_vocabulary

DATA = Path(__file__).parent / "data" / "locales"
KG_PER_LB = 0.45359237
CONSTRUCTED_STRONG = ["fr", "es", "it", "pt", "nl", "ru", "ja", "zh", "pl", "sv"]
STRAVA = ["de", "fr", "es", "it", "pt", "nl", "ru", "ja", "zh"]


@pytest.mark.parametrize("lang", CONSTRUCTED_STRONG)
def test_strong_in_a_language_without_vocabulary_is_read_whole_by_its_layout(lang):
    res = sol.read_all(DATA / "strong" / f"strong_{lang}.csv", weight_unit="kg", tz="Europe/Oslo")
    assert res.source == "strong"
    sets = res.tables["strength_sets"]
    # 8 lines: one is the rest timer, written in the file's language.
    assert len(sets) == 7
    assert sets["load_kg"].tolist() == [20.0, 42.5, 42.5, 60.0, 60.0, 0.0, 45.0]
    assert sets["set_type"].tolist()[:6] == [
        "warmup",
        "working",
        "working",
        "working",
        "failure",
        "working",
    ]
    seated = sets[sets["exercise_raw"] == "Seated Calf Raise (Machine)"]
    assert seated["rest_after_s"].tolist()[:3] == [
        pytest.approx(np.nan, nan_ok=True),
        90.0,
        pytest.approx(np.nan, nan_ok=True),
    ]
    assert sets["source_row"].tolist() == [2, 3, 5, 6, 7, 8, 9]
    # 07:02:11 in Oslo (CET) is 06:02:11 UTC.
    assert sets["session_start"].iloc[0] == pd.Timestamp("2024-03-04 06:02:11", tz="UTC")
    assert res.tables["sessions"]["duration_s"].tolist() == [3840.0, 2820.0]
    assert any("identified by the app's column order" in n for n in res.notes)
    assert any("taken for this export's rest timer" in n for n in res.notes)
    report = sol.validate(sets, "strength_sets")
    assert report.ok and len(report.valid) == 7


def test_strong_german_with_the_real_exports_traits():
    res = sol.read_all(DATA / "strong" / "strong_de.csv", weight_unit="kg")
    sets = res.tables["strength_sets"]
    assert len(sets) == 4  # one Ruhezeit row became rest_after_s
    assert sets["load_kg"].tolist() == [50.0, 55.0, 0.0, 80.0]
    assert sets["reps"].tolist() == [12.0, 10.0, 15.0, 10.0]
    assert sets["rest_after_s"].iloc[0] == 120.0
    assert res.tables["sessions"]["duration_s"].tolist() == [2 * 3600 + 23 * 60, 13 * 60]
    assert any("de column names" in n for n in res.notes)
    assert sol.validate(sets, "strength_sets").ok


@pytest.mark.parametrize(("lang", "factor", "unit"), [("ru", 1.0, "kg"), ("ko", KG_PER_LB, "lb")])
def test_strong_newest_layout_takes_the_weight_unit_from_the_column_name(lang, factor, unit):
    # weight_unit= is not needed: the column name states it in any language.
    res = sol.read_all(DATA / "strong" / f"strong_newest_{lang}.csv")
    sets = res.tables["strength_sets"]
    assert sets["load_kg"].tolist() == pytest.approx(
        [20 * factor, 62.5 * factor, 62.5 * factor, 24 * factor]
    )
    assert set(sets["load_unit"]) == {unit}
    assert sets["rpe"].tolist()[1:3] == [8.5, 9.0]
    walk = sets[sets["exercise_raw"] == "Farmer's Walk"].iloc[0]
    assert walk["distance_m"] == 40.0 and np.isnan(walk["reps"])
    assert res.tables["sessions"]["duration_s"].tolist() == [3840.0]


def test_strong_without_a_stated_unit_still_needs_one():
    with pytest.raises(sol.MissingUnitError, match="weight_unit"):
        sol.read(DATA / "strong" / "strong_fr.csv")


@pytest.mark.parametrize("lang", STRAVA)
def test_strava_in_every_language_reads_whole_with_metres_and_utc(lang):
    res = sol.read_all(DATA / "strava" / f"activities_{lang}.csv", tz="Europe/Paris")
    assert res.source == "strava"
    runs, sessions = res.tables["runs"], res.tables["sessions"]
    assert len(sessions) == 3 and len(runs) == 2
    # The second Distance (metres, decimal point) wins over the first (km, decimal comma).
    assert runs["distance_m"].tolist() == [2034.5, 10012.0]
    assert runs["start"].tolist() == [
        pd.Timestamp("2020-10-07 14:43:11", tz="UTC"),
        pd.Timestamp("2020-10-13 18:20:45", tz="UTC"),
    ]
    assert sessions["start"].iloc[1] == pd.Timestamp("2020-10-08 06:05:00", tz="UTC")
    assert runs["moving_time_s"].tolist() == [707.0, 2990.0]
    assert runs["avg_hr_bpm"].tolist() == [165.2, 160.0]
    assert runs["max_hr_bpm"].tolist() == [181.0, 178.0]
    assert runs["avg_cadence_spm"].tolist() == [169.0, 172.0]
    assert runs["rpe"].tolist() == [4.0, 7.0]
    assert sessions["duration_s"].tolist() == [707.0, 2600.0, 2990.0]
    assert sol.validate(runs, "runs").ok and sol.validate(sessions, "sessions").ok


def test_strava_with_one_distance_column_in_a_decimal_comma_language(tmp_path):
    # The short 2019 layout (10 columns), whose only Distance is in the display unit.
    header = (
        "ID de actividad,Fecha de la actividad,Nombre de la actividad,Tipo de actividad,"
        "Descripción de la actividad,Tiempo transcurrido,Distancia,Desplazamiento,"
        "Equipo de la actividad,Nombre del archivo"
    )
    p = tmp_path / "activities.csv"
    row = '4400000001,"8 jul 2017, 15:25:34",Easy,Carrera,,750,"2,03",false,,'
    p.write_text(header + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(sol.MissingUnitError, match="distance_unit"):
        sol.read(p)
    runs = sol.read(p, distance_unit="km")
    assert runs["distance_m"].item() == pytest.approx(2030.0)
    assert runs["start"].item() == pd.Timestamp("2017-07-08 15:25:34", tz="UTC")


def test_strava_reads_the_activity_file_of_a_localised_export():
    runs = sol.read(DATA / "strava" / "activities_de.csv")
    stream_notes = [n for n in runs.attrs["notes"] if n.startswith("stream metrics")]
    assert stream_notes == ["stream metrics from 1 activity file(s)"]


@pytest.mark.parametrize("lang", ["en", "de", "es", "pt"])
def test_garmin_connect_export_in_four_languages(lang):
    path = DATA / "garmin" / f"Activities_{lang}.csv"
    with pytest.raises(sol.MissingUnitError, match="distance_unit"):
        sol.read(path)
    res = sol.read_all(path, distance_unit="km", tz="Europe/Berlin")
    assert res.source == "garmin_csv"
    runs, sessions = res.tables["runs"], res.tables["sessions"]
    assert len(runs) == 3 and len(sessions) == 4
    assert runs["distance_m"].tolist() == [5020.0, 2000.0, 12000.0]
    # The treadmill's moving time 00:00:00 means not recorded: its timer time is used.
    assert runs["moving_time_s"].tolist() == [1592.0, 628.0, 4473.0]
    assert runs["elapsed_time_s"].tolist() == [1691.0, 628.0, 4632.0]
    # "1,046" m of ascent: a thousands separator, and "--" is not recorded.
    assert runs["elevation_gain_m"].tolist()[0] == 39.0
    assert np.isnan(runs["elevation_gain_m"].tolist()[1])
    assert runs["elevation_gain_m"].tolist()[2] == 1046.0
    assert runs["avg_cadence_spm"].tolist() == [166.0, 170.0, 153.0]
    # 07:40:14 in Berlin (CEST) is 05:40:14 UTC.
    assert runs["start"].iloc[0] == pd.Timestamp("2022-04-06 05:40:14", tz="UTC")
    assert sol.validate(runs, "runs").ok and sol.validate(sessions, "sessions").ok


def test_garmin_connect_in_miles_has_feet_of_ascent():
    runs = sol.read(DATA / "garmin" / "Activities_en.csv", distance_unit="mi")
    assert runs["distance_m"].iloc[0] == pytest.approx(5.02 * 1609.344)
    assert runs["elevation_gain_m"].iloc[2] == pytest.approx(1046 * 0.3048)


@pytest.mark.parametrize("lang", ["fr", "es", "de", "pt", "it", "nl", "ru", "ja"])
def test_hevy_dates_in_the_apps_language(lang):
    res = sol.read_all(DATA / "hevy" / f"hevy_{lang}.csv", tz="UTC")
    sets = res.tables["strength_sets"]
    assert (sets["session_start"] == pd.Timestamp("2024-11-30 18:51", tz="UTC")).all()
    assert sets["load_kg"].tolist() == [20.0, 50.5, 24.0]
    assert sets["distance_m"].iloc[2] == pytest.approx(40.0)
    assert sets["session_duration_s"].iloc[0] == 49 * 60
    assert sol.validate(sets, "strength_sets").ok


def test_a_layout_whose_contents_do_not_fit_is_refused_with_the_header_and_a_mapping(tmp_path):
    p = tmp_path / "export.csv"
    src = (DATA / "strong" / "strong_es.csv").read_text(encoding="utf-8")
    p.write_text(src.replace("2024-03-04 07:02:11", "ayer por la mañana"), encoding="utf-8")
    with pytest.raises(sol.UnknownSourceError) as err:
        sol.read(p, weight_unit="kg")
    msg = str(err.value)
    assert "\n" not in msg and str(p) in msg
    assert "'Fecha', 'Nombre del entrenamiento'" in msg
    assert "source='strong', columns={'Fecha': 'Date'" in msg and "--columns" in msg


def test_columns_mapping_reads_an_export_in_any_language(tmp_path):
    p = tmp_path / "export.csv"
    src = (DATA / "strong" / "strong_es.csv").read_text(encoding="utf-8")
    p.write_text(src.replace("2024-03-04 07:02:11", "04/03/2024 07:02:11"), encoding="utf-8")
    header = src.splitlines()[0].split(",")
    english = LAYOUTS["classic"]
    df = sol.read(
        p, source="strong", columns=dict(zip(header, english, strict=True)), weight_unit="kg"
    )
    assert len(df) == 7
    # Numeric dates with the year last, all days and months <= 12: order from the slashes is
    # undecidable, so they are not guessed; validation rejects them (rows kept).
    report = sol.validate(df, "strength_sets")
    assert len(report.valid) + len(report.rejected) == 7
    with pytest.raises(sol.InputError, match="not columns of this app"):
        sol.read(p, source="strong", columns={"Fecha": "When"}, weight_unit="kg")
    with pytest.raises(sol.InputError, match="not in the file"):
        sol.read(p, source="strong", columns={"Datum": "Date"}, weight_unit="kg")


def test_vocabulary_rows_all_have_a_source_and_one_meaning():
    table = header_vocabulary()
    assert (table["source"].str.len() > 10).all()
    assert not table.duplicated(["app", "language", "key"]).any()
    strava = table[table["app"] == "strava"]
    assert {"en", "de", "fr"} <= set(strava["language"])
    kinds = activity_kinds("strava")
    assert kinds["lauf"] == "run" and kinds["radfahrt"] == "other"
