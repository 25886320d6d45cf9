"""Rolling metrics of the daily load: acute and chronic load, ACWR, monotony and strain, and the
performance-management chart (fitness, fatigue, form).

Formulas and sources are in ``docs/methods.md`` §4.5-4.7; the EWMA conventions and starts are in
:mod:`soleus_analysis.loads.smoothing`.

Rolling metrics and minimum coverage
------------------------------------
Every rolling metric is computed from recorded days only and is missing unless at least
``min_coverage`` (default 5/7) of the days of its window were recorded: 5 of 7, 20 of 28 and 15 of
21 days. Windows reaching before the athlete's first day count those days as unrecorded.

- Rolling averages: acute = mean of days t-6..t; chronic coupled = mean of days t-27..t; chronic
  uncoupled = mean of days t-27..t-7 (Windt & Gabbett 2019, Br J Sports Med 53:988-990).
- EWMAs of the acute and chronic load: see :mod:`soleus_analysis.loads.smoothing` (convention, start
  and warm-up).
- ACWR = acute / chronic, coupled or uncoupled, from rolling averages and from the EWMAs; missing
  when the chronic load is 0. **Critiques** (read before using a ratio): coupling the acute
  window into the chronic one creates a spurious correlation of about r = 0.5 between them (Lolli
  et al. 2019, Br J Sports Med 53:921-922); ratios have scaling and conceptual problems
  (Impellizzeri et al. 2020, Int J Sports Physiol Perform 15(6):907-913; Impellizzeri et al. 2021,
  Sports Med 51:581-592); model acute and chronic load as separate terms instead (Wang et al.
  2020, Sports Med 50:1243-1254). The panel therefore carries acute and chronic load, not the
  ratio.
- Monotony = mean / SD of the daily loads of the 7 days t-6..t, rest days (0) included (Foster
  1998, Med Sci Sports Exerc 30(7):1164-1168). SD is the **population** SD (``ddof=0``: the 7 days
  are the whole week, not a sample; ``ddof=1`` gives values sqrt(7/6) = 1.08x higher). A zero SD
  with training gives the cap (default 10, as fellrnr); every value is capped there; a week
  without any load has no monotony (NaN). Strain = 7 x mean daily load x monotony (= weekly load x
  monotony when all 7 days are recorded).
- PMC: CTL (fitness, tau = 42) and ATL (fatigue, tau = 7) are EWMAs of the daily load
  (``convention="exponential"`` by default: lambda = 0.023528 and 0.133122); TSB (form) on day t
  = CTL_{t-1} - ATL_{t-1} ("form tomorrow" of GoldenCheetah's default). Started at 0;
  ``pmc_burn_in`` marks the first 3 x tau_CTL days, whose values are biased low. CTL and ATL are
  missing when fewer than ``min_coverage`` of the last tau days of the athlete's record were
  recorded.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from soleus_analysis.errors import InputError
from soleus_analysis.loads.smoothing import EWMA_INITS, ewma_warmup_days, grouped_ewma
from soleus_analysis.timeutils import day_number

__all__ = ["acute_chronic", "monotony_strain", "pmc", "training_loads"]


def _min_days(window: int, min_coverage: float) -> int:
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage!r}")
    return max(1, math.ceil(min_coverage * window - 1e-9))



def _check_daily(daily: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    # Not a canonical table (no schema): the output of sol.daily_load.
    missing = [c for c in ("athlete_id", "date", "load_au") if c not in daily.columns]
    if missing:
        raise InputError(
            f"the daily load table lacks the column(s) {', '.join(missing)}",
            fix="pass the table of sol.daily_load(...)",
        )
    athlete = daily["athlete_id"].to_numpy(dtype=object)
    days = day_number(daily["date"])
    same = athlete[1:] == athlete[:-1]
    if len(daily) > 1 and not np.all(np.where(same, np.diff(days) == 1, True)):
        raise ValueError(
            "the daily table must hold one row per athlete and calendar day, consecutive and "
            "sorted "
            "by athlete_id and date; build it with sol.daily_load()"
        )
    if len(daily) > 1:
        starts = np.r_[True, ~same]
        if pd.Series(athlete[starts]).duplicated().any():
            raise ValueError(
                "each athlete's days must be contiguous in the daily table; "
                "sort by athlete_id, date"
            )
    codes = pd.factorize(athlete)[0]
    return codes, np.asarray(daily["load_au"], dtype=float)


class _AthleteWindows(BaseIndexer):
    """Trailing windows of ``window_size`` rows that stop at the athlete's first row.

    The bounds are those of ``groupby(athlete).rolling(window_size)``, so pandas' window kernels
    give the same numbers, without the per-athlete Python loop of its group indexer.
    """

    def __init__(self, first: np.ndarray, window_size: int):
        super().__init__(window_size=window_size)
        self.first = first

    def get_window_bounds(self, num_values=0, min_periods=None, center=None, closed=None,
                          step=None):
        end = np.arange(1, num_values + 1, dtype=np.int64)
        start = np.maximum(end - self.window_size, self.first)
        return start, end


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """For each row, the position of its athlete's first row (athletes contiguous)."""
    n = len(codes)
    starts = np.ones(n, dtype=bool)
    starts[1:] = codes[1:] != codes[:-1]
    return np.maximum.accumulate(np.where(starts, np.arange(n, dtype=np.int64), 0))


def _rolling(
    codes: np.ndarray, values: np.ndarray, window: int, min_days: int, how: str, ddof: int = 0
):
    roll = pd.Series(values).rolling(
        _AthleteWindows(_first_rows(codes), window), min_periods=min_days
    )
    out = roll.std(ddof=ddof) if how == "std" else getattr(roll, how)()
    return out.to_numpy()


def _position(codes: np.ndarray) -> np.ndarray:
    return np.arange(len(codes), dtype=np.int64) - _first_rows(codes)


def _shift(codes: np.ndarray, values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` of ``lag`` rows earlier within the athlete (NaN before their first)."""
    out = np.full(len(values), np.nan)
    inside = _position(codes) >= lag
    out[inside] = np.asarray(values, dtype=float)[np.flatnonzero(inside) - lag]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def acute_chronic(
    daily: pd.DataFrame,
    *,
    acute_days: int = 7,
    chronic_days: int = 28,
    convention: str = "williams",
    min_coverage: float = 5 / 7,
    ewma_init: str = "mean",
) -> pd.DataFrame:
    """Acute and chronic load and the acute:chronic ratios (coupled and uncoupled).

    Parameters
    ----------
    daily : DataFrame
        :func:`~soleus_analysis.loads.daily.daily_load` output (complete calendar per athlete,
        ``load_au`` NaN = unrecorded).
    acute_days, chronic_days : int
        Window N (rolling average) and EWMA span N / tau.
    convention : {"williams", "exponential", "simple"}
        EWMA convention (see :func:`~soleus_analysis.loads.smoothing.ewma_lambda`).
    min_coverage : float, default 5/7
        Share of recorded days a window needs.
    ewma_init : {"mean", "first", "zero"}, default "mean"
        How the EWMAs start (:mod:`soleus_analysis.loads.smoothing`). ``"zero"`` was the default
        before 0.2.

    Returns
    -------
    DataFrame
        Same index as ``daily``: ``acute_mean_au``, ``chronic_mean_au`` (coupled, days t-27..t),
        ``chronic_uncoupled_au`` (days t-27..t-7), ``acwr_coupled``, ``acwr_uncoupled``,
        ``acute_ewma_au``, ``chronic_ewma_au``, ``acwr_ewma`` [AU/day and ratios], and
        ``ewma_warmup`` (True on the rows inside the chronic EWMA's warm-up). The ratios are
        shown for completeness; see the critiques in the module docstring and model acute and
        chronic load as separate terms (:mod:`soleus_analysis.outcomes.acwr_diagnostics` has
        the coupling and random-denominator checks). ``attrs``: ``ewma_convention``,
        ``ewma_init``, ``ewma_warmup_days``.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=35),
    ...                   "load_au": [50.0] * 28 + [100.0] * 7})
    >>> out = acute_chronic(d)
    >>> round(float(out["acwr_ewma"].iloc[-1]), 2)  # EWMAs started at the first-N mean
    1.34
    >>> round(float(acute_chronic(d, ewma_init="zero")["acwr_ewma"].iloc[-1]), 2)
    1.42
    >>> int(out["ewma_warmup"].sum())  # the first 28 days
    28
    """
    if ewma_init not in EWMA_INITS:
        raise ValueError(
            f"unknown EWMA start {ewma_init!r}; choose one of {', '.join(EWMA_INITS)}"
        )
    codes, load = _check_daily(daily)
    acute_min = _min_days(acute_days, min_coverage)
    chronic_min = _min_days(chronic_days, min_coverage)
    tail = chronic_days - acute_days
    tail_min = _min_days(tail, min_coverage)
    acute = _rolling(codes, load, acute_days, acute_min, "mean")
    chronic = _rolling(codes, load, chronic_days, chronic_min, "mean")
    uncoupled = _shift(codes, _rolling(codes, load, tail, tail_min, "mean"), acute_days)
    recorded = (~np.isnan(load)).astype(float)
    position = _position(codes)
    out = pd.DataFrame(index=daily.index)
    out["acute_mean_au"] = acute
    out["chronic_mean_au"] = chronic
    out["chronic_uncoupled_au"] = uncoupled
    out["acwr_coupled"] = _ratio(acute, chronic)
    out["acwr_uncoupled"] = _ratio(acute, uncoupled)
    for name, span, need in (
        ("acute_ewma_au", acute_days, acute_min),
        ("chronic_ewma_au", chronic_days, chronic_min),
    ):
        smooth = grouped_ewma(codes, load, span, convention, ewma_init)
        covered = _rolling(codes, recorded, span, 1, "sum") >= need
        out[name] = np.where(covered & (position >= span - 1), smooth, np.nan)
    out["acwr_ewma"] = _ratio(out["acute_ewma_au"].to_numpy(), out["chronic_ewma_au"].to_numpy())
    warmup = ewma_warmup_days(chronic_days, convention, ewma_init)
    out["ewma_warmup"] = position < warmup
    out.attrs["ewma_convention"] = convention
    out.attrs["ewma_init"] = ewma_init
    out.attrs["ewma_warmup_days"] = warmup
    return out


def monotony_strain(
    daily: pd.DataFrame,
    *,
    days: int = 7,
    min_coverage: float = 5 / 7,
    ddof: int = 0,
    cap: float = 10.0,
) -> pd.DataFrame:
    """Foster's training monotony and strain over the last ``days`` days.

    Parameters
    ----------
    daily : DataFrame
        :func:`~soleus_analysis.loads.daily.daily_load` output.
    days : int, default 7
        Window length.
    min_coverage : float, default 5/7
        Share of recorded days the window needs.
    ddof : int, default 0
        0 = population SD (default), 1 = sample SD.
    cap : float, default 10
        Upper limit of monotony (a zero SD with training gives the cap).

    Returns
    -------
    DataFrame
        Same index: ``monotony`` (mean / SD of daily load, rest days included; NaN when the window
        holds no load at all) and ``strain_au`` = days x mean daily load x monotony [AU].

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=7),
    ...                   "load_au": [300.0, 0, 400, 0, 500, 200, 0]})
    >>> monotony_strain(d).iloc[-1].round(4).tolist()  # mean 200, population SD 192.7248
    [1.0377, 1452.8487]
    """
    codes, load = _check_daily(daily)
    need = _min_days(days, min_coverage)
    mean = _rolling(codes, load, days, need, "mean")
    sd = _rolling(codes, load, days, need, "std", ddof=ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        mono = np.where(sd > 0, mean / sd, np.where(mean > 0, cap, np.nan))
    mono = np.where(np.isnan(mean), np.nan, np.minimum(mono, cap))
    strain = np.where(mean == 0, 0.0, days * mean * mono)
    out = pd.DataFrame({"monotony": mono, "strain_au": strain}, index=daily.index)
    return out


def pmc(
    daily: pd.DataFrame,
    *,
    ctl_days: float = 42,
    atl_days: float = 7,
    convention: str = "exponential",
    min_coverage: float = 5 / 7,
) -> pd.DataFrame:
    """Performance-management chart: fitness (CTL), fatigue (ATL) and form (TSB).

    Parameters
    ----------
    daily : DataFrame
        :func:`~soleus_analysis.loads.daily.daily_load` output.
    ctl_days, atl_days : float, default 42 and 7
        Time constants (tau, or N for the Williams convention).
    convention : {"exponential", "williams", "simple"}, default "exponential"
        See :func:`~soleus_analysis.loads.smoothing.ewma_lambda`.
    min_coverage : float, default 5/7
        CTL (ATL) is reported only when at least this share of the last ``ctl_days``
        (``atl_days``) days of the athlete's record was recorded. Unlike the ACWR windows, days
        before the athlete's first day do not count against it: the start is flagged by
        ``pmc_burn_in`` instead.

    Returns
    -------
    DataFrame
        Same index: ``ctl_au``, ``atl_au`` (EWMAs started at 0; an unrecorded day leaves them
        unchanged), ``tsb_au`` = CTL_{t-1} - ATL_{t-1} (0 on the first day) [AU/day], and
        ``pmc_burn_in`` (True during the first 3 x ``ctl_days`` days).

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=3),
    ...                   "load_au": [100.0, 0, 0]})
    >>> pmc(d)[["ctl_au", "atl_au", "tsb_au"]].round(4).values.tolist()[:2]
    [[2.3528, 13.3122, 0.0], [2.2975, 11.5401, -10.9594]]
    """
    codes, load = _check_daily(daily)
    _min_days(7, min_coverage)  # validates min_coverage
    position = _position(codes)
    recorded = (~np.isnan(load)).astype(float)

    def covered(span: float) -> np.ndarray:
        window = max(1, int(round(span)))
        seen = _rolling(codes, recorded, window, 1, "sum")
        return seen >= min_coverage * np.minimum(window, position + 1) - 1e-9

    ctl = np.where(covered(ctl_days), grouped_ewma(codes, load, ctl_days, convention), np.nan)
    atl = np.where(covered(atl_days), grouped_ewma(codes, load, atl_days, convention), np.nan)
    tsb = _shift(codes, ctl - atl, 1)
    tsb = np.where(position == 0, 0.0, tsb)
    out = pd.DataFrame({"ctl_au": ctl, "atl_au": atl, "tsb_au": tsb}, index=daily.index)
    out["pmc_burn_in"] = position < 3 * ctl_days
    out.attrs["pmc_convention"] = convention
    return out


def training_loads(
    daily: pd.DataFrame,
    *,
    convention: str = "williams",
    acute_days: int = 7,
    chronic_days: int = 28,
    min_coverage: float = 5 / 7,
    monotony_ddof: int = 0,
    monotony_cap: float = 10.0,
    pmc_convention: str = "exponential",
    ctl_days: float = 42,
    atl_days: float = 7,
    ewma_init: str = "mean",
) -> pd.DataFrame:
    """All daily load metrics in one table.

    Parameters
    ----------
    daily : DataFrame
        :func:`~soleus_analysis.loads.daily.daily_load` output.
    convention : {"williams", "exponential", "simple"}, default "williams"
        EWMA convention of the acute and chronic load; stamped in ``ewma_convention`` and
        ``attrs``.
    acute_days, chronic_days, min_coverage
        See :func:`acute_chronic`.
    monotony_ddof, monotony_cap
        See :func:`monotony_strain`.
    pmc_convention, ctl_days, atl_days
        See :func:`pmc`.
    ewma_init : {"mean", "first", "zero"}, default "mean"
        Start of the acute and chronic EWMAs (see :func:`acute_chronic`); the PMC keeps its
        zero start and ``pmc_burn_in`` flag.

    Returns
    -------
    DataFrame
        ``daily`` with the columns of :func:`acute_chronic`, :func:`monotony_strain` and
        :func:`pmc` added, and ``ewma_convention``. ``attrs`` holds every parameter.
    """
    ac = acute_chronic(
        daily,
        acute_days=acute_days,
        chronic_days=chronic_days,
        convention=convention,
        min_coverage=min_coverage,
        ewma_init=ewma_init,
    )
    ms = monotony_strain(daily, min_coverage=min_coverage, ddof=monotony_ddof, cap=monotony_cap)
    pm = pmc(
        daily,
        ctl_days=ctl_days,
        atl_days=atl_days,
        convention=pmc_convention,
        min_coverage=min_coverage,
    )
    out = pd.concat([daily, ac, ms, pm], axis=1)
    out["ewma_convention"] = convention
    out.attrs = {
        "ewma_convention": convention,
        "ewma_init": ewma_init,
        "ewma_warmup_days": ac.attrs["ewma_warmup_days"],
        "acute_days": acute_days,
        "chronic_days": chronic_days,
        "min_coverage": min_coverage,
        "monotony_ddof": monotony_ddof,
        "monotony_cap": monotony_cap,
        "pmc_convention": pmc_convention,
        "ctl_days": ctl_days,
        "atl_days": atl_days,
    }
    return out
