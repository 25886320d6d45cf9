"""The notebooks and the shipped data sets are part of the installed package (setup.py)."""

import runpy
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import setuptools

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup_kwargs():
    captured = {}
    original = setuptools.setup
    setuptools.setup = lambda **kwargs: captured.update(kwargs)
    try:
        runpy.run_path(str(ROOT / "setup.py"))
    finally:
        setuptools.setup = original
    return captured


def test_setup_maps_the_notebooks_and_data_sets_into_the_package(setup_kwargs):
    assert setup_kwargs["package_dir"] == {
        "soleus_analysis.notebooks": "notebooks",
        "soleus_analysis.datasets": "data/raw",
    }
    packages = setup_kwargs["packages"]
    assert {"soleus_analysis", "soleus_analysis.build", "soleus_analysis.readers",
            "soleus_analysis.notebooks", "soleus_analysis.datasets"} <= set(packages)
    # every subpackage of the library is found, not listed by hand
    subpackages = {
        ".".join(p.relative_to(ROOT).parent.parts)
        for p in (ROOT / "soleus_analysis").rglob("__init__.py")
    }
    assert subpackages <= set(packages)
    data = setup_kwargs["package_data"]
    notebooks = sorted((ROOT / "notebooks").glob(data["soleus_analysis.notebooks"][0]))
    assert [p.name for p in notebooks] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")
                                                 if p.name[:2].isdigit())
    assert data["soleus_analysis"] == ["data/*"]


@pytest.mark.slow
def test_the_wheel_holds_the_notebooks_and_every_shipped_data_file(tmp_path):
    # pip builds the wheel in an isolated environment (setuptools from the package index).
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("soleus_analysis-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"):
        assert f"soleus_analysis/notebooks/{nb.name}" in names
    raw = ROOT / "data" / "raw"
    shipped = {n.removeprefix("soleus_analysis/datasets/") for n in names
               if n.startswith("soleus_analysis/datasets/")}
    expected = {p.relative_to(raw).as_posix() for p in raw.rglob("*")
                if p.is_file() and not p.name.startswith(".")}
    assert shipped == expected
