"""The soleus adaptation: an exponentially weighted, cumulative response to the weekly dose.

``S_t = rho S_{t-1} + (1 - rho) x_t`` with ``rho = exp(-1 / tau)``, so that a dose sustained for
long enough gives ``S = x``; :func:`adaptation_state` runs the recursion, :func:`adaptation_kernel`
gives its lag weights (for distributed-lag models of the same dose).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

__all__ = ["adaptation_kernel", "adaptation_state"]


def adaptation_kernel(adaptation_weeks: float, n_lags: int) -> np.ndarray:
    """Lag weights ``w_0 .. w_{n_lags}`` of the exponentially weighted adaptation.

    ``S_t = sum_l w_l x_{t-l}`` with ``w_l = (1 - rho) rho^l`` and ``rho = exp(-1/tau)``; the
    weights sum to 1 over all lags, so a distributed-lag model truncated at lag ``L`` recovers the
    share ``sum(w[:L + 1]) = 1 - rho^(L+1)`` of the steady-state effect.

    Examples
    --------
    >>> adaptation_kernel(0, 3).tolist()
    [1.0, 0.0, 0.0, 0.0]
    >>> w = adaptation_kernel(4, 200)
    >>> round(float(w[0]), 3), round(float(w.sum()), 6)
    (0.221, 1.0)
    """
    if adaptation_weeks < 0:
        raise ValueError(f"adaptation_weeks must be >= 0, got {adaptation_weeks}")
    if n_lags < 0:
        raise ValueError(f"n_lags must be >= 0, got {n_lags}")
    rho = float(np.exp(-1.0 / adaptation_weeks)) if adaptation_weeks > 0 else 0.0
    return (1.0 - rho) * rho ** np.arange(n_lags + 1, dtype=float)


def adaptation_state(dose: np.ndarray, adaptation_weeks: float) -> np.ndarray:
    """Adaptation state ``S`` of weekly doses (last axis = weeks), starting from 0.

    Examples
    --------
    >>> adaptation_state(np.array([10.0, 10.0, 0.0]), 0).tolist()
    [10.0, 10.0, 0.0]
    >>> np.round(adaptation_state(np.full(60, 10.0), 4)[-1], 3)
    np.float64(10.0)
    """
    rho = float(np.exp(-1.0 / adaptation_weeks)) if adaptation_weeks > 0 else 0.0
    return lfilter([1.0 - rho], [1.0, -rho], np.asarray(dose, dtype=float), axis=-1)
