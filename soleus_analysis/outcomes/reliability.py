"""Measurement reliability: intraclass correlations and the typical error of a test.

Before asking whether soleus work changes a measure (critical speed, a calf-raise test, a
wellness score), one needs to know how much the measure moves on its own between trials.

:func:`icc` gives the six intraclass correlations of Shrout & Fleiss (1979, Psychol Bull
86(2):420-428) with their McGraw & Wong (1996, Psychol Methods 1(1):30-46) names, F tests and
F-based confidence intervals, computed from the two-way ANOVA of a complete targets x raters
table (formulas as R ``psych::ICC``; the tests reproduce ``psych::ICC(lmer = FALSE)`` exactly,
and psych's default, whose mean squares come from REML variance components, to 5 digits):

==========  ===========  =========================================================
Shrout      McGraw-Wong  model
==========  ===========  =========================================================
ICC(1,1)    ICC(1)       one-way random: each target rated by different raters
ICC(2,1)    ICC(A,1)     two-way random, absolute agreement, single rating
ICC(3,1)    ICC(C,1)     two-way mixed, consistency, single rating
ICC(1,k)    ICC(k)       one-way random, mean of k ratings
ICC(2,k)    ICC(A,k)     two-way random, absolute agreement, mean of k ratings
ICC(3,k)    ICC(C,k)     two-way mixed, consistency, mean of k ratings
==========  ===========  =========================================================

For test-retest reliability ("rater" = trial), ICC(2,1) / ICC(A,1) is the usual choice (Koo &
Li 2016, J Chiropr Med 15:155-163): it counts a systematic shift between trials as error.

:func:`typical_error` gives Hopkins' (2000, Sports Med 30(1):1-15) measures in the measure's
units, each with a confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.outcomes.base import OutcomeResult, require_columns

__all__ = ["ICC_FORMS", "icc", "typical_error"]

#: (Shrout & Fleiss name, McGraw & Wong name, psych type, description)
ICC_FORMS = (
    ("ICC(1,1)", "ICC(1)", "ICC1", "one-way random effects, single rating"),
    ("ICC(2,1)", "ICC(A,1)", "ICC2", "two-way random effects, absolute agreement, single rating"),
    ("ICC(3,1)", "ICC(C,1)", "ICC3", "two-way mixed effects, consistency, single rating"),
    ("ICC(1,k)", "ICC(k)", "ICC1k", "one-way random effects, mean of k ratings"),
    ("ICC(2,k)", "ICC(A,k)", "ICC2k",
     "two-way random effects, absolute agreement, mean of k ratings"),
    ("ICC(3,k)", "ICC(C,k)", "ICC3k", "two-way mixed effects, consistency, mean of k ratings"),
)


def _wide(data: pd.DataFrame, target: str, rater: str, rating: str, caller: str):
    """Complete targets x raters matrix; targets missing a rating are dropped (counted)."""
    require_columns(data, [target, rater, rating], caller)
    frame = data.loc[data[rating].notna(), [target, rater, rating]]
    if frame.duplicated([target, rater]).any():
        first = frame.loc[frame.duplicated([target, rater], keep=False)].iloc[0]
        raise ValueError(
            f"{caller}: target {first[target]!r} has more than one {rating!r} for "
            f"{rater} {first[rater]!r}; each target needs one value per {rater}")
    wide = frame.pivot(index=target, columns=rater, values=rating)
    dropped = int(wide.isna().any(axis=1).sum())
    wide = wide.dropna()
    n, k = wide.shape
    if n < 2 or k < 2:
        raise ValueError(
            f"{caller}: needs at least 2 {target}s with a {rating} from each of at least 2 "
            f"{rater}s; got {n} complete {target}s x {k} {rater}s")
    return wide.to_numpy(dtype=float), dropped


def _anova(x: np.ndarray) -> dict[str, float]:
    n, k = x.shape
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    ss_rows = float(k * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = float(n * ((x.mean(axis=0) - grand) ** 2).sum())
    ss_error = ss_total - ss_rows - ss_cols
    return {
        "n": n, "k": k,
        "msr": ss_rows / (n - 1),
        "msc": ss_cols / (k - 1),
        "msw": (ss_total - ss_rows) / (n * (k - 1)),
        "mse": ss_error / ((n - 1) * (k - 1)),
    }


def icc(
    data: pd.DataFrame,
    target: str,
    rater: str,
    rating: str,
    *,
    level: float = 0.95,
) -> OutcomeResult:
    """All six intraclass correlations with F tests and confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table: one row per target (athlete) and rater (or trial) with the rating.
    target, rater, rating : str
        Columns. Targets lacking a rating from any rater are dropped (the ANOVA needs a
        complete table); the notes say how many.
    level : float, default 0.95

    Returns
    -------
    OutcomeResult
        ``table``: one row per form, in the order of :data:`ICC_FORMS`: ``term`` (Shrout &
        Fleiss name), ``estimate`` (the ICC, unitless), ``std_error`` (missing: the interval
        comes from the F distribution), ``ci_low``, ``ci_high``, ``p_value`` (F test of ICC =
        0), ``per`` (``"single rating"`` or ``"mean of k ratings"``), ``mcgraw_wong``,
        ``type`` (R psych's label), ``description``, ``F``, ``df1``, ``df2``. ``raw`` holds
        the ANOVA mean squares.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                   "trial": [1, 2] * 4, "cs": [4.1, 4.2, 3.6, 3.8, 4.5, 4.4, 3.9, 4.1]})
    >>> t = icc(d, "athlete", "trial", "cs").table
    >>> t[["term", "estimate"]].round(3).values.tolist()[:3]
    [['ICC(1,1)', 0.88], ['ICC(2,1)', 0.881], ['ICC(3,1)', 0.902]]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    x, dropped = _wide(data, target, rater, rating, "icc")
    a = _anova(x)
    n, k, msr, msc, msw, mse = a["n"], a["k"], a["msr"], a["msc"], a["msw"], a["mse"]
    alpha = 1 - level
    est = {
        "ICC1": (msr - msw) / (msr + (k - 1) * msw),
        "ICC2": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        "ICC3": (msr - mse) / (msr + (k - 1) * mse),
        "ICC1k": (msr - msw) / msr,
        "ICC2k": (msr - mse) / (msr + (msc - mse) / n),
        "ICC3k": (msr - mse) / msr,
    }
    f1, df1n, df1d = msr / msw, n - 1, n * (k - 1)
    f3, df3n, df3d = msr / mse, n - 1, (n - 1) * (k - 1)
    q = 1 - alpha / 2
    f1l = f1 / stats.f.ppf(q, df1n, df1d)
    f1u = f1 * stats.f.ppf(q, df1d, df1n)
    f3l = f3 / stats.f.ppf(q, df3n, df3d)
    f3u = f3 * stats.f.ppf(q, df3d, df3n)
    # ICC(2,1): Satterthwaite df for the interval (McGraw & Wong 1996, Table 7; psych::ICC)
    r2 = est["ICC2"]
    fj = msc / mse
    vn = (k - 1) * (n - 1) * (k * r2 * fj + n * (1 + (k - 1) * r2) - k * r2) ** 2
    vd = (n - 1) * k**2 * r2**2 * fj**2 + (n * (1 + (k - 1) * r2) - k * r2) ** 2
    v = vn / vd
    f2u = stats.f.ppf(q, n - 1, v)
    f2l = stats.f.ppf(q, v, n - 1)
    l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
    u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
    ci = {
        "ICC1": ((f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        "ICC2": (l2, u2),
        "ICC3": ((f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        "ICC1k": (1 - 1 / f1l, 1 - 1 / f1u),
        "ICC2k": (l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        "ICC3k": (1 - 1 / f3l, 1 - 1 / f3u),
    }
    ftest = {"1": (f1, df1n, df1d), "2": (f3, df3n, df3d), "3": (f3, df3n, df3d)}
    rows = []
    for shrout, mcgraw, kind, description in ICC_FORMS:
        f, d1, d2 = ftest[kind[3]]
        rows.append({
            "term": shrout, "estimate": est[kind], "std_error": np.nan,
            "ci_low": ci[kind][0], "ci_high": ci[kind][1],
            "p_value": float(stats.f.sf(f, d1, d2)),
            "per": "mean of k ratings" if kind.endswith("k") else "single rating",
            "mcgraw_wong": mcgraw, "type": kind, "description": description,
            "F": f, "df1": float(d1), "df2": float(d2),
        })
    notes = [
        f"Intraclass correlations of {rating} for {n} {target}s x {k} {rater}s (two-way ANOVA "
        "of a complete table; Shrout & Fleiss 1979 forms with McGraw & Wong names; F-based "
        f"{level:.0%} intervals as R psych::ICC). An ICC is the share of the variance that is "
        f"between {target}s.",
        "For test-retest reliability use ICC(2,1) = ICC(A,1) (absolute agreement: a systematic "
        "shift between trials counts as error); ICC(3,1) ignores such shifts.",
    ]
    if dropped:
        notes.append(f"{dropped} {target}(s) dropped: not rated by every {rater}.")
    if n < 15:
        notes.append(f"Only {n} {target}s: the intervals are wide; an ICC from fewer than about "
                     "15-30 targets is a rough guide.")
    return OutcomeResult(table=pd.DataFrame(rows), notes=tuple(notes), raw=a, n_athletes=n,
                         n_obs=n * k)


def _chi2_sd_ci(sd: float, df: float, level: float) -> tuple[float, float]:
    """Interval of an SD estimated on ``df`` degrees of freedom (chi-square)."""
    a = 1 - level
    return (sd * np.sqrt(df / stats.chi2.ppf(1 - a / 2, df)),
            sd * np.sqrt(df / stats.chi2.ppf(a / 2, df)))


def typical_error(
    data: pd.DataFrame,
    subject: str,
    trial: str,
    value: str,
    *,
    level: float = 0.95,
    swc_factor: float = 0.2,
) -> OutcomeResult:
    """Typical error, CV, smallest detectable change and smallest worthwhile change of a test.

    With two trials the typical error (TE) is the SD of the subjects' differences divided by
    sqrt(2) (Hopkins 2000); with more trials, the residual SD of the subject x trial two-way
    ANOVA (the same thing for two trials), on ``(n - 1)(k - 1)`` degrees of freedom.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table: one row per subject and trial.
    subject, trial, value : str
        Columns. Subjects missing a trial are dropped.
    level : float, default 0.95
    swc_factor : float, default 0.2
        SWC = this x the between-subject SD (Hopkins: 0.2 = a small effect).

    Returns
    -------
    OutcomeResult
        ``table`` with the rows (``term``):

        - ``typical_error``: TE in the value's units; chi-square interval.
        - ``cv_percent``: TE as a coefficient of variation [%], from the TE of
          ``100 ln(value)``: ``100 (exp(TE_log / 100) - 1)``; needs positive values.
        - ``mdc95``: smallest detectable change, ``1.96 sqrt(2) TE`` (value units): a change
          between two single trials beyond it is unlikely (5%) to be noise alone.
        - ``between_sd``: between-subject SD of a single trial, ``sqrt((MSR + (k-1) MSE) / k)``
          (value units), interval from a chi-square on Satterthwaite df.
        - ``swc``: smallest worthwhile change = ``swc_factor`` x ``between_sd``.
        - ``trial_shift``: the mean change from the first to the last trial (learning or
          fatigue), t interval.

        Columns ``estimate``, ``std_error`` (missing except ``trial_shift``), ``ci_low``,
        ``ci_high``, ``p_value`` (missing except ``trial_shift``), ``per`` (units), ``df``.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                   "trial": [1, 2] * 4, "cs": [4.1, 4.2, 3.6, 3.8, 4.5, 4.4, 3.9, 4.1]})
    >>> t = typical_error(d, "athlete", "trial", "cs").table.set_index("term")
    >>> round(float(t.loc["typical_error", "estimate"]), 4)  # SD(0.1, 0.2, -0.1, 0.2) / sqrt 2
    0.1
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    x, dropped = _wide(data, subject, trial, value, "typical_error")
    a = _anova(x)
    n, k = a["n"], a["k"]
    df_e = (n - 1) * (k - 1)
    te = float(np.sqrt(a["mse"]))
    te_lo, te_hi = _chi2_sd_ci(te, df_e, level)
    z = 1.96
    rows = [("typical_error", te, np.nan, te_lo, te_hi, np.nan, f"{value} units", df_e)]
    notes = [
        f"Typical error of {value} from {n} {subject}s x {k} {trial}s: the within-{subject} SD "
        f"of a single {trial} (Hopkins 2000), {level:.0%} chi-square interval on {df_e} df.",
    ]
    if np.all(x > 0):
        te_log = float(np.sqrt(_anova(100 * np.log(x))["mse"]))
        lo_log, hi_log = _chi2_sd_ci(te_log, df_e, level)

        def cv(t: float) -> float:
            return 100 * (np.exp(t / 100) - 1)

        rows.append(("cv_percent", cv(te_log), np.nan, cv(lo_log), cv(hi_log), np.nan,
                     "% of the value", df_e))
    else:
        notes.append(f"No CV%: {value} has values <= 0 (the CV needs a log transform).")
    rows.append(("mdc95", z * np.sqrt(2) * te, np.nan, z * np.sqrt(2) * te_lo,
                 z * np.sqrt(2) * te_hi, np.nan, f"{value} units", df_e))
    var_single = (a["msr"] + (k - 1) * a["mse"]) / k
    df_b = (a["msr"] + (k - 1) * a["mse"]) ** 2 / (
        a["msr"] ** 2 / (n - 1) + ((k - 1) * a["mse"]) ** 2 / df_e)
    between = float(np.sqrt(var_single))
    b_lo, b_hi = _chi2_sd_ci(between, df_b, level)
    rows.append(("between_sd", between, np.nan, b_lo, b_hi, np.nan, f"{value} units", df_b))
    rows.append(("swc", swc_factor * between, np.nan, swc_factor * b_lo, swc_factor * b_hi,
                 np.nan, f"{value} units", df_b))
    diff = x[:, -1] - x[:, 0]
    shift = float(diff.mean())
    shift_se = float(diff.std(ddof=1) / np.sqrt(n))
    tq = stats.t.ppf(0.5 + level / 2, n - 1)
    p_shift = float(2 * stats.t.sf(abs(shift / shift_se), n - 1)) if shift_se > 0 else np.nan
    rows.append(("trial_shift", shift, shift_se, shift - tq * shift_se, shift + tq * shift_se,
                 p_shift, f"{value} units, last minus first {trial}", float(n - 1)))
    table = pd.DataFrame(rows, columns=["term", "estimate", "std_error", "ci_low", "ci_high",
                                        "p_value", "per", "df"])
    swc = swc_factor * between
    rating = "good" if te < swc else ("OK" if te <= 2 * swc else "marginal")
    notes.append(
        f"MDC95 = 1.96 x sqrt(2) x TE; SWC = {swc_factor:g} x between-{subject} SD of a single "
        f"{trial}. TE / SWC = {te / swc:.2f}: the test is {rating} for detecting the smallest "
        "worthwhile change (Hopkins: TE < SWC good, up to 2 x SWC OK)." if swc > 0 else
        "The between-subject SD is 0: no SWC.")
    if dropped:
        notes.append(f"{dropped} {subject}(s) dropped: not measured in every {trial}.")
    return OutcomeResult(table=table, notes=tuple(notes), raw=a, n_athletes=n, n_obs=n * k)
