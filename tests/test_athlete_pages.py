"""One page per athlete of a build (sol.write_athlete_pages) and its place in the reports' index."""

import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.athlete_pages import athlete_section, page_names
from soleus_analysis.errors import InputError
from soleus_analysis.report import run_reports

DATA = Path(__file__).parent / "data"
DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo-cohort"
SECTIONS = ("pmc", "acwr", "dose", "running", "wellness")
HOSTILE = ["../escape", "<script>alert(1)</script>", "/abs/path", "a$b^{$", "UPPER", "upper"]


def _sections(page: str) -> dict[str, str]:
    found = dict(re.findall(r'<section id="(\w+)">(.*?)</section>', page, flags=re.S))
    assert list(found) == list(SECTIONS)
    return found


def _shown_or_explained(section: str) -> bool:
    """A section shows a figure or says in one sentence what is missing."""
    figure = '<img src="data:image/png;base64,' in section
    missing = re.findall(r'<p class="missing">([^<]+)</p>', section)
    return figure != bool(missing) and (not missing or missing[0].count(". ") == 0)


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """tests/data/own-study built: 4 athletes, GPX runs, PMSys and Fitbit wellness, Strong logs."""
    root = tmp_path_factory.mktemp("own")
    raw = root / "own-study"
    shutil.copytree(DATA / "own-study", raw)
    sol.build(raw, root / "processed")
    return root / "processed"


@pytest.fixture(scope="module")
def own_pages(own, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    return sol.write_athlete_pages(own, out), out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A study whose athlete ids are hostile; the first athlete has a single run, "idle" none."""
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    raw.mkdir()
    ids = HOSTILE + ["idle"]
    pd.DataFrame({"athlete_id": ids, "sex": "F"}).to_csv(raw / "athletes.csv", index=False)
    rows = []
    for i, athlete in enumerate(HOSTILE):
        for k in range(1 if i == 0 else 6):
            rows.append(
                {
                    "athlete_id": athlete,
                    "start": f"2024-03-{4 + 3 * k:02d}T07:00:00Z",
                    "distance_m": 8000.0 + 100 * k,
                    "moving_time_s": 2700.0,
                    "avg_hr_bpm": 140.0 + k,
                    "rpe": 4.0,
                }
            )
    pd.DataFrame(rows).to_csv(raw / "runs.csv", index=False)
    # "UPPER" lifts, but no calf work: a bench press and a name the catalog does not know
    sets = pd.DataFrame(
        {
            "athlete_id": "UPPER",
            "session_start": "2024-03-05T18:00:00Z",
            "exercise_raw": ["Bench Press (Barbell)", "Bench Press (Barbell)", "Zorbo lift"],
            "set_index": [0, 1, 0],
            "set_type": "working",
            "reps": 8,
            "load_kg": 60.0,
            "duration_s": None,
            "distance_m": None,
            "rpe": None,
        }
    )
    sets.to_csv(raw / "strength_sets.csv", index=False)
    sol.build(raw, root / "processed")
    out = root / "reports" / "athletes"
    return sol.write_athlete_pages(root / "processed", out), out, root


def test_one_page_per_athlete_each_section_shown_or_explained(own_pages):
    pages, out = own_pages
    assert [p.athlete for p in pages] == ["p03", "p05", "runner-gpx", "runner-log"]
    assert sorted(f.name for f in out.iterdir()) == sorted(p.file for p in pages)
    for page in pages:
        text = (out / page.file).read_text(encoding="utf-8")
        assert "Traceback" not in text and "Error" not in text and "<script" not in text
        assert f"<h1>Athlete {page.athlete}</h1>" in text
        assert '<table class="summary">' in text
        for key, section in _sections(text).items():
            assert _shown_or_explained(section), (page.athlete, key)


def test_sections_say_what_the_athlete_lacks(own_pages):
    pages, out = own_pages
    text = {p.athlete: _sections((out / p.file).read_text(encoding="utf-8")) for p in pages}
    # runner-gpx: GPX runs and Strong sets, no session RPE and no wellness
    assert '<p class="missing">No fitness/fatigue/form' in text["runner-gpx"]["pmc"]
    assert "needs an RPE" in text["runner-gpx"]["acwr"]
    assert "<img" in text["runner-gpx"]["dose"] and "<img" in text["runner-gpx"]["running"]
    assert "No wellness reports." in text["runner-gpx"]["wellness"]
    # p05 logs no calf work (a control) but has PMSys load and wellness
    assert "No soleus dose: the athlete logged no strength sets." in text["p05"]["dose"]
    assert "<img" in text["p05"]["pmc"] and "<img" in text["p05"]["wellness"]
    assert "0.8-1.3" in text["p05"]["acwr"] and "Caveat" in text["p05"]["acwr"]
    # p03 has 7 days of load: a PMC but too few days for an ACWR
    assert "No ACWR: it needs 28 days" in text["p03"]["acwr"]
    # runner-log's running log is read from its header (date, km, clock time, HR, RPE)
    assert "<img" in text["runner-log"]["running"]


def test_dose_is_by_programme_week_from_the_athletes_first_week(own_pages):
    pages, out = own_pages
    dose = _sections((out / "athlete-runner-gpx.html").read_text(encoding="utf-8"))["dose"]
    # runner-gpx's GPX runs start in the week of 2020-07-27, the calf work seven weeks later
    assert "Soleus programme from week 8 (2020-09-14)" in dose


def test_pages_are_byte_for_byte_the_same_on_a_second_run(own, own_pages, tmp_path):
    pages, out = own_pages
    again = sol.write_athlete_pages(own, tmp_path)
    assert again == pages
    for page in pages:
        assert (tmp_path / page.file).read_bytes() == (out / page.file).read_bytes()


def test_hostile_ids_stay_inside_the_output_folder_and_are_escaped(hostile):
    pages, out, root = hostile
    assert sorted(p.athlete for p in pages) == sorted(HOSTILE + ["idle"])
    written = sorted(root.rglob("*.html"))
    assert sorted(f.name for f in written) == sorted(p.file for p in pages)
    assert all(f.parent == out for f in written)
    assert not (root / "reports" / "escape.html").exists()
    assert len({p.file.lower() for p in pages}) == len(pages)  # UPPER and upper: two files
    text = (out / page_names(HOSTILE)["<script>alert(1)</script>"]).read_text(encoding="utf-8")
    assert "<script" not in text
    assert "<h1>Athlete &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in text


def test_an_athlete_with_one_run_gets_a_page(hostile):
    pages, out, _ = hostile
    page = {p.athlete: p.file for p in pages}["../escape"]
    text = (out / page).read_text(encoding="utf-8")
    sections = _sections(text)
    assert "1 run, 1 with an efficiency factor" in sections["running"]
    assert all(_shown_or_explained(s) for s in sections.values())
    assert "Traceback" not in text


def test_strength_sets_without_calf_work_are_named_as_such(hostile):
    pages, out, _ = hostile
    dose = _sections((out / "athlete-UPPER.html").read_text(encoding="utf-8"))["dose"]
    assert (
        "No soleus dose: 3 strength sets logged (1 with an exercise name the catalog does not "
        "know), none a hard set of a calf (plantar-flexor) exercise." in dose
    )


def test_an_athlete_without_any_data_gets_a_page_that_says_so(hostile):
    pages, out, _ = hostile
    text = (out / "athlete-idle.html").read_text(encoding="utf-8")
    sections = _sections(text)
    assert "<img" not in text
    assert all(_shown_or_explained(s) for s in sections.values())
    assert "No runs recorded." in sections["running"]


def test_page_names_are_safe_unique_and_independent_of_order():
    names = page_names(HOSTILE + ["A001", "", ".."])
    assert names["A001"] == "athlete-A001.html"
    assert len(set(n.lower() for n in names.values())) == len(names)
    for name in names.values():
        assert re.fullmatch(r"athlete-[A-Za-z0-9_-]+\.html", name)
    assert page_names(reversed(HOSTILE)) == page_names(HOSTILE)


def test_a_folder_without_a_build_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no build of a study here"):
        sol.write_athlete_pages(tmp_path, tmp_path / "out")
    # In a report run, the failure is a sentence on the index, not an exception.
    section = athlete_section(tmp_path, tmp_path / "reports")
    assert "The athlete pages failed" in section and "no build of a study here" in section


def test_the_reports_index_links_every_athlete_page(hostile, tmp_path):
    pages, _, root = hostile
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('PROCESSED_DIR = "default"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Check\n\ntext"), params,
                nbformat.v4.new_code_cell("print(PROCESSED_DIR)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(nbdir / "01-check.ipynb"))
    out = tmp_path / "reports"
    runs = run_reports(nbdir, out, parameters={"PROCESSED_DIR": str(root / "processed")},
                       progress=False)
    assert runs[0].ok
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<h2>Athletes</h2>" in index and "<script" not in index
    for page in pages:
        assert f'<a href="athletes/{page.file}">' in index
        text = (out / "athletes" / page.file).read_text(encoding="utf-8")
        assert '<a href="../index.html">' in text


@pytest.mark.skipif(not DEMO.is_dir(), reason="shipped demo cohort not present")
def test_demo_cohort_subset_pages_show_every_section(tmp_path):
    raw = tmp_path / "demo"
    raw.mkdir()
    chosen = ["A001", "A002", "A003"]  # A003 follows a soleus programme, A001 and A002 do not
    for athlete in chosen:
        shutil.copytree(DEMO / athlete, raw / athlete)
    athletes = pd.read_csv(DEMO / "athletes.csv")
    athletes[athletes["athlete_id"].isin(chosen)].to_csv(raw / "athletes.csv", index=False)
    sol.build(raw, tmp_path / "processed")
    pages = sol.write_athlete_pages(tmp_path / "processed", tmp_path / "pages")
    assert [p.athlete for p in pages] == chosen
    text = _sections((tmp_path / "pages" / "athlete-A003.html").read_text(encoding="utf-8"))
    assert all("<img" in s for s in text.values())  # every section drawn
    assert "decoupling (median" in text["running"]


def test_a_report_run_removes_pages_of_athletes_no_longer_in_the_build(own, tmp_path):
    folder = tmp_path / "athletes"
    folder.mkdir()
    (folder / "athlete-gone.html").write_text("an earlier run's page")
    (folder / "notes.txt").write_text("not a page: kept")
    section = athlete_section(own, tmp_path)
    assert not (folder / "athlete-gone.html").exists() and (folder / "notes.txt").exists()
    assert sorted(f.name for f in folder.glob("athlete-*.html")) == sorted(
        re.findall(r'href="athletes/([^"]+)"', section)
    )
