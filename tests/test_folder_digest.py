"""The readers read the demo cohort exactly as before they were made faster (stored digests)."""

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

ROOT = Path(__file__).parent.parent / "data" / "raw" / "demo-cohort"
REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "reference" / "demo_read_digests.json").read_text()
)


def _digest(root: Path, workers: int = 1) -> dict:
    read = sol.read_folder(root, workers=workers)
    out = {}
    for name, df in sorted(read.tables.items()):
        d = df.copy()
        if "source_file" in d:
            d["source_file"] = d["source_file"].map(lambda p: Path(p).relative_to(root).as_posix())
        h = hashlib.sha256()
        h.update(json.dumps([list(map(str, d.columns)), [str(t) for t in d.dtypes]]).encode())
        h.update(pd.util.hash_pandas_object(d, index=True).to_numpy().tobytes())
        out[name] = [len(d), h.hexdigest()]
    return out


def test_three_athletes_read_exactly_as_before(tmp_path):
    root = tmp_path / "cohort"
    root.mkdir()
    shutil.copy(ROOT / "athletes.csv", root / "athletes.csv")
    for athlete in ("A001", "A002", "A017"):  # Hevy, Strong, Strava with GPX/FIT/TCX, PMSys
        shutil.copytree(ROOT / athlete, root / athlete)
    assert _digest(root) == REFERENCE["subset"]


@pytest.mark.slow
def test_the_whole_demo_cohort_reads_exactly_as_before_with_one_or_two_processes():
    assert _digest(ROOT, workers=1) == REFERENCE["all"]
    assert _digest(ROOT, workers=2) == REFERENCE["all"]
