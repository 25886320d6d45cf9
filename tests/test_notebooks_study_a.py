"""Notebooks 01-04 on studies they were not written for: the four-athlete own study, one athlete.

Each notebook is executed with papermill (its ``parameters`` cell pointed at the study) and must
run to the end, and nothing it prints may describe the shipped demo cohort: no "simulated" (the
studies have no truth file), no "40 runners", no demo-cohort names or warnings with paths.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
OWN = Path(__file__).parent / "data" / "own-study"
NOTEBOOKS = [
    "01-validate-training-logs.ipynb",
    "02-soleus-dose.ipynb",
    "03-soleus-dose-and-pace.ipynb",
    "04-soleus-dose-and-fatigue.ipynb",
]
#: Smaller lag windows than the defaults: the models are skipped or small on these studies anyway.
SMALL = {"03-soleus-dose-and-pace.ipynb": {"LAGS": [1, 2], "MAX_LAG": 4}}
#: Text about the shipped demo cohort that must never reach a report on another study.
DEMO_TEXT = ["simulated", "40 runners", "40 athletes", "demo-cohort", "26 weeks", "seed 2025",
             "planted:"]


def _one_athlete(root: Path, athlete: str = "runner-gpx") -> Path:
    """A study of one athlete folder of the own study, with its athletes.csv row."""
    study = root / "one-athlete"
    shutil.copytree(OWN / athlete, study / athlete)
    with open(OWN / "athletes.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    keep = [rows[0]] + [r for r in rows[1:] if r[0] == athlete]
    with open(study / "athletes.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(keep)
    return study


@pytest.fixture(scope="module", params=["own-study", "one-athlete"])
def study(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    raw = (shutil.copytree(OWN, root / "own-study") if request.param == "own-study"
           else _one_athlete(root))
    return raw, root / "processed"


def _outputs(nb: dict) -> list[tuple[int, str, str]]:
    """(cell index, output type/stream name, text) of every code cell output."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            text = o.get("text") or "\n".join(
                "".join(v) if isinstance(v, list) else str(v)
                for k, v in data.items() if k != "image/png")
            if o.get("output_type") == "error":
                text = f"{o.get('ename')}: {o.get('evalue')}"
            out.append((i, o.get("name", o.get("output_type")), "".join(text)))
    return out


def _run(raw: Path, processed: Path, notebook: str, tmp_path: Path, monkeypatch) -> list:
    """Execute a notebook on a study; its outputs (see :func:`_outputs`)."""
    # Figures as SVG with their text kept as text, so that plot titles are checked too.
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(
        'c.InlineBackend.figure_formats = {"svg"}\n'
        'c.InlineBackend.rc = {"svg.fonttype": "none"}\n')
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    out = tmp_path / notebook
    papermill.execute_notebook(
        str(ROOT / "notebooks" / notebook), str(out),
        parameters={"RAW_DIR": str(raw), "PROCESSED_DIR": str(processed),
                    **SMALL.get(notebook, {})},
        cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3",
    )
    return _outputs(json.loads(out.read_text(encoding="utf-8")))


def _check(outputs: list, raw: Path, notebook: str) -> str:
    """Assert nothing about the demo cohort and no warning was printed; the outputs' text."""
    text = "\n".join(t for _, _, t in outputs)
    for phrase in DEMO_TEXT:
        assert phrase not in text.lower(), f"{notebook} on {raw.name} prints {phrase!r}"
    warnings = [(i, t) for i, kind, t in outputs if kind == "stderr" and "Warning" in t]
    assert not warnings, f"{notebook} on {raw.name} warns: {warnings}"
    # The first printed line describes this study, from its data.
    assert f"{raw.name}: " in text and "real exports (no truth.json)" in text
    return text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_on_a_study_of_real_exports(study, notebook, tmp_path, monkeypatch):
    raw, processed = study
    _check(_run(raw, processed, notebook, tmp_path, monkeypatch), raw, notebook)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dose_notebook_on_an_athlete_without_strength_logs(tmp_path, monkeypatch):
    raw = _one_athlete(tmp_path, "p05")  # PMSys and Fitbit only: the soleus dose is unknown
    notebook = "02-soleus-dose.ipynb"
    text = _check(_run(raw, tmp_path / "processed", notebook, tmp_path, monkeypatch), raw,
                  notebook)
    assert "Skipped the soleus dose: it needs strength logs" in text
