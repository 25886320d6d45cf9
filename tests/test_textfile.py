import pytest

from soleus_analysis.errors import InputError
from soleus_analysis.textfile import read_text_table, sniff_delimiter


def test_duplicate_header_names_are_kept_and_suffixed(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Activity ID,Distance,Elapsed Time,Distance\n1,10.2,3600,10200.0\n")
    table = read_text_table(path)
    assert table.header == ("Activity ID", "Distance", "Elapsed Time", "Distance")
    assert list(table.frame.columns) == ["Activity ID", "Distance", "Elapsed Time", "Distance.1"]
    assert any("repeated column names" in n for n in table.notes)


def test_cells_stay_text_and_rows_are_numbered_like_a_spreadsheet(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,note\n00123,"two\nlines"\n\n00124,x\n')
    table = read_text_table(path)
    assert table.frame["id"].tolist() == ["00123", "00124"]
    assert table.frame.index.tolist() == [2, 4]
    assert any("blank line" in n for n in table.notes)


def test_ragged_rows_keep_their_surplus(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6\n")
    table = read_text_table(path)
    assert table.frame["_extra_field_1"].tolist() == ["", "5", ""]
    assert table.frame["b"].tolist() == ["2", "4", ""]


@pytest.mark.parametrize(
    ("line", "expected"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb", "\t"), ('"x;y",z', ","), ("single", ",")],
)
def test_sniff_delimiter(line, expected):
    assert sniff_delimiter(line) == expected


def test_latin1_is_decoded_with_a_note(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("Datum,Übung\n2024-01-01,Wadenheben\n".encode("latin-1"))
    table = read_text_table(path)
    assert table.header == ("Datum", "Übung")
    assert table.encoding == "cp1252"


def test_explicit_wrong_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("a\nÅ\n".encode("latin-1"))
    with pytest.raises(InputError, match="cannot decode the file as utf-8"):
        read_text_table(path, encoding="utf-8")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(InputError, match="folder"):
        read_text_table(tmp_path)
