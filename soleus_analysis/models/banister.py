"""Fitness-fatigue (Banister impulse-response) model with two or more training inputs.

For athlete performance ``p`` on a regular time grid (days or weeks) and loads ``w_m`` (e.g.
running load and soleus dose), docs/methods.md section 4.8 (Banister et al. 1975; Morton et al.
1990; Clarke & Skiba 2013)::

    p_hat(t) = p0 + s * sum_m [ k_fit_m * g_m(t) - k_fat_m * h_m(t) ]
    g_m(t)   = sum_{u<t} w_m(u) exp(-(t - u) / tau_fit)      (fitness)
    h_m(t)   = sum_{u<t} w_m(u) exp(-(t - u) / tau_fat)      (fatigue)

with ``s = +1`` if higher performance is better and ``-1`` otherwise (pace in s/km). Fitness and
fatigue time constants are shared by the inputs (they describe the athlete); each input has its
own gains. Constraints: ``k >= 0`` and ``tau_fit > tau_fat > 0``.

**Caveat (state it wherever results are shown).** The parameters are ill-conditioned (Hellard et
al. 2006): gains and time constants trade off against each other, so very different parameter
sets fit almost equally well, and intervals are wide. Read the out-of-sample error before any
parameter, and treat individual parameters as descriptive.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, signal, stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row

__all__ = ["BanisterResult", "banister_predict", "fit_banister"]

CAVEAT = (
    "Banister parameters are ill-conditioned (Hellard et al. 2006): gains and time constants "
    "trade off, so intervals are wide; judge the model by its out-of-sample error."
)


def _responses(load: np.ndarray, tau: float, include_current: bool) -> np.ndarray:
    """sum_{u<t} (or u<=t) load[u] * exp(-(t-u)/tau) for every t, by a recursive filter."""
    a = np.exp(-1.0 / tau)
    if include_current:
        return signal.lfilter([1.0], [1.0, -a], load)
    shifted = np.r_[0.0, load[:-1]]
    return a * signal.lfilter([1.0], [1.0, -a], shifted)


def banister_predict(
    loads: np.ndarray,
    *,
    p0: float,
    k_fitness: Sequence[float],
    k_fatigue: Sequence[float],
    tau_fitness: float,
    tau_fatigue: float,
    higher_is_better: bool = True,
    include_current: bool = False,
) -> np.ndarray:
    """Predicted performance of the fitness-fatigue model.

    Parameters
    ----------
    loads : array, shape (n_steps, n_inputs)
        Loads per time step on a regular grid, 0 when there was no training.
    p0 : float
        Baseline performance (performance units).
    k_fitness, k_fatigue : sequence of float
        Gains per input (performance units per load unit).
    tau_fitness, tau_fatigue : float
        Time constants (time steps).
    higher_is_better : bool, default True
    include_current : bool, default False
        Count the load of step ``t`` in the prediction for step ``t`` (GoldenCheetah does);
        by default only earlier steps count.

    Returns
    -------
    numpy.ndarray, shape (n_steps,)
        Predicted performance (performance units).

    Examples
    --------
    >>> import numpy as np
    >>> w = np.zeros((5, 1)); w[0, 0] = 10
    >>> banister_predict(w, p0=100, k_fitness=[1], k_fatigue=[2], tau_fitness=40,
    ...                  tau_fatigue=5).round(2).tolist()
    [100.0, 93.38, 96.11, 98.3, 100.06]
    """
    loads = np.asarray(loads, dtype=float)
    if loads.ndim == 1:
        loads = loads[:, None]
    sign = 1.0 if higher_is_better else -1.0
    out = np.full(loads.shape[0], float(p0))
    for m in range(loads.shape[1]):
        g = _responses(loads[:, m], tau_fitness, include_current)
        h = _responses(loads[:, m], tau_fatigue, include_current)
        out += sign * (k_fitness[m] * g - k_fatigue[m] * h)
    return out


@dataclass
class _Series:
    loads: np.ndarray  # (n_steps, m), scaled
    load_scale: np.ndarray  # (m,)
    obs_index: np.ndarray  # positions of performance tests on the grid
    perf: np.ndarray  # performance at those positions
    times: pd.Index  # grid time values


def _design(series: _Series, tau_fit: float, tau_fat: float, sign: float,
            include_current: bool, idx: np.ndarray) -> np.ndarray:
    cols = [np.ones(len(idx))]
    for m in range(series.loads.shape[1]):
        g = _responses(series.loads[:, m], tau_fit, include_current)[idx]
        h = _responses(series.loads[:, m], tau_fat, include_current)[idx]
        cols += [sign * g, -sign * h]
    return np.column_stack(cols)


def _profile(series: _Series, tau_fit: float, tau_fat: float, sign: float,
             include_current: bool, idx: np.ndarray, y: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Best p0 and gains (>= 0) for given time constants, and the residuals.

    p0 is unconstrained, so it is eliminated by centring; the gains solve a non-negative least
    squares problem (Lawson-Hanson, ``scipy.optimize.nnls``).
    """
    x = _design(series, tau_fit, tau_fat, sign, include_current, idx)
    gains = x[:, 1:]
    means = gains.mean(axis=0)
    beta, _ = optimize.nnls(gains - means, y - y.mean())
    lin = np.r_[y.mean() - means @ beta, beta]
    return lin, x @ lin - y


def _taus(v: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """(tau_fit, tau_fat) from v in [0, 1]^2: lo <= tau_fat, 1.01 tau_fat <= tau_fit <= hi."""
    top = hi / 1.01
    tau_fat = lo * (top / lo) ** float(v[0])
    tau_fit = 1.01 * tau_fat * (hi / (1.01 * tau_fat)) ** float(v[1])
    return tau_fit, tau_fat


def _unit(tau_fit: float, tau_fat: float, lo: float, hi: float) -> np.ndarray:
    """Inverse of :func:`_taus` (clipped to the unit square)."""
    top = hi / 1.01
    a = np.log(tau_fat / lo) / np.log(top / lo)
    span = np.log(hi / (1.01 * tau_fat))
    b = np.log(tau_fit / (1.01 * tau_fat)) / span if span > 0 else 1.0
    return np.clip([a, b], 0.0, 1.0)


GRID_SIZE = 24  # time constants per axis of the profile grid (log-spaced within tau_bounds)


def _profile_surface(series: _Series, *, sign: float, include_current: bool, tau_bounds: tuple,
                     idx: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Profiled residual sum of squares on a log-spaced grid of (tau_fit, tau_fat).

    Every time constant's responses are filtered once; each admissible pair
    (``tau_fit >= 1.01 tau_fat``) is then a small non-negative least-squares problem. Returns
    the grid and the RSS matrix (rows tau_fit, columns tau_fat; NaN where not admissible).
    """
    lo, hi = tau_bounds
    grid = np.geomspace(lo, hi, GRID_SIZE)
    m = series.loads.shape[1]
    resp = [np.column_stack([_responses(series.loads[:, j], tau, include_current)[idx]
                             for j in range(m)]) for tau in grid]
    yc = y - y.mean()
    rss = np.full((GRID_SIZE, GRID_SIZE), np.nan)
    for i, tf in enumerate(grid):
        for j, ta in enumerate(grid):
            if tf < 1.01 * ta * (1 - 1e-12):
                continue
            cols = np.empty((len(idx), 2 * m))
            cols[:, 0::2] = sign * resp[i]
            cols[:, 1::2] = -sign * resp[j]
            cols -= cols.mean(axis=0)
            _, r = optimize.nnls(cols, yc)
            rss[i, j] = r**2
    return grid, rss


def _fit_one(series: _Series, *, sign: float, include_current: bool, tau_bounds: tuple,
             idx: np.ndarray, y: np.ndarray, start: np.ndarray | None = None
             ) -> tuple[np.ndarray, bool, np.ndarray]:
    """Fit [p0, k_fit_1, k_fat_1, ..., tau_fat, ratio] by variable projection.

    For given time constants the model is linear in p0 and the gains, so those are solved
    exactly (:func:`_profile`) and only the two time constants are searched: the best point of
    a fixed log-spaced grid (:func:`_profile_surface`; or ``start``), then bounded least squares
    (``scipy.optimize.least_squares``) on the profiled residuals with tight tolerances (Golub &
    Pereyra 2003). The grid and the tolerances make the answer a deterministic function of the
    data: the same data give the same estimates to many digits on any CPU for identified fits.
    Returns the parameters, whether the search converged, and the residuals.
    """
    lo, hi = tau_bounds

    def resid(v: np.ndarray) -> np.ndarray:
        tau_fit, tau_fat = _taus(v, lo, hi)
        return _profile(series, tau_fit, tau_fat, sign, include_current, idx, y)[1]

    if start is None:
        grid, rss = _profile_surface(series, sign=sign, include_current=include_current,
                                     tau_bounds=tau_bounds, idx=idx, y=y)
        i, j = np.unravel_index(np.nanargmin(rss), rss.shape)
        v0 = _unit(grid[i], grid[j], lo, hi)
    else:
        v0 = _unit(start[-2] * start[-1], start[-2], lo, hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = optimize.least_squares(resid, v0, bounds=([0.0, 0.0], [1.0, 1.0]),
                                     diff_step=1e-7, xtol=1e-12, ftol=1e-12, gtol=1e-12,
                                     max_nfev=400)
    v = res.x if res.cost <= 0.5 * float(resid(v0) @ resid(v0)) else v0
    tau_fit, tau_fat = _taus(v, lo, hi)
    lin, r = _profile(series, tau_fit, tau_fat, sign, include_current, idx, y)
    return np.r_[lin, tau_fat, tau_fit / tau_fat], bool(res.status > 0), r


def _full_resid(theta: np.ndarray, series: _Series, sign: float, include_current: bool,
                idx: np.ndarray, y: np.ndarray) -> np.ndarray:
    n_lin = 1 + 2 * series.loads.shape[1]
    tau_fat, ratio = theta[-2], theta[-1]
    x = _design(series, tau_fat * ratio, tau_fat, sign, include_current, idx)
    return x @ theta[:n_lin] - y


def _natural(theta: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """[p0, k..., tau_fat, ratio] on scaled loads -> [p0, k... per load unit, tau_fit, tau_fat]."""
    m = len(scale)
    k = theta[1 : 1 + 2 * m].copy()
    k[0::2] /= scale
    k[1::2] /= scale
    tau_fat, ratio = theta[-2], theta[-1]
    return np.r_[theta[0], k, tau_fat * ratio, tau_fat]


@dataclass(frozen=True)
class BanisterResult:
    """Fitness-fatigue fits of one or more athletes.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per athlete and parameter: ``term`` (the parameter, prefixed by
        ``<athlete>/`` when there are athletes); ``estimate`` (p0 in performance units; gains
        in performance units per load unit; time constants in time steps); ``std_error``
        (bootstrap SD; NaN for Wald or no intervals); ``ci_low``, ``ci_high`` (at ``level``);
        ``p_value`` (NaN: a test of a gain or time constant against 0 has no use here); ``per``
        (units); then ``athlete``, ``parameter`` and ``identified``. The estimates and
        intervals of a fit that is **not identified** are NaN (see ``fit``; its point fit stays
        in ``raw["estimates"]``).
    fit : pandas.DataFrame
        One row per athlete: ``athlete``, ``n_tests`` (performance observations),
        ``n_steps`` (time steps on the grid), ``rmse_in`` and ``rmse_out`` (in-sample and
        expanding-window out-of-sample root-mean-square error, performance units),
        ``rmse_naive_last`` and ``rmse_naive_mean`` (the same out-of-sample tests predicted by
        the last training value and by the training mean: the baselines the model must beat),
        ``n_out`` (predictions scored out of sample), ``converged``, ``identified`` (bool),
        ``identification`` (why not, or ``"ok"``), ``resid_lag1`` (lag-1 autocorrelation of the
        residuals in test order), ``error_ar1`` (the bootstrap's AR(1) coefficient per time
        step, corrected for the fit; NaN without it), ``block_length`` (block of
        ``resample="blocks"``, tests).
    predictions : pandas.DataFrame
        ``athlete``, ``time``, ``observed``, ``predicted`` (in-sample fit) on the whole grid.
    caveat : str
    notes : tuple of str
    draws : pandas.DataFrame
        Bootstrap draws (``ci="bootstrap"``; else empty): ``athlete``, ``draw``, one column per
        parameter (natural units, as ``table``). Their correlations show the trade-offs between
        parameters.
    raw : dict
        ``estimates``: athlete -> the point fit's parameters (a Series, also for fits that are
        not identified); ``profile``: athlete -> (tau grid, profiled RSS matrix, rows
        tau_fitness, columns tau_fatigue).
    loads : tuple of str
    higher_is_better, include_current : bool
    level : float
    """

    table: pd.DataFrame
    fit: pd.DataFrame
    predictions: pd.DataFrame = field(repr=False)
    caveat: str = CAVEAT
    notes: tuple[str, ...] = ()
    draws: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    loads: tuple[str, ...] = ()
    higher_is_better: bool = True
    include_current: bool = False
    level: float = 0.95
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def n_athletes(self) -> int:
        """Athletes fitted."""
        return int(len(self.fit))

    @property
    def n_obs(self) -> int:
        """Performance tests used, over all fitted athletes."""
        return int(self.fit["n_tests"].sum()) if len(self.fit) else 0

    def effect(self, term: str) -> pd.Series:
        """One row of :attr:`table` (``"tau_fitness"``, or ``"<athlete>/tau_fitness"``)."""
        return effect_row(self.table, term)

    def steady_state(self, load: str, amount: float = 1.0) -> pd.DataFrame:
        """Change in performance once ``amount`` more of one load per step is kept up for good.

        With the load raised by ``amount`` every step and everything else unchanged, fitness
        and fatigue settle at ``amount x G(tau)``, ``G(tau) = a / (1 - a)`` (``1 / (1 - a)``
        when the current step counts), ``a = exp(-1 / tau)``, so performance changes by
        ``s x amount x (k_fit G(tau_fit) - k_fat G(tau_fat))`` (``s = -1`` when lower is
        better). This combination of parameters is much better determined than the
        parameters themselves (Hellard et al. 2006).

        Parameters
        ----------
        load : str
            One of the fitted load columns.
        amount : float, default 1
            Extra load per time step (load units), e.g. 10 soleus sets a week.

        Returns
        -------
        pandas.DataFrame
            One row per athlete: ``athlete``, ``load``, ``amount``, ``estimate`` (performance
            units; e.g. s/km, negative = faster for pace), ``ci_low``, ``ci_high`` (bootstrap
            percentile interval at ``level``; NaN without bootstrap draws), ``identified``
            (False: the fit is not identified and the row is NaN).
        """
        if load not in self.loads:
            raise ValueError(f"load {load!r} was not fitted; loads are {list(self.loads)}")
        sign = 1.0 if self.higher_is_better else -1.0

        def effect(frame: pd.DataFrame) -> np.ndarray:
            def gain(tau: pd.Series) -> np.ndarray:
                a = np.exp(-1.0 / tau.to_numpy(dtype=float))
                return 1.0 / (1.0 - a) if self.include_current else a / (1.0 - a)

            k_fit = frame[f"k_fitness[{load}]"].to_numpy(dtype=float)
            k_fat = frame[f"k_fatigue[{load}]"].to_numpy(dtype=float)
            return sign * amount * (k_fit * gain(frame["tau_fitness"])
                                    - k_fat * gain(frame["tau_fatigue"]))

        alpha = (1 - self.level) / 2
        rows = []
        for athlete, ok in zip(self.fit["athlete"], self.fit["identified"], strict=True):
            est = self.table.loc[self.table["athlete"].eq(athlete)
                                 | (self.table["athlete"].isna() & (athlete is None))]
            wide = est.set_index("parameter")["estimate"].to_frame().T
            low = high = np.nan
            if not self.draws.empty:
                mine = self.draws.loc[self.draws["athlete"].eq(athlete)
                                      | (self.draws["athlete"].isna() & (athlete is None))]
                if len(mine):
                    low, high = np.quantile(effect(mine), [alpha, 1 - alpha])
            rows.append((athlete, load, float(amount), float(effect(wide)[0]), low, high,
                         bool(ok)))
        return pd.DataFrame(rows, columns=["athlete", "load", "amount", "estimate", "ci_low",
                                           "ci_high", "identified"])


def fit_banister(
    data: pd.DataFrame,
    *,
    performance: str,
    loads: Sequence[str] = ("run_load", "soleus_dose"),
    time: str = "date",
    group: str | None = None,
    higher_is_better: bool = True,
    include_current: bool = False,
    time_step: Any = None,
    tau_bounds: tuple[float, float] = (1.0, 100.0),
    ci: str | None = "bootstrap",
    n_boot: int = 200,
    block_length: int | None = None,
    resample: str = "ar1",
    level: float = 0.95,
    n_folds: int = 3,
    min_train: float = 0.5,
    rng: Any = None,
) -> BanisterResult:
    """Fit the fitness-fatigue model per athlete by bounded nonlinear least squares.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per athlete and time step (day or week): loads (0 when there was no training)
        and performance (missing when not tested). Steps missing from the grid count as load 0.
        The model is daily by nature: fit daily data where the study has it (weekly steps make
        the fatigue time constant a fraction of a step, which the data cannot determine).
    performance : str
        Performance column (e.g. a time-trial speed, or ``"easy_pace_s_per_km"`` with
        ``higher_is_better=False``).
    loads : sequence of str
        Load columns, e.g. ``("run_distance_km", "soleus_sets")``.
    time : str
        Time column (dates, or numbers counting steps).
    group : str, optional
        Athlete column; None for a single athlete.
    higher_is_better : bool, default True
    include_current : bool, default False
        Whether the load of step t counts for the performance of step t.
    time_step : timedelta-like or number, optional
        Grid spacing; default: the smallest spacing between the athlete's time values.
    tau_bounds : (float, float), default (1, 100)
        Bounds of both time constants, in time steps.
    ci : {"bootstrap", "wald", None}, default "bootstrap"
        Residual bootstrap that keeps the errors' serial correlation, with percentile intervals
        (refits from the estimate); Wald intervals from the Jacobian (assume independent
        errors); or none.
    n_boot : int, default 200
    resample : {"ar1", "blocks"}, default "ar1"
        How the bootstrap resamples errors: an AR(1) sieve on the time grid, corrected for the
        autocorrelation the fit absorbs (default), or circular blocks of consecutive residuals.
    block_length : int, optional
        Block length in tests for ``resample="blocks"``; default: Politis & White's (2004) rule
        with an AR(1) plug-in from the residuals' lag-1 autocorrelation (1, the iid residual
        bootstrap, when it is <= 0).
    level : float, default 0.95
    n_folds : int, default 3
        Expanding-window validation: the tests after the first ``min_train`` share are split in
        ``n_folds`` blocks; each block is predicted from a fit on all earlier tests.
    min_train : float, default 0.5
    rng : seed or numpy Generator, optional
        Randomness of the bootstrap.

    Returns
    -------
    BanisterResult
        ``table`` (parameters with CIs; NaN for fits that are not identified), ``fit`` (RMSE
        in and out of sample, naive forecasts, identification), ``predictions``, ``draws``
        (bootstrap), ``notes``, ``raw``, ``caveat``; :meth:`BanisterResult.steady_state` gives
        the effect of a sustained extra load.

    Notes
    -----
    Variable projection (Golub & Pereyra 2003): for given time constants the model is linear in
    ``p0`` and the gains, which are solved exactly (non-negative least squares, ``p0`` free);
    the two time constants are profiled on a fixed log-spaced grid and refined by bounded
    ``scipy.optimize.least_squares`` on the profiled residuals, within ``tau_bounds`` and with
    ``tau_fitness >= 1.01 tau_fatigue``. Loads are rescaled internally.

    **Identification.** A fit is reported as not identified (``fit["identified"]`` False, NaN
    in ``table``, a note) when a time constant sits on its bound (``tau_bounds`` or the
    ``1.01`` ratio), when the fitness and fatigue responses of a load are nearly collinear
    (correlation > 0.99 at the tests: only ``k_fitness - k_fatigue`` is determined), or when
    the profile is flat: the 95% profile-likelihood region of the time constants
    (``RSS <= RSS_min exp(chi2_2(0.95) / n_eff)``, ``n_eff = n (1 - rho) / (1 + rho)`` for
    lag-1 residual autocorrelation ``rho > 0``) reaches the edge of the admissible region.

    **Bootstrap.** An iid residual bootstrap destroys the errors' serial correlation; under
    AR(1) noise with phi 0.7 its intervals covered 67-77%. The default (``resample="ar1"``)
    models the errors as AR(1) on the time grid (``corr(e_s, e_t) = phi^|s - t|``, so tests with
    gaps are handled), with ``phi`` and the error SD corrected for what the fit absorbs: the
    residuals are ``r = (I - H) e`` for the linearised model's hat matrix ``H``, and ``phi`` is
    set so that the expected lag-1 autocorrelation of ``(I - H) e`` equals the observed one
    (residual-based estimates were biased low: the slow fitness response soaks up slow noise).
    New errors are built from resampled standardised innovations and added to the fit; the model
    is refitted from the estimate. ``resample="blocks"`` resamples circular blocks of
    consecutive residuals (centred, inflated by ``sqrt(n / (n - p))``); it covered 82-89% in
    the same study. The default covered 87-96% (about 91% on average) of the true parameters
    in 350 generated series with AR(1) noise phi 0.7: still somewhat narrow
    (``tests/test_banister.py``, docs/models.md).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    loads = list(loads)
    needed = [performance, time, *loads] + ([group] if group else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(
            f"fit_banister: column(s) {missing} not in the data; columns are "
            f"{list(data.columns)}. Fix: pass performance=, loads= and time= names of existing "
            "columns."
        )
    if ci not in ("bootstrap", "wald", None):
        raise ValueError(f"ci must be 'bootstrap', 'wald' or None, got {ci!r}")
    if resample not in ("ar1", "blocks"):
        raise ValueError(f"resample must be 'ar1' or 'blocks', got {resample!r}")
    if block_length is not None and int(block_length) < 1:
        raise ValueError(f"block_length must be a positive integer, got {block_length!r}")
    lo, hi = tau_bounds
    if not 0 < lo < hi:
        raise ValueError(f"tau_bounds must be 0 < low < high, got {tau_bounds!r}")
    rng = np.random.default_rng(rng)
    sign = 1.0 if higher_is_better else -1.0
    groups = [(None, data)] if group is None else list(data.groupby(group, sort=True))
    param_names = ["p0"] + [f"k_{kind}[{c}]" for c in loads for kind in ("fitness", "fatigue")] + [
        "tau_fitness", "tau_fatigue"]
    units = ["performance units"] + ["performance units per load unit"] * (2 * len(loads)) + [
        "time steps"] * 2
    rows, fits, preds, notes, all_draws = [], [], [], [], []
    raw: dict = {"estimates": {}, "profile": {}}
    for athlete, d in groups:
        series = _series(d, performance=performance, loads=loads, time=time,
                         time_step=time_step, athlete=athlete)
        n_tests = len(series.obs_index)
        n_par = len(param_names)
        if n_tests < n_par + 2:
            notes.append(f"athlete {athlete!r}: {n_tests} performance tests for {n_par} "
                         "parameters; not fitted.")
            continue
        idx, y = series.obs_index, series.perf
        theta, ok, resid = _fit_one(series, sign=sign, include_current=include_current,
                                    tau_bounds=tau_bounds, idx=idx, y=y)
        fitted = resid + y
        est = _natural(theta, series.load_scale)
        raw["estimates"][athlete] = pd.Series(est, index=param_names)
        rho = _lag1(resid)
        grid, rss = _profile_surface(series, sign=sign, include_current=include_current,
                                     tau_bounds=tau_bounds, idx=idx, y=y)
        raw["profile"][athlete] = (grid, rss)
        why = _identification(series, theta, est, rss, grid, rho=rho, sign=sign,
                              include_current=include_current, tau_bounds=tau_bounds,
                              names=loads)
        identified = not why
        block = (int(block_length) if block_length is not None
                 else _block_length(rho, n_tests))
        low = np.full(n_par, np.nan)
        high = np.full(n_par, np.nan)
        se = np.full(n_par, np.nan)
        phi = np.nan
        if ci == "bootstrap" and identified:
            centred = (resid - resid.mean()) * np.sqrt(n_tests / max(n_tests - n_par, 1))
            draws = []
            if resample == "ar1":
                jac = _jacobian(theta, series, sign, include_current)
                phi, innov = _ar1_adjusted(resid, idx, jac)
            for _ in range(n_boot):
                noise = (_circular_blocks(centred, block, rng) if resample == "blocks"
                         else _ar1_resample(phi, innov, np.diff(idx), rng))
                y_b = fitted + noise
                th_b, _, _ = _fit_one(series, sign=sign, include_current=include_current,
                                      tau_bounds=tau_bounds, idx=idx, y=y_b, start=theta)
                draws.append(_natural(th_b, series.load_scale))
            draws = np.asarray(draws)
            frame = pd.DataFrame(draws, columns=param_names)
            frame.insert(0, "draw", np.arange(len(draws)))
            frame.insert(0, "athlete", athlete)
            all_draws.append(frame)
            alpha = (1 - level) / 2
            low, high = np.quantile(draws, [alpha, 1 - alpha], axis=0)
            se = draws.std(axis=0, ddof=1)
        elif ci == "wald" and identified:
            low, high = _wald(theta, series, sign, include_current, level)
        shown = est if identified else np.full(n_par, np.nan)
        for name, unit, e, s_, a, b in zip(param_names, units, shown, se, low, high,
                                           strict=True):
            term = name if group is None else f"{athlete}/{name}"
            rows.append((term, e, s_, a, b, np.nan, unit, athlete, name, identified))
        rmse_out, naive_last, naive_mean, n_out = _expanding_window(
            series, sign=sign, include_current=include_current, tau_bounds=tau_bounds,
            n_folds=n_folds, min_train=min_train)
        fits.append((athlete, n_tests, len(series.times), float(np.sqrt(np.mean(resid**2))),
                     rmse_out, naive_last, naive_mean, n_out, ok, identified,
                     "; ".join(why) or "ok", rho, phi, block))
        full = np.full(len(series.times), np.nan)
        full[idx] = y
        pred = banister_predict(
            series.loads * series.load_scale, p0=est[0], k_fitness=est[1:-2:2],
            k_fatigue=est[2:-2:2], tau_fitness=est[-2], tau_fatigue=est[-1],
            higher_is_better=higher_is_better, include_current=include_current,
        )
        preds.append(pd.DataFrame({"athlete": athlete, "time": series.times, "observed": full,
                                   "predicted": pred}))
        who = "the series" if athlete is None else f"athlete {athlete!r}"
        if not identified:
            notes.append(
                f"{who}: not identified ({'; '.join(why)}); its parameters are not reported "
                "(NaN in table; the point fit is in raw['estimates']). Fit daily data, a longer "
                "series, or fix the time constants from the literature.")
        if ci == "bootstrap" and identified:
            notes.append(
                f"{who}: bootstrap, {n_boot} refits; errors resampled as AR(1) with phi "
                f"{phi:.2f} per step, corrected for the fit (residual lag-1 autocorrelation "
                f"{rho:.2f})." if resample == "ar1" else
                f"{who}: block bootstrap, {n_boot} refits, blocks of {block} consecutive tests "
                f"(residual lag-1 autocorrelation {rho:.2f}).")
    table = pd.DataFrame(rows, columns=[*TABLE_COLUMNS, "athlete", "parameter", "identified"])
    fit = pd.DataFrame(fits, columns=["athlete", "n_tests", "n_steps", "rmse_in", "rmse_out",
                                      "rmse_naive_last", "rmse_naive_mean", "n_out",
                                      "converged", "identified", "identification",
                                      "resid_lag1", "error_ar1", "block_length"])
    predictions = (pd.concat(preds, ignore_index=True) if preds else
                   pd.DataFrame(columns=["athlete", "time", "observed", "predicted"]))
    draws = (pd.concat(all_draws, ignore_index=True) if all_draws else
             pd.DataFrame(columns=["athlete", "draw", *param_names]))
    return BanisterResult(table=table, fit=fit, predictions=predictions, notes=tuple(notes),
                          draws=draws, loads=tuple(loads), higher_is_better=higher_is_better,
                          include_current=include_current, level=level, raw=raw)


def _lag1(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals in test order (0 for fewer than 4)."""
    r = resid - resid.mean()
    den = float(r @ r)
    if len(r) < 4 or den == 0:
        return 0.0
    return float(r[1:] @ r[:-1] / den)


def _block_length(rho: float, n: int) -> int:
    """Politis & White (2004) circular-block length with an AR(1) plug-in.

    For AR(1) errors with coefficient rho: ``G = 2 rho / (1 - rho)^2``, ``g(0) = (1 + rho) /
    (1 - rho)``, ``b = (2 G^2 / (4/3 g(0)^2))^(1/3) n^(1/3)``, rounded up, within [1, n / 3].
    """
    if rho <= 0:
        return 1
    rho = min(rho, 0.95)
    g = 2 * rho / (1 - rho) ** 2
    g0 = (1 + rho) / (1 - rho)
    b = (2 * g**2 / (4 / 3 * g0**2)) ** (1 / 3) * n ** (1 / 3)
    return int(np.clip(np.ceil(b), 1, max(1, n // 3)))


def _jacobian(theta: np.ndarray, series: _Series, sign: float, include_current: bool
              ) -> np.ndarray:
    """Forward-difference Jacobian of the residuals at the tests with respect to theta."""
    idx, y = series.obs_index, series.perf
    base_r = _full_resid(theta, series, sign, include_current, idx, y)
    step = 1e-6 * np.maximum(np.abs(theta), 1e-3)
    jac = np.empty((base_r.size, theta.size))
    for j in range(theta.size):
        th = theta.copy()
        th[j] += step[j]
        jac[:, j] = (_full_resid(th, series, sign, include_current, idx, y) - base_r) / step[j]
    return jac


def _ar1_adjusted(resid: np.ndarray, idx: np.ndarray, jac: np.ndarray
                  ) -> tuple[float, np.ndarray]:
    """AR(1) error model on the time grid, corrected for what the fit absorbed.

    Fitted residuals are ``r = M e`` (``M = I - H``, ``H`` the hat matrix of the linearised
    model), and a model with a slow fitness component absorbs the slow part of autocorrelated
    noise: residuals look less autocorrelated and smaller than the errors. ``phi`` is chosen so
    that the expected lag-1 autocorrelation of ``M e`` under ``corr(e_k, e_l) = phi^|t_k - t_l|``
    equals the observed one; the error SD so that ``E[r'r] = r'r``. Returns ``phi`` and
    standardised innovations (rescaled to that SD) for :func:`_ar1_resample`.
    """
    n = len(resid)
    q, _ = np.linalg.qr(jac)
    m = np.eye(n) - q @ q.T
    lag = np.abs(np.subtract.outer(idx, idx)).astype(float)
    r = resid - resid.mean()
    observed = float(r[1:] @ r[:-1] / (r @ r))

    shift = np.eye(n, k=1)
    a_lag = (m @ shift @ m).T  # tr(S M R M) = sum(a_lag * R): O(n^2) per phi

    def expected(phi: float) -> tuple[float, float]:
        corr = phi**lag
        total = float(np.sum(m * corr))  # tr(M R M) = tr(M R)
        return float(np.sum(a_lag * corr)) / total, total

    grid = np.linspace(0.0, 0.98, 25)
    values = np.array([expected(ph)[0] for ph in grid])
    if observed <= values[0]:
        phi = 0.0
    elif observed >= values[-1]:
        phi = float(grid[-1])
    else:
        phi = float(optimize.brentq(lambda ph: expected(ph)[0] - observed, 0.0, 0.98,
                                    xtol=1e-10))
    sd = np.sqrt(float(r @ r) / expected(phi)[1])
    gaps = np.diff(idx)
    a = phi ** gaps
    z = np.r_[r[0], (r[1:] - a * r[:-1]) / np.sqrt(np.maximum(1 - a**2, 1e-12))]
    z = (z - z.mean()) / max(z.std(), 1e-300)
    return phi, z * sd


def _ar1_resample(phi: float, innov: np.ndarray, gaps: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """AR(1)-sieve resample on the time grid (innovations drawn with replacement)."""
    eps = rng.choice(innov, size=len(innov), replace=True)
    out = np.empty(len(innov))
    out[0] = eps[0]
    a = phi ** gaps
    out[1:] = eps[1:] * np.sqrt(1 - a**2)
    for k in range(1, len(out)):
        out[k] += a[k - 1] * out[k - 1]
    return out


def _circular_blocks(x: np.ndarray, block: int, rng: np.random.Generator) -> np.ndarray:
    """A circular block bootstrap resample of ``x`` (Politis & Romano 1992)."""
    n = len(x)
    starts = rng.integers(0, n, int(np.ceil(n / block)))
    pos = (starts[:, None] + np.arange(block)[None, :]).ravel()[:n] % n
    return x[pos]


def _identification(series: _Series, theta: np.ndarray, est: np.ndarray, rss: np.ndarray,
                    grid: np.ndarray, *, rho: float, sign: float, include_current: bool,
                    tau_bounds: tuple, names: list[str]) -> list[str]:
    """Reasons the fit is not identified (empty list: identified). See :func:`fit_banister`."""
    lo, hi = tau_bounds
    tau_fit, tau_fat = est[-2], est[-1]
    why = []
    if np.isclose(tau_fat, lo, rtol=1e-3) or np.isclose(tau_fit, hi, rtol=1e-3):
        why.append("a time constant is on its bound")
    elif tau_fit <= 1.01 * tau_fat * (1 + 1e-3):
        why.append("tau_fitness = 1.01 tau_fatigue, the bound between them")
    x = _design(series, tau_fit, tau_fat, sign, include_current, series.obs_index)
    for m in range(series.loads.shape[1]):
        g, h = x[:, 1 + 2 * m], x[:, 2 + 2 * m]
        if g.std() > 0 and h.std() > 0 and abs(np.corrcoef(g, h)[0, 1]) > 0.99:
            why.append(f"fitness and fatigue responses of {names[m]} are collinear "
                       "(only k_fitness - k_fatigue is determined)")
            break
    n = len(series.obs_index)
    n_eff = n * (1 - rho) / (1 + rho) if rho > 0 else n
    if np.isfinite(rss).any():
        best = np.nanmin(rss)
        inside = rss <= best * np.exp(stats.chi2.ppf(0.95, 2) / max(n_eff, 1.0))
        ok = np.isfinite(rss)
        # the admissible region's edge: tau_fat at its lower bound, tau_fit at its upper bound,
        # or the first admissible tau_fit of each tau_fat column (the ratio bound)
        edge = np.zeros_like(ok)
        edge[:, 0] = ok[:, 0]
        edge[-1, :] = ok[-1, :]
        first = np.argmax(ok, axis=0)
        cols = np.flatnonzero(ok.any(axis=0))
        edge[first[cols], cols] = True
        if (inside & edge).any() and not why:
            why.append("flat profile: the 95% profile-likelihood region of the time constants "
                       "reaches the edge of tau_bounds")
    return why


def _series(d: pd.DataFrame, *, performance: str, loads: list[str], time: str,
            time_step: Any, athlete: Any) -> _Series:
    d = d.sort_values(time)
    if d[time].duplicated().any():
        raise ValueError(f"athlete {athlete!r}: more than one row per {time!r}; aggregate first.")
    if d[loads].isna().any().any():
        bad = d.loc[d[loads].isna().any(axis=1), time].iloc[0]
        raise ValueError(
            f"athlete {athlete!r}: missing load at {time}={bad!r}. Fix: use 0 for a step without "
            "training; drop the athlete or impute if the load is unknown."
        )
    t = d[time]
    is_dt = pd.api.types.is_datetime64_any_dtype(t)
    if time_step is None:
        diffs = t.diff().dropna()
        step = diffs.min() if len(diffs) else (pd.Timedelta(days=1) if is_dt else 1)
    else:
        step = pd.Timedelta(time_step) if is_dt else time_step
    pos = np.round(np.asarray((t - t.iloc[0]) / step, dtype=float)).astype(int)
    n_steps = int(pos.max()) + 1
    grid = np.zeros((n_steps, len(loads)))
    grid[pos] = d[loads].to_numpy(dtype=float)
    if (grid < 0).any():
        raise ValueError(f"athlete {athlete!r}: negative loads; loads must be >= 0.")
    scale = grid.max(axis=0)
    scale[scale == 0] = 1.0
    perf = d[performance].to_numpy(dtype=float)
    has = np.isfinite(perf)
    times = pd.Index(t.iloc[0] + np.arange(n_steps) * step)
    return _Series(loads=grid / scale, load_scale=scale, obs_index=pos[has], perf=perf[has],
                   times=times)


def _wald(theta: np.ndarray, series: _Series, sign: float, include_current: bool,
          level: float):
    """Delta-method Wald intervals of the natural parameters from the Jacobian at the fit."""
    idx, y = series.obs_index, series.perf
    base_r = _full_resid(theta, series, sign, include_current, idx, y)
    step = 1e-6 * np.maximum(np.abs(theta), 1e-3)
    jac = np.empty((base_r.size, theta.size))
    for j in range(theta.size):
        th = theta.copy()
        th[j] += step[j]
        jac[:, j] = (_full_resid(th, series, sign, include_current, idx, y) - base_r) / step[j]
    dof = max(base_r.size - len(theta), 1)
    s2 = float(base_r @ base_r) / dof
    cov = s2 * np.linalg.pinv(jac.T @ jac)
    eps = 1e-6 * np.maximum(np.abs(theta), 1e-3)
    base = _natural(theta, series.load_scale)
    grad = np.empty((len(base), len(theta)))
    for j in range(len(theta)):
        th = theta.copy()
        th[j] += eps[j]
        grad[:, j] = (_natural(th, series.load_scale) - base) / eps[j]
    se = np.sqrt(np.clip(np.diag(grad @ cov @ grad.T), 0, None))
    z = stats.norm.ppf(0.5 + level / 2)
    return base - z * se, base + z * se


def _expanding_window(series: _Series, *, sign: float, include_current: bool, tau_bounds: tuple,
                      n_folds: int, min_train: float) -> tuple[float, float, float, int]:
    """Expanding-window RMSE of the model and of two naive forecasts on the same test blocks.

    The tests from position ``first = max(ceil(min_train n), 2 + 2 m + 2)`` on are cut into
    ``n_folds`` blocks at ``round(linspace(first, n, n_folds + 1))``; each block is predicted from
    the tests before it by the model (refitted), by the last training value and by the training
    mean.
    """
    n = len(series.obs_index)
    first = max(int(np.ceil(min_train * n)), 2 + 2 * series.loads.shape[1] + 2)
    if first >= n or n_folds < 1:
        return float("nan"), float("nan"), float("nan"), 0
    cuts = np.unique(np.linspace(first, n, n_folds + 1).round().astype(int))
    errors, last, mean = [], [], []
    for a, b in zip(cuts[:-1], cuts[1:], strict=False):
        train = slice(0, a)
        theta, _, _ = _fit_one(series, sign=sign, include_current=include_current,
                               tau_bounds=tau_bounds, idx=series.obs_index[train],
                               y=series.perf[train])
        n_lin = 1 + 2 * series.loads.shape[1]
        tau_fat, ratio = theta[-2], theta[-1]
        test_idx = series.obs_index[a:b]
        x = _design(series, tau_fat * ratio, tau_fat, sign, include_current, test_idx)
        errors.append(x @ theta[:n_lin] - series.perf[a:b])
        last.append(series.perf[a - 1] - series.perf[a:b])
        mean.append(series.perf[:a].mean() - series.perf[a:b])

    def rmse(parts: list[np.ndarray]) -> float:
        err = np.concatenate(parts)
        return float(np.sqrt(np.mean(err**2)))

    return rmse(errors), rmse(last), rmse(mean), int(sum(e.size for e in errors))
