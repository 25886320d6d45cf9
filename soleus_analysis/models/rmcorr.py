"""Repeated-measures correlation (Bakdash & Marusich 2017).

The within-athlete association of two measures taken repeatedly on the same athletes, with one
common slope: does an athlete's pace improve in the weeks in which the athlete does more soleus
work? Computed from the ANCOVA ``y ~ C(subject) + x`` (methods.md section 4.11)::

    r_rm = sign(b_x) * sqrt(SS_x / (SS_x + SS_residual)),   df = N - k - 1

with N observations and k subjects, a t test on df and a confidence interval by Fisher's z with
``1 / sqrt(df - 1)`` as standard error (as the R package rmcorr). It ignores between-athlete
differences entirely and assumes the same slope for every athlete (no random slopes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["RmcorrResult", "rmcorr"]


@dataclass(frozen=True)
class RmcorrResult:
    """Repeated-measures correlation.

    Attributes
    ----------
    r : float
        Repeated-measures correlation (unitless, -1..1).
    df : int
        Degrees of freedom, N - k - 1.
    p_value : float
        Two-sided p-value of the t test of r = 0.
    ci_low, ci_high : float
        Confidence interval of r at ``level`` (Fisher z).
    slope : float
        Common within-subject slope of y on x (y units per x unit).
    n_obs, n_subjects : int
    level : float
    """

    r: float
    df: int
    p_value: float
    ci_low: float
    ci_high: float
    slope: float
    n_obs: int
    n_subjects: int
    level: float

    @property
    def table(self) -> pd.DataFrame:
        """One-row table: ``r``, ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``slope``,
        ``n_obs``, ``n_subjects``."""
        return pd.DataFrame(
            [{"r": self.r, "df": self.df, "p_value": self.p_value, "ci_low": self.ci_low,
              "ci_high": self.ci_high, "slope": self.slope, "n_obs": self.n_obs,
              "n_subjects": self.n_subjects}]
        )


def rmcorr(
    data: pd.DataFrame, *, x: str, y: str, subject: str, level: float = 0.95
) -> RmcorrResult:
    """Repeated-measures correlation of two columns within subjects.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, several rows per subject. Rows with a missing ``x``, ``y`` or ``subject``
        are dropped; subjects left with one row add nothing and are dropped too.
    x, y : str
        The two measures (e.g. ``"soleus_sets"`` and ``"easy_pace_s_per_km"``).
    subject : str
        Subject (athlete) column.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    RmcorrResult
        ``r``, ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``slope``, ``n_obs``,
        ``n_subjects``; ``.table`` as a one-row DataFrame.

    Raises
    ------
    ValueError
        If a column is missing, or fewer than 3 degrees of freedom remain.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 1, 2, 2, 2], "x": [1, 2, 3, 1, 2, 3],
    ...                   "y": [2.0, 4.1, 5.9, 10.2, 11.9, 14.0]})
    >>> res = rmcorr(d, x="x", y="y", subject="s")
    >>> round(res.r, 3), res.df
    (0.999, 3)
    """
    missing = [c for c in (x, y, subject) if c not in data.columns]
    if missing:
        raise ValueError(
            f"rmcorr: column(s) {missing} not in the data; columns are {list(data.columns)}. "
            "Fix: pass x=, y= and subject= names of existing columns."
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    d = data[[subject, x, y]].dropna()
    d = d.loc[d.groupby(subject)[x].transform("size") > 1]
    xv = d[x].to_numpy(dtype=float)
    yv = d[y].to_numpy(dtype=float)
    xc = xv - d.groupby(subject)[x].transform("mean").to_numpy(dtype=float)
    yc = yv - d.groupby(subject)[y].transform("mean").to_numpy(dtype=float)
    n = len(d)
    k = d[subject].nunique()
    dof = n - k - 1
    if dof < 3:
        raise ValueError(
            f"rmcorr needs at least 3 degrees of freedom (N - subjects - 1); got {dof} from "
            f"{n} rows of {k} subjects with repeated measures."
        )
    sxx = float(xc @ xc)
    sxy = float(xc @ yc)
    syy = float(yc @ yc)
    if sxx == 0 or syy == 0:
        raise ValueError("rmcorr: x or y does not vary within any subject; r is undefined.")
    slope = sxy / sxx
    ss_x = sxy**2 / sxx  # ANCOVA sum of squares of x after the subject factor
    ss_res = syy - ss_x
    r = float(np.sign(slope) * np.sqrt(ss_x / (ss_x + ss_res)))
    t = r * np.sqrt(dof / (1 - r**2)) if abs(r) < 1 else np.inf * np.sign(r)
    p = float(2 * stats.t.sf(abs(t), dof))
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    half = stats.norm.ppf(0.5 + level / 2) / np.sqrt(dof - 1)
    return RmcorrResult(
        r=r,
        df=int(dof),
        p_value=p,
        ci_low=float(np.tanh(z - half)),
        ci_high=float(np.tanh(z + half)),
        slope=float(slope),
        n_obs=int(n),
        n_subjects=int(k),
        level=level,
    )
