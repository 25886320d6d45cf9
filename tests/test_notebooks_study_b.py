"""Notebooks 05-08 on studies they were not written for: the 4-athlete own study and one athlete.

Each notebook is executed with papermill (small parameters: few bootstrap refits and simulated
studies) on a copy of ``tests/data/own-study`` and on a one-athlete study cut from it, without
the second (PMData) study. They must run to the end, say in a sentence what a section lacks,
and carry no prose about the shipped data sets (simulated demo cohort, PMData).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

papermill = pytest.importorskip("papermill")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OWN = ROOT / "tests" / "data" / "own-study"

SMALL = {
    "05-fitness-fatigue-model": {"N_BOOT": 20},
    "06-study-design-and-power": {"N_SIMS": 4, "N_JOBS": 1, "ATHLETES": [6], "WEEKS": [10],
                                  "EFFECTS": [-4.0], "RECOVERY_ATHLETES": 6,
                                  "RECOVERY_SIMS": 4},
    "07-strength-days-and-wellness": {},
    "08-what-the-evidence-says": {"N_SIMS": 4, "N_JOBS": 1, "PACE_ATHLETES": [6],
                                  "FATIGUE_ATHLETES": [6], "POWER_WEEKS": 10,
                                  "REAL_RAW_DIR": ""},
}

# Prose about the shipped data sets that must not appear in a report on someone else's study.
# (The power sections' "simulated studies" are the method, not a claim about the data.)
FORBIDDEN = re.compile(
    r"(?-i:SIMULATED)|simulated (cohort|athlete|data)|pmdata|demo[- ]cohort|"
    r"planted (value|effect|slope)|16 recreational|40 runners|real people, real data",
    re.IGNORECASE,
)


def _one_athlete(src: Path, dst: Path, athlete: str) -> Path:
    dst.mkdir()
    shutil.copytree(src / athlete, dst / athlete)
    lines = (src / "athletes.csv").read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [row for row in lines[1:] if row.split(",")[0] == athlete]
    (dst / "athletes.csv").write_text("\n".join(keep) + "\n", encoding="utf-8")
    return dst


@pytest.fixture(scope="module", params=["own-study", "one-athlete"])
def study(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(request.param)
    if request.param == "own-study":
        raw = base / "own-study"
        shutil.copytree(OWN, raw)
    else:
        raw = _one_athlete(OWN, base / "one-athlete", "p03")
    return raw, base / "processed"


def _outputs(nb) -> str:
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                texts.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
            texts.append(out.get("text", ""))
            texts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


@pytest.mark.parametrize("name", list(SMALL))
def test_notebook_runs_on_a_small_study_without_demo_prose(study, name, tmp_path):
    raw, processed = study
    out = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(out), kernel_name="python3",
        cwd=str(NOTEBOOKS), progress_bar=False,
        parameters={"RAW_DIR": str(raw), "PROCESSED_DIR": str(processed), **SMALL[name]},
    )
    nb = nbformat.read(out, as_version=4)
    text = _outputs(nb)
    assert "ERROR" not in text
    assert "Traceback" not in text
    hits = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
    assert not hits, f"{name}: prose about the shipped data sets in the outputs: {hits}"
    assert nb.metadata["soleus"]["about"] == "study"
    # a section the study cannot support says what is missing in a sentence
    if name in ("05-fitness-fatigue-model", "07-strength-days-and-wellness"):
        assert "skipped:" in text
