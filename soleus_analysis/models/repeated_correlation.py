"""Repeated-measures correlation (Bakdash & Marusich 2017), with an effective sample size.

The within-athlete association of two measures taken repeatedly on the same athletes, with one
common slope: does an athlete's pace improve in the weeks in which the athlete does more soleus
work? Computed from the ANCOVA ``y ~ C(subject) + x`` (Bakdash & Marusich 2017)::

    r_rm = sign(b_x) * sqrt(SS_x / (SS_x + SS_residual)),   df = N - k - 1

with N observations and k subjects, a t test on df and a confidence interval by Fisher's z with
``1 / sqrt(df - 1)`` as standard error (as the R package rmcorr). It ignores between-athlete
differences entirely and assumes the same slope for every athlete (no random slopes).

**Serial correlation.** That df counts every day as independent. Daily wellness ratings and
training are autocorrelated within an athlete (and training has weekly rhythms), and the
variance of a correlation between two autocorrelated series grows with the products of their
autocorrelations (Bartlett 1935; Pyper & Peterman 1998). With the autocorrelations
``rho_x(l)`` of the within-athlete exposure and ``rho_e(l)`` of the ANCOVA residuals at lags
``l = 1 .. max_lag`` (pooled over athletes, rows in time order)::

    n_eff = N / (1 + 2 sum_l rho_x(l) rho_e(l))      (never above N)
    df_eff = n_eff - k - 1

For AR(1) series this is ``N (1 - rho_x rho_e) / (1 + rho_x rho_e)``. The result always reports
the lag-1 autocorrelations, ``n_eff`` and the adjusted df. The p-value and
interval use ``df_eff`` when ``adjust=True``, or by default (``adjust="auto"``) when the
adjustment is material (``df_eff`` more than 10% below ``df``); ``adjust=False`` gives the
published statistic unchanged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row

__all__ = ["RmcorrResult", "rmcorr"]

MATERIAL = 0.9  # adjusted df below 90% of the naive df: the adjustment is used by default


@dataclass(frozen=True)
class RmcorrResult:
    """Repeated-measures correlation.

    Attributes
    ----------
    r : float
        Repeated-measures correlation (unitless, -1..1).
    df : float
        Degrees of freedom used for the p-value and interval: ``df_naive`` (N - k - 1) or the
        autocorrelation-adjusted ``df_eff``.
    p_value : float
        Two-sided p-value of the t test of r = 0 on ``df``.
    ci_low, ci_high : float
        Confidence interval of r at ``level`` (Fisher z, standard error ``1 / sqrt(df - 1)``).
    slope : float
        Common within-subject slope of y on x (y units per x unit).
    n_obs, n_athletes : int
        Rows and subjects (athletes) used.
    level : float
    df_naive : int
        N - k - 1, the Bakdash & Marusich df (every row independent).
    p_value_naive : float
        The p-value on ``df_naive``.
    rho_x, rho_resid : float
        Lag-1 autocorrelation of the within-athlete centred x and of the ANCOVA residuals
        (pooled over athletes, consecutive rows in time order).
    n_eff : float
        Effective number of observations, ``N / (1 + 2 sum_l rho_x(l) rho_resid(l))`` over lags
        1 to ``max_lag`` (at most N).
    df_eff : float
        ``n_eff - k - 1``.
    adjusted : bool
        Whether ``df``, ``p_value`` and the interval use ``df_eff``.
    notes : tuple of str
    """

    r: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    slope: float
    n_obs: int
    n_athletes: int
    level: float
    df_naive: int = 0
    p_value_naive: float = float("nan")
    rho_x: float = float("nan")
    rho_resid: float = float("nan")
    n_eff: float = float("nan")
    df_eff: float = float("nan")
    adjusted: bool = False
    slope_se: float = float("nan")
    notes: tuple[str, ...] = ()
    raw: Any = field(default=None, repr=False)

    @property
    def n_subjects(self) -> int:
        """Deprecated: use :attr:`n_athletes`."""
        warnings.warn("RmcorrResult.n_subjects is deprecated; use n_athletes",
                      DeprecationWarning, stacklevel=2)
        return self.n_athletes

    @property
    def table(self) -> pd.DataFrame:
        """Rows ``r`` (unitless) and ``slope`` (y units per x unit): ``term``, ``estimate``,
        ``std_error`` (slope only), ``ci_low``, ``ci_high``, ``p_value`` (the same t test for
        both), ``per``, ``df``, then ``df_naive``, ``n_eff``, ``rho_x``, ``rho_resid``,
        ``adjusted``."""
        q = stats.t.ppf(0.5 + self.level / 2, self.df)
        rows = [
            ("r", self.r, np.nan, self.ci_low, self.ci_high, self.p_value, "correlation"),
            ("slope", self.slope, self.slope_se, self.slope - q * self.slope_se,
             self.slope + q * self.slope_se, self.p_value, "y units per x unit"),
        ]
        out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
        return out.assign(df=float(self.df), df_naive=float(self.df_naive), n_eff=self.n_eff,
                          rho_x=self.rho_x, rho_resid=self.rho_resid, adjusted=self.adjusted)

    def effect(self, term: str) -> pd.Series:
        """One row of :attr:`table` (``"r"`` or ``"slope"``)."""
        return effect_row(self.table, term)


def _acf_pooled(values: np.ndarray, groups: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelations at lags 1..max_lag of within-group series (rows l apart, same group)."""
    den = float(values @ values)
    out = np.zeros(max_lag)
    if den == 0:
        return out
    for lag in range(1, max_lag + 1):
        if lag >= len(values):
            break
        same = groups[lag:] == groups[:-lag]
        out[lag - 1] = float(values[lag:][same] @ values[:-lag][same] / den)
    return out


def rmcorr(
    data: pd.DataFrame,
    *,
    x: str,
    y: str,
    subject: str,
    time: str | None = None,
    adjust: bool | str = "auto",
    max_lag: int = 14,
    level: float = 0.95,
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
    time : str, optional
        Column giving the order of each subject's rows (dates or counters); default: the row
        order of ``data``. Used only for the autocorrelations.
    adjust : {"auto", True, False}, default "auto"
        Use the autocorrelation-adjusted df for the p-value and interval: always (True), never
        (False: the Bakdash & Marusich statistic), or when it is at least 10% below the naive df.
    max_lag : int, default 14
        Lags summed in the effective sample size (14 days covers weekly training rhythms);
        never more than a quarter of the median number of rows per subject.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    RmcorrResult
        ``r``, ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``slope``, ``n_obs``,
        ``n_athletes``, the autocorrelations and effective sample size, ``notes``; ``.table``
        (rows ``r`` and ``slope``) and ``.effect(term)``.

    Raises
    ------
    ValueError
        If a column is missing, or fewer than 3 degrees of freedom remain.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"s": [1, 1, 1, 2, 2, 2], "x": [1, 2, 3, 1, 2, 3],
    ...                   "y": [2.0, 4.1, 5.9, 10.2, 11.9, 14.0]})
    >>> res = rmcorr(d, x="x", y="y", subject="s", adjust=False)
    >>> round(res.r, 3), res.df_naive
    (0.999, 3)
    """
    missing = [c for c in (x, y, subject) + ((time,) if time else ()) if c not in data.columns]
    if missing:
        raise ValueError(
            f"rmcorr: column(s) {missing} not in the data; columns are {list(data.columns)}. "
            "Fix: pass x=, y=, subject= (and time=) names of existing columns."
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if adjust not in ("auto", True, False):
        raise ValueError(f"adjust must be 'auto', True or False, got {adjust!r}")
    cols = [subject, x, y] + ([time] if time else [])
    d = data[cols].dropna()
    d = d.loc[d.groupby(subject)[x].transform("size") > 1]
    order = [subject, time] if time else [subject]
    d = d.sort_values(order, kind="stable")
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

    groups = d[subject].to_numpy()
    resid = yc - slope * xc
    # lags beyond a quarter of a typical athlete's series are noise (Box & Jenkins' rule)
    lags = int(min(max_lag, max(1, d.groupby(subject).size().median() // 4)))
    acf_x = _acf_pooled(xc, groups, lags)
    acf_e = _acf_pooled(resid, groups, lags)
    rho_x, rho_e = float(acf_x[0]), float(acf_e[0])
    factor = min(1.0, 1.0 / max(1.0 + 2.0 * float(acf_x @ acf_e), 1e-3))
    n_eff = n * factor
    df_eff = n_eff - k - 1
    material = df_eff < MATERIAL * dof
    use = bool(adjust is True or (adjust == "auto" and material))
    df_used = float(df_eff) if use else float(dof)
    if df_used < 3:
        df_used = 3.0

    def test(df: float) -> tuple[float, float, float]:
        t = r * np.sqrt(df / (1 - r**2)) if abs(r) < 1 else np.inf * np.sign(r)
        p = float(2 * stats.t.sf(abs(t), df))
        z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
        half = stats.norm.ppf(0.5 + level / 2) / np.sqrt(df - 1)
        return p, float(np.tanh(z - half)), float(np.tanh(z + half))

    p, lo, hi = test(df_used)
    p_naive = test(float(dof))[0]
    slope_se = float(np.sqrt(ss_res / df_used / sxx))
    notes = [
        f"Estimand: the within-athlete correlation of {x} and {y} (one common slope; "
        "between-athlete differences removed).",
        f"Lag-1 autocorrelation within athletes{'' if time else ' (rows in data order)'}: "
        f"{x} {rho_x:.2f}, residuals of {y} {rho_e:.2f}; effective sample size (Bartlett, lags "
        f"1-{lags}) "
        f"{n_eff:.0f} of {n} rows, df {df_eff:.1f} instead of {dof}.",
        ("p-value and interval use the autocorrelation-adjusted df."
         if use else "p-value and interval use df = N - k - 1 (rows independent)"
         + ("; the adjusted df differs materially: consider adjust=True." if material else ".")),
    ]
    return RmcorrResult(
        r=r,
        df=df_used,
        p_value=p,
        ci_low=lo,
        ci_high=hi,
        slope=float(slope),
        n_obs=int(n),
        n_athletes=int(k),
        level=level,
        df_naive=int(dof),
        p_value_naive=p_naive,
        rho_x=rho_x,
        rho_resid=rho_e,
        n_eff=float(n_eff),
        df_eff=float(df_eff),
        adjusted=use,
        slope_se=slope_se,
        notes=tuple(notes),
        raw={"sxx": sxx, "sxy": sxy, "syy": syy, "ss_residual": ss_res, "acf_x": acf_x,
         "acf_resid": acf_e},
    )
