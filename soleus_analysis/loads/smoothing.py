"""Exponentially weighted moving averages (EWMA) of daily loads: conventions, start and warm-up.

Formulas and sources are in ``docs/methods.md`` §4.5-4.6.

- EWMA: E_t = lambda x L_t + (1 - lambda) x E_{t-1}. ``convention="williams"``:
  lambda = 2/(N+1) with N = 7 and 28 (lambda = 0.25 and about 0.069; Williams et al. 2017, Br J
  Sports Med 51(3):209-210). ``"exponential"``: lambda = 1 - exp(-1/tau) with tau = N
  (GoldenCheetah, intervals.icu). ``"simple"``: lambda = 1/tau. An unrecorded day leaves the
  average unchanged (the update is skipped; the coverage rule of
  :mod:`soleus_analysis.loads.rolling` then decides whether the value is reported). The
  convention is stamped in the output (``ewma_convention`` column and ``attrs``).
- EWMA start (``ewma_init``, :data:`EWMA_INITS`): ``"mean"`` (default) starts each average at
  the mean of the athlete's recorded loads over the first N days (7 for the acute, 28 for the
  chronic average); ``"first"`` at the first recorded load; ``"zero"`` at 0 the day before the
  athlete's first day (this package's behaviour before version 0.2, and a common spreadsheet
  one). A zero start biases both averages low for weeks, the chronic one much more: 28 days at
  50 AU then 7 at 100 give an ACWR of 1.42 against 1.34 from a started-at-the-level average. A
  value is missing until N days of the athlete's history have passed (the first N - 1 days), so
  the ``"mean"`` start uses no later day than the one it is reported on. **Warm-up**
  (``ewma_warmup`` column, True on its rows): the first N days (chronic N) for ``"mean"``; for
  ``"zero"`` and ``"first"``, the days until the start value weighs less than 5%
  (``ceil(log 0.05 / log(1 - lambda))``: 42 days for the Williams chronic average, 84 for the
  exponential tau = 28). Values in the warm-up are shown but flagged; leave them out of
  analyses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.signal import lfilter

__all__ = [
    "CONVENTIONS",
    "EWMA_INITS",
    "ewma",
    "ewma_lambda",
    "ewma_start",
    "ewma_warmup_days",
    "grouped_ewma",
]

CONVENTIONS = ("williams", "exponential", "simple")
#: How an EWMA of the acute / chronic load starts (see the module docstring).
EWMA_INITS = ("mean", "first", "zero")


def ewma_lambda(span: float, convention: str = "williams") -> float:
    """Smoothing factor lambda of an exponentially weighted moving average.

    Parameters
    ----------
    span : float
        N (``williams``) or tau (``exponential``, ``simple``) in days; > 0.
    convention : {"williams", "exponential", "simple"}
        ``williams``: 2/(N+1) (Williams et al. 2017); ``exponential``: 1 - exp(-1/tau)
        (GoldenCheetah, intervals.icu); ``simple``: 1/tau.

    Returns
    -------
    float

    Examples
    --------
    >>> round(ewma_lambda(7), 6), round(ewma_lambda(28), 4)
    (0.25, 0.069)
    >>> round(ewma_lambda(42, "exponential"), 6), round(ewma_lambda(7, "exponential"), 6)
    (0.023528, 0.133122)
    """
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown EWMA convention {convention!r}; choose one of {', '.join(CONVENTIONS)}"
        )
    if not span > 0:
        raise ValueError(f"the EWMA span must be a positive number of days, got {span!r}")
    if convention == "williams":
        return 2.0 / (span + 1.0)
    if convention == "exponential":
        return 1.0 - math.exp(-1.0 / span)
    return 1.0 / span


def ewma(values, *, span: float, convention: str = "williams", seed: float = 0.0) -> np.ndarray:
    """EWMA of one daily series: E_t = lambda x L_t + (1 - lambda) x E_{t-1}, E_{-1} = seed.

    Missing days (NaN) leave the average unchanged.

    Parameters
    ----------
    values : array-like of float
        Daily loads, one per calendar day, in order.
    span, convention
        See :func:`ewma_lambda`.
    seed : float, default 0
        Value before the first day.

    Returns
    -------
    ndarray of float
        The average after each day.

    Examples
    --------
    >>> ewma([100.0, 0.0, np.nan, 200.0], span=7).tolist()
    [25.0, 18.75, 18.75, 64.0625]
    """
    x = np.asarray(values, dtype=float)
    lam = ewma_lambda(span, convention)
    out = np.empty_like(x)
    ok = ~np.isnan(x)
    if not ok.any():
        out[:] = seed
        return out
    smoothed = lfilter([lam], [1.0, lam - 1.0], x[ok], zi=np.array([(1.0 - lam) * seed]))[0]
    filled = np.full(x.shape, np.nan)
    filled[ok] = smoothed
    filled = pd.Series(filled).ffill().fillna(seed).to_numpy()
    return filled


def ewma_start(values: np.ndarray, span: float, init: str) -> float:
    """The EWMA's value before the first day: 0, the first recorded load or the first-N mean.

    ``init`` is one of :data:`EWMA_INITS`; an athlete without any recorded load starts at 0.
    """
    recorded = values[~np.isnan(values)]
    if init == "zero" or not len(recorded):
        return 0.0
    if init == "first":
        return float(recorded[0])
    head = values[: max(1, int(round(span)))]
    head = head[~np.isnan(head)]
    return float(head.mean()) if len(head) else float(recorded[0])


def ewma_warmup_days(span: float, convention: str = "williams", init: str = "mean") -> int:
    """Days of an athlete's history inside the warm-up of an EWMA (module docstring).

    Examples
    --------
    >>> ewma_warmup_days(28), ewma_warmup_days(28, init="zero")
    (28, 42)
    >>> ewma_warmup_days(28, "exponential", init="zero")
    84
    """
    if init not in EWMA_INITS:
        raise ValueError(f"unknown EWMA start {init!r}; choose one of {', '.join(EWMA_INITS)}")
    if init == "mean":
        return max(1, int(round(span)))
    lam = ewma_lambda(span, convention)
    return max(int(round(span)), math.ceil(math.log(0.05) / math.log(1.0 - lam) - 1e-9))


def grouped_ewma(
    codes: np.ndarray, values: np.ndarray, span: float, convention: str, init: str = "zero"
) -> np.ndarray:
    """:func:`ewma` of each athlete's run of rows, started by :func:`ewma_start`.

    The same numbers as calling :func:`ewma` on each athlete's rows, in one pass: the recorded
    loads of every athlete are packed into the rows of a matrix (athletes of similar length
    together) and filtered along its rows; each unrecorded day then takes the value of the last
    recorded one (or the start value).

    Parameters
    ----------
    codes : ndarray of int
        Athlete code of each row; an athlete's rows are contiguous and in date order.
    values : ndarray of float
        Daily loads (NaN = unrecorded).
    span, convention
        See :func:`ewma_lambda`.
    init : {"mean", "first", "zero"}, default "zero"
        See :data:`EWMA_INITS`.

    Returns
    -------
    ndarray of float
    """
    values = np.asarray(values, dtype=float)
    lam = ewma_lambda(span, convention)
    if not len(values):
        return np.empty_like(values)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, len(values)])
    group = np.repeat(np.arange(len(starts)), lengths)
    ok = ~np.isnan(values)
    seen = np.cumsum(ok)  # recorded rows up to and including each row
    before = np.r_[0, seen][starts]  # recorded rows before each athlete's first row
    n_recorded = np.add.reduceat(ok.astype(np.int64), starts)
    seeds = _starts(values, ok, starts, lengths, before, n_recorded, span, init)
    if not n_recorded.any():
        return seeds[group]
    smoothed = _filter_packed(values[ok], n_recorded, lam, seeds)
    # Each row: the average after the athlete's last recorded day so far, else the start value.
    last = seen - 1
    return np.where(seen > before[group], smoothed[np.maximum(last, 0)], seeds[group])


def _starts(values, ok, starts, lengths, before, n_recorded, span, init) -> np.ndarray:
    """:func:`ewma_start` of every athlete (same arithmetic)."""
    seeds = np.zeros(len(starts))
    has = n_recorded > 0
    if init == "zero" or not has.any():
        return seeds
    recorded = values[ok]
    first = recorded[np.minimum(before, len(recorded) - 1)]
    if init == "first":
        return np.where(has, first, 0.0)
    head_len = max(1, int(round(span)))
    in_head = (np.arange(len(values)) - np.repeat(starts, lengths)) < head_len
    use = ok & in_head
    n_head = np.add.reduceat(use.astype(np.int64), starts)
    seeds = np.where(has, first, 0.0)
    head_values = values[use]
    head_start = np.r_[0, np.cumsum(n_head)[:-1]]
    # np.mean of the same number of values, row by row, gives the bits of the 1-D mean.
    for count in np.unique(n_head[n_head > 0]):
        athletes = np.flatnonzero(n_head == count)
        rows = head_values[head_start[athletes][:, None] + np.arange(count)]
        seeds[athletes] = rows.mean(axis=1)
    return seeds


def _filter_packed(recorded, counts, lam, seeds, max_cells: int = 1 << 22) -> np.ndarray:
    """The EWMA of each athlete's recorded loads (``counts`` of them, in order) from its seed."""
    out = np.empty_like(recorded)
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    order = np.argsort(counts, kind="stable")
    order = order[counts[order] > 0]
    lo = 0
    while lo < len(order):
        # Athletes sorted by length, as many as fit a matrix of ``max_cells`` (at least one).
        hi = lo + 1
        while hi < len(order) and (hi - lo + 1) * counts[order[hi]] <= max_cells:
            hi += 1
        chunk = order[lo:hi]
        width = int(counts[chunk[-1]])
        col = np.arange(width)
        inside = col < counts[chunk][:, None]
        index = (offsets[chunk][:, None] + col)[inside]
        packed = np.zeros((len(chunk), width))
        packed[inside] = recorded[index]
        zi = ((1.0 - lam) * seeds[chunk])[:, None]
        smoothed = lfilter([lam], [1.0, lam - 1.0], packed, axis=1, zi=zi)[0]
        out[index] = smoothed[inside]
        lo = hi
    return out
