"""Make ``event_study_panel.csv`` and the csdid reference numbers in ``event_study_csdid.csv``.

Run from the repository root (the panel part needs only numpy and pandas; the reference part
needs the ``csdid`` package, installed in a separate environment, never by the tests)::

    python tests/data/reference/event_study_reference.py

The panel: 40 units x 12 periods (1..12); cohorts first treated in period 4 (10 units), 6 (8),
9 (8) and never (14); unit effects, a common trend, AR(1) noise (0.5) and effects that differ by
cohort and grow with time since treatment. The reference is Callaway & Sant'Anna's ATT(g,t)
without covariates (``est_method="reg"``), ``base_period="universal"``, analytic influence-function
SEs (``bstrap=False``), for both comparison groups, and the dynamic aggregation
(``aggte(typec="dynamic")``) with its analytic SEs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def make_panel() -> pd.DataFrame:
    rng = np.random.default_rng(20210601)
    cohorts = [4] * 10 + [6] * 8 + [9] * 8 + [0] * 14
    rows = []
    for i, g in enumerate(cohorts):
        alpha = rng.normal(0, 5)
        e = 0.0
        for t in range(1, 13):
            e = 0.5 * e + rng.normal(0, 2)
            effect = 0.0 if g == 0 or t < g else (1.0 + 0.5 * (t - g)) * {4: 1.0, 6: 2.0,
                                                                         9: 3.0}[g]
            rows.append((i + 1, t, g, alpha - 0.8 * t + effect + e))
    return pd.DataFrame(rows, columns=["unit", "period", "first_treated", "y"])


def reference(panel: pd.DataFrame) -> pd.DataFrame:
    from csdid.att_gt import ATTgt

    out = []
    for control in ("nevertreated", "notyettreated"):
        att = ATTgt(yname="y", tname="period", idname="unit", gname="first_treated",
                    data=panel, control_group=control)
        att.fit(est_method="reg", base_period="universal", bstrap=False)
        r = att.results
        for g, t, a, s in zip(r["group"], r["year"], r["att"], r["se"], strict=True):
            out.append((control, "group_time", int(g), int(t), float(a), float(s)))
        agg = att.aggte(typec="dynamic", bstrap=False)
        a = agg.atte if hasattr(agg, "atte") else att.atte
        for e, v, s in zip(a["egt"], a["att_egt"], a["se_egt"], strict=True):
            out.append((control, "event", -1, int(e), float(v), float(s)))
        out.append((control, "overall", -1, -1, float(a["overall_att"]),
                    float(a["overall_se"])))
    return pd.DataFrame(out, columns=["control", "kind", "cohort", "time", "estimate",
                                      "std_error"])


if __name__ == "__main__":
    panel = make_panel()
    panel.to_csv(HERE / "event_study_panel.csv", index=False)
    if "--panel-only" not in sys.argv:
        ref = reference(panel)
        ref.to_csv(HERE / "event_study_csdid.csv", index=False, float_format="%.10g")
        print(ref.to_string())
