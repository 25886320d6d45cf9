import pandas as pd
import pytest

import soleus_analysis as sol

LAB = (
    "Athlete;Datum;Übung;Satz;Last (lb);Wdh;Typ\n"
    "A01;04.03.2024 07:00;Seated calf raise;0;90,0;15;working\n"
    "A01;04.03.2024 07:00;Seated calf raise;1;100,0;12;working\n"
    "A02;05.03.2024 18:00;Soleus wall sit;0;0;;working\n"
)
MAPPING = {
    "Athlete": "athlete_id",
    "Datum": "session_start",
    "Übung": "exercise_raw",
    "Satz": "set_index",
    "Last (lb)": "load_kg",
    "Wdh": "reps",
    "Typ": "set_type",
}


def _lab(tmp_path, text=LAB):
    p = tmp_path / "lab.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_lab_sheet_with_mapping_units_and_date_format(tmp_path):
    df = sol.read(
        _lab(tmp_path),
        source="csv",
        columns=MAPPING,
        units={"session_start": "%d.%m.%Y %H:%M"},
        tz="Europe/Berlin",
    )
    assert df.attrs["table"] == "strength_sets"  # inferred from the mapped columns
    assert df["athlete_id"].tolist() == ["A01", "A01", "A02"]
    assert df["load_kg"].tolist() == pytest.approx([90 * 0.45359237, 100 * 0.45359237, 0.0])
    assert df["session_start"].iloc[0] == pd.Timestamp("2024-03-04 06:00", tz="UTC")
    report = sol.validate(df, "strength_sets")
    # the wall sit has no reps, duration or distance: rejected, not lost
    assert len(report.valid) == 2 and report.rejected["source_row"].item() == 4


def test_reverse_mapping_direction_is_accepted(tmp_path):
    reverse = {v: k for k, v in MAPPING.items()}
    df = sol.read(
        _lab(tmp_path), source="csv", columns=reverse, units={"session_start": "%d.%m.%Y %H:%M"}
    )
    assert df["reps"].tolist()[:2] == [15.0, 12.0]


def test_measure_without_unit_raises(tmp_path):
    text = LAB.replace("Last (lb)", "Last")
    mapping = dict(MAPPING)
    mapping["Last"] = mapping.pop("Last (lb)")
    with pytest.raises(sol.MissingUnitError, match="units="):
        sol.read(
            _lab(tmp_path, text),
            source="csv",
            columns=mapping,
            units={"session_start": "%d.%m.%Y %H:%M"},
        )


def test_mapping_to_missing_column_says_which(tmp_path):
    with pytest.raises(sol.InputError, match="'Gewicht'"):
        sol.read(_lab(tmp_path), source="csv", columns={"Gewicht": "load_kg"})


def test_generic_without_mapping(tmp_path):
    with pytest.raises(sol.InputError, match="column mapping"):
        sol.read(_lab(tmp_path), source="csv")
