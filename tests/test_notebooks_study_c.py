"""The injury and reliability notebooks run on studies they were not written for.

09-injury-and-load and 10-measurement-reliability are executed with papermill on a copy of
tests/data/own-study (4 real athletes: GPX runs, PMSys/Fitbit wellness with injury reports,
Strong logs) and on two one-athlete studies made from it (PMSys with injuries; GPX only). They must run without an error, say in
one sentence what a section lacks instead of failing, and never call real data simulated.
"""

import json
import shutil
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
OWN = ROOT / "tests" / "data" / "own-study"
NOTEBOOKS = ["09-injury-and-load.ipynb", "10-measurement-reliability.ipynb"]


def _one_athlete(target: Path, athlete: str) -> Path:
    """A study of one athlete of own-study: the athlete's folder and athletes.csv row."""
    shutil.copytree(OWN / athlete, target / athlete)
    lines = (OWN / "athletes.csv").read_text(encoding="utf-8").splitlines()
    (target / "athletes.csv").write_text(
        "\n".join([lines[0], *[x for x in lines[1:] if x.startswith(f"{athlete},")]]) + "\n",
        encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    base = tmp_path_factory.mktemp("studies")
    own = base / "own-study"
    shutil.copytree(OWN, own)
    return {
        "own-study": own,
        # PMSys wellness with injury reports and Fitbit runs, no strength log
        "one-athlete": _one_athlete(base / "one-athlete", "p05"),
        # GPX runs and a Strong log only: no session RPE, no wellness, no injury records
        "gpx-athlete": _one_athlete(base / "gpx-athlete", "runner-gpx"),
    }


def _outputs(nb: dict) -> str:
    text = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                text.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
            text.append("".join(out.get("text", "")))
            for mime in ("text/plain", "text/html"):
                text.append("".join(out.get("data", {}).get(mime, "")))
    return "\n".join(text)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
@pytest.mark.parametrize("study", ["own-study", "one-athlete", "gpx-athlete"])
def test_notebook_runs_on_other_studies(studies, notebook, study, tmp_path):
    raw = studies[study]
    executed = tmp_path / notebook
    papermill.execute_notebook(
        str(ROOT / "notebooks" / notebook), str(executed),
        parameters={"RAW_DIR": str(raw), "PROCESSED_DIR": str(raw.parent / f"{study}-processed"),
                    **({"POWER_SIMS": 20} if notebook.startswith("09") else {})},
        cwd=str(ROOT / "notebooks"), kernel_name="python3", progress_bar=False,
        log_output=False, request_save_on_cell_execute=False,
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    nb = json.loads(executed.read_text(encoding="utf-8"))
    text = _outputs(nb)
    assert "ERROR" not in text and "Traceback" not in text
    # real exports: nothing here was generated, so nothing may be called simulated
    assert "simulated" not in text.lower()
    assert "simulated" not in "".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").lower()
    # too few athletes and injuries for the models: one sentence each, not an error
    if notebook.startswith("09") and study == "gpx-athlete":
        assert "The study has no injury records" in text
        assert "Not assessed: the coupling of acute and chronic load" in text
    elif notebook.startswith("09"):
        assert "Injuries from the study's PMSys injury questionnaires" in text
        assert "Not fitted: the Cox model" in text and "Not fitted: the rate model" in text
        assert "Incidence:" in text  # a rate needs no model
    else:
        assert "Not assessed" in text
        if study == "gpx-athlete":
            assert "12 record streams of 1 athlete(s) read" in text


def test_notebooks_are_marked_as_study_notebooks():
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        assert nb["metadata"]["soleus"] == {"about": "study"}
        params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1
        assert 'RAW_DIR = "../data/raw/demo-cohort"' in "".join(params[0]["source"])
