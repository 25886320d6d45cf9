import nbformat
import pandas as pd
import pytest

from soleus_analysis.errors import InputError
from soleus_analysis.report import notebook_title, run_reports


def _notebook(path, title, parameters, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\ntext"), params,
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    nbdir = tmp_path_factory.mktemp("notebooks")
    _notebook(nbdir / "01-greet.ipynb", "Greeting", 'NAME = "default"', 'print("hello", NAME)')
    _notebook(nbdir / "02-broken.ipynb", "Broken", "X = 1", 'raise ValueError("planted failure")')
    (nbdir / "scratch.ipynb").write_text("not a numbered notebook: ignored")
    out = tmp_path_factory.mktemp("reports")
    runs = run_reports(nbdir, out, parameters={"NAME": "override"}, progress=False)
    return runs, out


def test_each_numbered_notebook_runs_with_the_parameters_and_failures_are_reported(reports):
    runs, out = reports
    assert [r.notebook for r in runs] == ["01-greet.ipynb", "02-broken.ipynb"]
    ok, broken = runs
    assert ok.ok and ok.title == "Greeting" and ok.html == "01-greet.html"
    page = (out / "01-greet.html").read_text()
    assert "hello override" in page and "hello default" not in page
    assert not broken.ok and "planted failure" in broken.error and broken.html == ""
    assert not (out / "02-broken.html").exists()
    assert (out / "executed" / "02-broken.ipynb").exists()  # kept to see where it failed


def test_index_and_runs_table_list_every_notebook(reports):
    runs, out = reports
    index = (out / "index.html").read_text()
    assert '<a href="01-greet.html">Greeting</a>' in index
    assert "failed: " in index and "planted failure" in index
    assert "<code>NAME</code>" in index and "override" in index
    table = pd.read_csv(out / "runs.csv")
    assert table["notebook"].tolist() == ["01-greet.ipynb", "02-broken.ipynb"]
    assert (table["seconds"] > 0).all()


def test_a_folder_without_notebooks_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no notebooks named NN-topic.ipynb"):
        run_reports(tmp_path, tmp_path / "out", progress=False)


def test_notebook_title_falls_back_to_the_file_stem(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("no heading here")]
    nbformat.write(nb, str(tmp_path / "03-x.ipynb"))
    assert notebook_title(tmp_path / "03-x.ipynb") == "03-x"
