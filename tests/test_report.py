import os
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis import report as report_module
from soleus_analysis.errors import InputError
from soleus_analysis.report import (
    check_study_folder,
    locate_notebooks,
    notebook_about,
    notebook_title,
    run_reports,
)


def _notebook(path, title, parameters, *bodies, about=None):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\ntext"), params]
    nb.cells += [nbformat.v4.new_code_cell(body) for body in bodies]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    if about is not None:
        nb.metadata["soleus"] = {"about": about}
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    nbdir = tmp_path_factory.mktemp("notebooks")
    _notebook(nbdir / "01-greet.ipynb", "Greeting", 'NAME = "default"', 'print("hello", NAME)')
    _notebook(nbdir / "02-broken.ipynb", "Broken", "X = 1", 'print("before the failure")',
              'raise ValueError("planted <b>failure</b>")', 'print("after the failure")')
    _notebook(nbdir / "03-shipped.ipynb", "About a shipped set", 'NAME = "shipped default"',
              'print("hello", NAME)', about="demo-set")
    (nbdir / "scratch.ipynb").write_text("not a numbered notebook: ignored")
    out = tmp_path_factory.mktemp("reports")
    runs = run_reports(nbdir, out, parameters={"NAME": "override"}, progress=False)
    return runs, out


def test_each_numbered_notebook_runs_with_the_parameters(reports):
    runs, out = reports
    assert [r.notebook for r in runs] == ["01-greet.ipynb", "02-broken.ipynb", "03-shipped.ipynb"]
    ok = runs[0]
    assert ok.ok and ok.title == "Greeting" and ok.html == "01-greet.html" and ok.about == "study"
    page = (out / "01-greet.html").read_text()
    assert "hello override" in page and "hello default" not in page


def test_a_failed_notebook_renders_up_to_the_failure_with_the_error_as_one_paragraph(reports):
    runs, out = reports
    broken = runs[1]
    assert not broken.ok and broken.error == "ValueError: planted <b>failure</b>"
    assert broken.html == "02-broken.html"
    page = (out / "02-broken.html").read_text()
    assert "before the failure" in page  # the cells that ran, with their outputs
    assert "raise ValueError" in re.sub(r"<[^>]+>", "", page)  # the failing cell's code
    assert "after the failure" not in page  # nothing after it
    assert "This report stopped here" in page
    assert "ValueError: planted &lt;b&gt;failure&lt;/b&gt;" in page  # shown, not obeyed
    assert "Traceback" not in page and "\x1b[" not in page and "[0;31m" not in page
    assert "An Exception was encountered" not in page  # papermill's banner is left out
    assert (out / "executed" / "02-broken.ipynb").exists()  # kept to see where it failed


def test_index_links_every_report_marks_failures_and_lists_shipped_data_sets_apart(reports):
    runs, out = reports
    index = (out / "index.html").read_text()
    assert '<a href="01-greet.html">Greeting</a>' in index
    assert '<a href="02-broken.html">Broken</a>' in index
    assert "failed: ValueError: planted &lt;b&gt;failure&lt;/b&gt;" in index
    assert "1 of 3 reports failed" in index
    study, shipped = index.split("About the shipped data sets")
    assert "01-greet.html" in study and "03-shipped.html" not in study
    assert "about demo-set" in shipped and "03-shipped.html" in shipped
    assert "<code>NAME</code>" in index and "override" in index
    table = pd.read_csv(out / "runs.csv")
    assert table["notebook"].tolist() == ["01-greet.ipynb", "02-broken.ipynb", "03-shipped.ipynb"]
    assert table["about"].tolist() == ["study", "study", "demo-set"]
    assert (table["seconds"] > 0).all()


def test_a_notebook_about_a_shipped_data_set_keeps_its_defaults(reports):
    runs, out = reports
    assert runs[2].ok and runs[2].about == "demo-set"
    page = (out / "03-shipped.html").read_text()
    assert "hello shipped default" in page and "hello override" not in page


def test_an_index_without_shipped_data_sets_has_one_table(tmp_path):
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    _notebook(nbdir / "01-a.ipynb", "A", "X = 1", "print(X)")
    runs = run_reports(nbdir, tmp_path / "out", progress=False)
    index = (tmp_path / "out" / "index.html").read_text()
    assert runs[0].ok and "About the shipped data sets" not in index and "failed" not in index


def test_a_folder_without_notebooks_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no notebooks named NN-topic.ipynb"):
        run_reports(tmp_path, tmp_path / "out", progress=False)


def test_notebook_title_falls_back_to_the_file_stem(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("no heading here")]
    nbformat.write(nb, str(tmp_path / "03-x.ipynb"))
    assert notebook_title(tmp_path / "03-x.ipynb") == "03-x"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [({}, "study"), ({"soleus": {"about": "pmdata"}}, "pmdata"),
     ({"soleus": {"about": "study"}}, "study"), ({"soleus": {"about": " "}}, "study"),
     ({"soleus": "pmdata"}, "study")],
)
def test_notebook_about_reads_the_metadata(tmp_path, meta, expected):
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(meta)
    nbformat.write(nb, str(tmp_path / "01-x.ipynb"))
    assert notebook_about(tmp_path / "01-x.ipynb") == expected


def test_the_shipped_notebooks_say_what_they_are_about():
    # Every notebook of the repository is about the study or about a data set that ships.
    shipped = {p.name for p in sol.locate_datasets().iterdir() if p.is_dir()}
    for path in sol.locate_notebooks().glob("[0-9][0-9]-*.ipynb"):
        about = notebook_about(path)
        assert about == "study" or about in shipped, (path.name, about)


# ---------------------------------------------------------------------------------------------
# where the notebooks are: --notebooks, the installed package's copy, the source checkout
# ---------------------------------------------------------------------------------------------
def _folder_of_notebooks(path):
    path.mkdir(parents=True)
    _notebook(path / "01-x.ipynb", "X", "A = 1", "print(A)")
    return path


def test_notebooks_are_found_given_then_installed_then_in_the_checkout(tmp_path, monkeypatch):
    checkout = Path(report_module.__file__).resolve().parent.parent / "notebooks"
    assert locate_notebooks() == checkout  # this test runs from a source checkout
    installed = _folder_of_notebooks(tmp_path / "site-packages" / "notebooks")
    monkeypatch.setattr(report_module, "_package_folder", lambda name: installed)
    assert locate_notebooks() == installed  # an installed copy comes first
    given = _folder_of_notebooks(tmp_path / "mine")
    assert locate_notebooks(given) == given
    with pytest.raises(InputError, match="no notebooks named"):
        locate_notebooks(tmp_path / "nothing-here")
    monkeypatch.setattr(report_module, "_package_folder", lambda name: None)
    monkeypatch.setattr(report_module, "_checkout_folder", lambda *parts: None)
    with pytest.raises(InputError, match="neither installed with the package nor in a source"):
        locate_notebooks()


def test_notebooks_away_from_a_checkout_run_in_a_work_folder_that_sees_the_data_sets(
    tmp_path, monkeypatch
):
    datasets = tmp_path / "datasets"
    (datasets / "demo-set").mkdir(parents=True)
    (datasets / "demo-set" / "athletes.csv").write_text("athlete_id\nA\n")
    monkeypatch.setattr(report_module, "locate_datasets", lambda: datasets)
    nbdir = tmp_path / "installed" / "notebooks"
    nbdir.mkdir(parents=True)
    _notebook(nbdir / "01-read.ipynb", "Read", 'RAW_DIR = "../data/raw/demo-set"',
              'import os\nprint("athletes:", open(os.path.join(RAW_DIR, "athletes.csv")).read()'
              '.split()[1])\nprint("cwd ends", os.path.basename(os.getcwd()))\n'
              'open("../data/processed/written.txt", "w").write("x")')
    out = tmp_path / "out"
    runs = run_reports(nbdir, out, progress=False)
    assert runs[0].ok, runs[0].error
    page = (out / "01-read.html").read_text()
    assert "athletes: A" in page
    assert (out / "work" / "data" / "processed" / "written.txt").exists()
    assert not (tmp_path / "installed" / "data").exists()  # nothing written beside the package


# ---------------------------------------------------------------------------------------------
# the study folder, checked before a build
# ---------------------------------------------------------------------------------------------
def test_check_study_folder(tmp_path):
    with pytest.raises(InputError, match="study folder not found"):
        check_study_folder(tmp_path / "nope")
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(InputError, match="is a file, not a study folder"):
        check_study_folder(tmp_path / "file.csv")
    (tmp_path / "empty" / "A01").mkdir(parents=True)
    with pytest.raises(InputError, match="holds no file"):
        check_study_folder(tmp_path / "empty")
    assert check_study_folder(tmp_path) == tmp_path.resolve()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_check_study_folder_unreadable(tmp_path):
    folder = tmp_path / "locked"
    (folder / "A01").mkdir(parents=True)
    (folder / "A01" / "x.csv").write_text("x")
    folder.chmod(0)
    try:
        with pytest.raises(InputError, match="cannot be read"):
            check_study_folder(folder)
    finally:
        folder.chmod(0o700)


def test_a_notebook_that_never_ran_shows_its_title_and_the_error_not_stored_outputs(tmp_path):
    source = tmp_path / "01-x.ipynb"
    _notebook(source, "Stored", "A = 1", "print(A)")
    nb = nbformat.read(str(source), as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="stored output of another run")]
    nbformat.write(nb, str(source))
    page = report_module._failed_notebook(source, tmp_path / "missing.ipynb", "NoSuchKernel: x")
    text = "".join(c.source for c in page.cells)
    assert [c.cell_type for c in page.cells] == ["markdown", "markdown"]
    assert "# Stored" in text and "this notebook failed with** NoSuchKernel: x" in text
    assert "stored output" not in str(page)


def test_a_long_error_is_cut_at_a_word_on_the_index_and_whole_on_its_page(tmp_path):
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    words = " ".join(f"word{i}" for i in range(100))
    _notebook(nbdir / "01-long.ipynb", "Long", "X = 1", f'raise ValueError("{words}")')
    (run,) = run_reports(nbdir, tmp_path / "out", progress=False)
    assert len(run.error) <= 300 and run.error.endswith(" ...")
    assert run.error.removesuffix(" ...").split()[-1] in words.split()  # a whole word
    assert "word99" in (tmp_path / "out" / "01-long.html").read_text()
