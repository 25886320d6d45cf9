"""Ordinal outcomes (wellness ratings 1-5, 0-10): cumulative-logit mixed model.

A rating is an ordered category, not a number: the step from 1 to 2 need not equal the step from
4 to 5, and a mean of ratings can move because a few athletes cross one threshold. The
proportional-odds (cumulative logit) model with athlete random intercepts (a cumulative link
mixed model, as R's ``ordinal::clmm``)::

    logit P(Y_it <= j) = theta_j - (x_it' beta + u_i),      u_i ~ N(0, sigma^2)

for categories ``j = 1 .. J-1``. A positive ``beta`` shifts ratings up: ``exp(beta)`` is the odds
ratio of a higher rating (any cut) for +1 of the term, for the same athlete (conditional on
``u_i``). With ``exposure=``, the exposure is split into its within-athlete part (the athlete's
deviation from their own mean: the effect of a day or week with more of it than usual) and its
between-athlete part (the athlete's mean), as :func:`~soleus_analysis.fit_within_between` does.

**Estimation.** Maximum likelihood; the random intercept is integrated out by adaptive
Gauss-Hermite quadrature (``n_quad`` nodes per athlete around the athlete's conditional mode;
``n_quad=1`` is the Laplace approximation, R's ``clmm`` default). Standard errors come from the
numerical Hessian of the log-likelihood; intervals and p-values are Wald z, as in R (with few
athletes the between effect's interval is optimistic). ``random_intercept=False`` fits the
marginal model (statsmodels ``OrderedModel``) with cluster-robust (by athlete) standard errors:
its coefficients are population-averaged and smaller in size than the conditional ones.

**Assumption: proportional odds** (one ``beta`` for every cut). :func:`fit_ordinal` checks it
with a Brant-type test: a binary logit for every cut ``Y > j``, their slopes compared by a Wald
test whose covariance stacks the cut-wise score equations and clusters them by athlete
(``OrdinalResult.proportional_odds``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row, wald_columns

__all__ = ["OrdinalResult", "fit_ordinal"]


@dataclass(frozen=True)
class OrdinalResult:
    """A cumulative-logit (proportional-odds) model of an ordered rating.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term: the predictors (``within``, ``between``, covariates; categorical
        covariates as ``<column><level>``), then ``threshold <j>|<j+1>`` and ``athlete_sd``.
        Columns ``term``; ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` (log odds per
        ``per``; thresholds on the logit scale; ``athlete_sd`` in logits); ``p_value``;
        ``per``; ``df`` (``inf``: Wald z); ``odds_ratio``, ``or_ci_low``, ``or_ci_high``
        (exp of the log-odds columns; NaN for thresholds and the SD).
    probability : pandas.DataFrame
        For coaches, one row per predictor: ``term``, ``per``, ``outcome`` (the event, e.g.
        ``"rating >= 4"``), ``baseline`` (its average probability for a typical athlete,
        ``u = 0``, at the observed predictors), ``change`` (average change in that probability
        for +``per`` of the term, 0-1), ``ci_low``, ``ci_high`` (delta method).
    proportional_odds : pandas.DataFrame
        Brant-type check: one row per predictor and one ``all`` row: ``term``, ``chi2``, ``df``,
        ``p_value``, then ``cut_<j>`` columns with each cut's binary-logit slope.
    notes : tuple of str
    raw : dict or statsmodels result
        ``params`` (optimiser scale), ``cov`` (natural scale), ``loglik``, ``n_quad``, ``x``
        (the predictor matrix) and ``names``; the statsmodels result for the marginal model.
    n_athletes, n_obs : int
    levels : tuple
        The rating categories, low to high.
    loglik : float
    """

    table: pd.DataFrame
    probability: pd.DataFrame
    proportional_odds: pd.DataFrame
    notes: tuple[str, ...]
    raw: Any = field(repr=False)
    n_athletes: int
    n_obs: int
    levels: tuple
    loglik: float

    def effect(self, term: str) -> pd.Series:
        """One row of :attr:`table` (e.g. ``"within"``)."""
        return effect_row(self.table, term)


def fit_ordinal(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str | None = None,
    covariates: Sequence[str] = (),
    group: str = "athlete_id",
    levels: Sequence | None = None,
    step: float = 1.0,
    random_intercept: bool = True,
    n_quad: int = 10,
    high: Any = None,
    level: float = 0.95,
) -> OrdinalResult:
    """Proportional-odds model of an ordered rating with athlete random intercepts.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table (e.g. the daily panel with wellness ratings). Rows with a missing outcome,
        exposure, covariate or athlete are dropped.
    outcome : str
        The rating column (numbers such as 1-5 or 0-10, or labels with ``levels=``).
    exposure : str, optional
        Numeric exposure, split into ``within`` (deviation from the athlete's mean) and
        ``between`` (the athlete's mean, centred on the mean of athletes), reported per
        ``+step``.
    covariates : sequence of str
        Further predictors: numeric columns as they are (per +1), text/categorical/bool columns
        as indicators of each level against the first (named ``<column><level>``).
    group : str, default "athlete_id"
    levels : sequence, optional
        The categories in order, low to high; default: the sorted distinct values.
    step : float, default 1
    random_intercept : bool, default True
        False: the marginal model (statsmodels ``OrderedModel``) with cluster-robust errors.
    n_quad : int, default 10
        Adaptive Gauss-Hermite nodes per athlete (1 = Laplace, as R's clmm default).
    high : optional
        The lowest category counted as a "high rating" in ``probability``; default: the
        second-highest category (the top two count).
    level : float, default 0.95

    Returns
    -------
    OrdinalResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"athlete_id": np.repeat(list("abcdefgh"), 30),
    ...                   "sleep_h": rng.normal(7, 1, 240)})
    >>> u = np.repeat(rng.normal(0, 1, 8), 30)
    >>> latent = 1.0 * (d["sleep_h"] - 7) + u + rng.logistic(size=240)
    >>> d["readiness"] = np.digitize(latent, [-2, -0.5, 0.5, 2]) + 1
    >>> res = fit_ordinal(d, outcome="readiness", exposure="sleep_h")
    >>> round(float(res.effect("within")["estimate"]), 2)
    1.07
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    covariates = list(covariates)
    needed = [outcome, group, *([exposure] if exposure else []), *covariates]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(
            f"fit_ordinal: column(s) {missing} not in the data; columns are "
            f"{list(data.columns)}. Fix: pass outcome=, exposure=, covariates= and group= "
            "names of existing columns.")
    if not exposure and not covariates:
        raise ValueError("fit_ordinal needs an exposure= or at least one covariate")
    if int(n_quad) < 1:
        raise ValueError(f"n_quad must be a positive integer, got {n_quad!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    d = data[list(dict.fromkeys(needed))].dropna().reset_index(drop=True)
    notes: list[str] = []
    if len(d) < len(data):
        notes.append(f"{len(data) - len(d)} row(s) with a missing value were dropped.")
    cats = list(levels) if levels is not None else sorted(d[outcome].unique())
    unknown = sorted(set(d[outcome]) - set(cats), key=str)
    if unknown:
        raise ValueError(f"fit_ordinal: {outcome!r} has values {unknown[:5]} not in levels="
                         f"{cats}; list every category, low to high.")
    y = d[outcome].map({c: i for i, c in enumerate(cats)}).to_numpy(dtype=int)
    present = np.unique(y)
    if len(present) < 3:
        raise ValueError(
            f"fit_ordinal: {outcome!r} takes {len(present)} distinct value(s) in the data; an "
            "ordinal model needs at least 3 (use a logistic model for 2).")
    if len(present) < len(cats):
        empty = [cats[i] for i in range(len(cats)) if i not in present]
        notes.append(f"categories {empty} never occur and are merged with their neighbours.")
        remap = {old: new for new, old in enumerate(present)}
        y = np.array([remap[v] for v in y])
        cats = [cats[i] for i in present]
    x, names, pers = _predictors(d, exposure=exposure, covariates=covariates, group=group,
                                 step=step)
    codes, athletes = pd.factorize(d[group], sort=True)
    n_cat = len(cats)
    cut_names = [f"threshold {cats[j]}|{cats[j + 1]}" for j in range(n_cat - 1)]
    high_index = n_cat - 3 if high is None else _high_index(high, cats)

    if random_intercept:
        est, cov, loglik, params, gradient = _fit_clmm(y, x, codes, n_cat, int(n_quad))
        if gradient > 1e-3:
            notes.append(f"The optimiser stopped with a log-likelihood gradient of "
                         f"{gradient:.2g}: the estimates may not be the maximum.")
        raw: Any = {"params": params, "cov": cov, "loglik": loglik, "n_quad": int(n_quad),
                    "x": x, "names": names}
        how = ("Laplace approximation" if n_quad == 1 else
               f"adaptive Gauss-Hermite quadrature, {int(n_quad)} nodes per athlete")
        notes.insert(0, (
            f"Estimand: for the same athlete, the log odds of a higher {outcome} (at any cut "
            "between categories) per +step of each term; exp(estimate) is the odds ratio. "
            "Cumulative-logit mixed model with athlete random intercepts (" + how + "); Wald z "
            "intervals. Assumes proportional odds (one effect for every cut): see "
            "proportional_odds."))
    else:
        est, cov, loglik, raw = _fit_marginal(y, x, codes, names, n_cat)
        notes.insert(0, (
            f"Estimand: the population-averaged log odds of a higher {outcome} per +step of "
            "each term (marginal cumulative-logit model, statsmodels OrderedModel) with "
            "cluster-robust (by athlete) standard errors; Wald z intervals. Assumes "
            "proportional odds: see proportional_odds."))
    p = x.shape[1]
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    terms = names + cut_names + (["athlete_sd"] if random_intercept else [])
    cols = wald_columns(est, se, level, df=np.full(len(est), np.inf))
    if random_intercept:  # the SD: interval on the log scale, no test of 0 (a boundary)
        sd, sd_se = est[-1], se[-1]
        q = stats.norm.ppf(0.5 + level / 2)
        cols["ci_low"][-1] = sd * np.exp(-q * sd_se / sd)
        cols["ci_high"][-1] = sd * np.exp(q * sd_se / sd)
        cols["p_value"][-1] = np.nan
    per = pers + ["logit scale"] * (n_cat - 1) + (["logits"] if random_intercept else [])
    table = pd.DataFrame({"term": terms, **cols, "per": per})[[*TABLE_COLUMNS, "df"]]
    is_beta = np.arange(len(terms)) < p
    for c_out, c_in in (("odds_ratio", "estimate"), ("or_ci_low", "ci_low"),
                        ("or_ci_high", "ci_high")):
        table[c_out] = np.where(is_beta, np.exp(table[c_in].to_numpy(dtype=float)), np.nan)

    probability = _probability(est, cov, x, names, pers, n_cat, high_index, cats, outcome,
                               level)
    po, po_notes = _brant(y, x, codes, names, n_cat)
    notes += po_notes
    if len(athletes) < 20 and random_intercept:
        notes.append(f"{len(athletes)} athletes: the between-athlete term's Wald interval is "
                     "approximate (no small-sample correction for ordinal mixed models).")
    return OrdinalResult(table=table, probability=probability, proportional_odds=po,
                         notes=tuple(notes), raw=raw, n_athletes=int(len(athletes)),
                         n_obs=int(len(y)), levels=tuple(cats), loglik=float(loglik))


def _high_index(high: Any, cats: list) -> int:
    if high not in cats:
        raise ValueError(f"high={high!r} is not one of the categories {cats}")
    j = cats.index(high)
    if j == 0:
        raise ValueError("high must be above the lowest category")
    return j - 1


def _predictors(d: pd.DataFrame, *, exposure: str | None, covariates: list[str], group: str,
                step: float) -> tuple[np.ndarray, list[str], list[str]]:
    cols, names, pers = [], [], []
    if exposure:
        xv = pd.to_numeric(d[exposure], errors="raise").astype(float)
        mean = xv.groupby(d[group]).transform("mean")
        between = mean - xv.groupby(d[group]).mean().mean()
        cols += [((xv - mean) / step).to_numpy(), (between / step).to_numpy()]
        names += ["within", "between"]
        pers += [f"+{step:g} {exposure} vs the athlete's usual",
                 f"+{step:g} {exposure} in the athlete's mean"]
    for c in covariates:
        v = d[c]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            cols.append(v.to_numpy(dtype=float))
            names.append(c)
            pers.append(f"+1 {c}")
            continue
        lv = sorted(v.unique(), key=str)
        for level_ in lv[1:]:
            cols.append((v == level_).to_numpy(dtype=float))
            names.append(f"{c}{level_}")
            pers.append(f"{c} {level_} vs {lv[0]}")
    x = np.column_stack(cols)
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < x.shape[1]:
        raise ValueError(f"fit_ordinal: the predictors {names} are collinear (or one is "
                         "constant); drop one.")
    return x, names, pers


def _cum(theta: np.ndarray) -> np.ndarray:
    """Thresholds with -inf and +inf at the ends."""
    return np.r_[-np.inf, theta, np.inf]


def _obs_terms(y: np.ndarray, eta: np.ndarray, cuts: np.ndarray):
    """log p, d log p / d eta and d2 log p / d eta2 for each observation."""
    a = cuts[y + 1] - eta
    b = cuts[y] - eta
    fa, fb = special.expit(a), special.expit(b)
    # p = F(a) - F(b), computed from the tail that keeps precision
    p = np.where(b > 0, special.expit(-b) - special.expit(-a), fa - fb)
    p = np.maximum(p, 1e-300)
    da, db = fa * (1 - fa), fb * (1 - fb)
    d1 = (db - da) / p
    d2 = (da * (1 - 2 * fa) - db * (1 - 2 * fb)) / p - d1**2
    return np.log(p), d1, d2


def _unpack(params: np.ndarray, n_cat: int, p: int):
    theta = np.cumsum(np.r_[params[0], np.exp(params[1:n_cat - 1])])
    beta = params[n_cat - 1:n_cat - 1 + p]
    return theta, beta


def _loglik(params: np.ndarray, y, x, codes, n_cat, nodes, weights, modes=None):
    """Marginal log-likelihood by adaptive Gauss-Hermite quadrature; also the modes."""
    p = x.shape[1]
    theta, beta = _unpack(params, n_cat, p)
    sigma = np.exp(params[-1])
    cuts = _cum(theta)
    eta0 = x @ beta
    n_g = int(codes.max()) + 1
    z = np.zeros(n_g) if modes is None else modes.copy()
    for _ in range(100):  # Newton for every athlete's conditional mode at once
        _, d1, d2 = _obs_terms(y, eta0 + sigma * z[codes], cuts)
        g1 = sigma * np.bincount(codes, d1, n_g) - z
        g2 = sigma**2 * np.bincount(codes, d2, n_g) - 1.0
        step = np.clip(g1 / g2, -1.0, 1.0)  # damped: h is concave, far starts overshoot
        z -= step
        if np.max(np.abs(step)) < 1e-11:
            break
    _, _, d2 = _obs_terms(y, eta0 + sigma * z[codes], cuts)
    curv = 1.0 - sigma**2 * np.bincount(codes, d2, n_g)
    scale = np.sqrt(2.0 / curv)
    terms = []
    for xk, wk in zip(nodes, weights, strict=True):
        zk = z + scale * xk
        lp, _, _ = _obs_terms(y, eta0 + sigma * zk[codes], cuts)
        h = np.bincount(codes, lp, n_g) - 0.5 * zk**2 - 0.5 * np.log(2 * np.pi)
        terms.append(np.log(wk) + h + xk**2)
    total = special.logsumexp(np.vstack(terms), axis=0) + np.log(scale)
    return float(total.sum()), z


def _fit_clmm(y, x, codes, n_cat, n_quad):
    p = x.shape[1]
    nodes, weights = np.polynomial.hermite.hermgauss(n_quad)
    cum = np.cumsum(np.bincount(y, minlength=n_cat))[:-1] / len(y)
    th0 = special.logit(np.clip(cum, 1e-3, 1 - 1e-3))
    start = np.r_[th0[0], np.log(np.maximum(np.diff(th0), 1e-2)), np.zeros(p), np.log(0.5)]
    state = {"modes": None}

    def nll(params):
        ll, z = _loglik(params, y, x, codes, n_cat, nodes, weights, state["modes"])
        if np.isfinite(ll):
            state["modes"] = z
        return -ll if np.isfinite(ll) else 1e300

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-7})
    params = res.x
    # polish: Newton steps with a central-difference gradient and Hessian
    for _ in range(3):
        g, h = _grad_hess(nll, params)
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        if nll(params - step) <= nll(params) + 1e-12:
            params = params - step
        if np.max(np.abs(step)) < 1e-9:
            break
    # covariance on the natural scale: (theta_1..theta_J-1, beta, sigma)
    theta, beta = _unpack(params, n_cat, p)
    natural = np.r_[theta, beta, np.log(np.exp(params[-1]))]

    def nll_natural(v):
        th = v[:n_cat - 1]
        if np.any(np.diff(th) <= 0):
            return 1e300
        inner = np.r_[th[0], np.log(np.diff(th)), v[n_cat - 1:]]
        return nll(inner)

    grad, h = _grad_hess(nll_natural, natural)
    gradient = float(np.max(np.abs(grad)))
    cov = np.linalg.pinv(h)
    sigma = float(np.exp(params[-1]))
    jac = np.eye(len(natural))
    jac[-1, -1] = sigma  # d sigma / d log sigma
    cov = jac @ cov @ jac.T
    est = np.r_[beta, theta, sigma]
    order = np.r_[np.arange(n_cat - 1, n_cat - 1 + p), np.arange(n_cat - 1), len(natural) - 1]
    cov = cov[np.ix_(order, order)]
    return est, cov, -nll(params), params, gradient


def _grad_hess(f, v: np.ndarray, rel: float = 1e-4):
    """Central-difference gradient and Hessian of a scalar function."""
    k = len(v)
    hstep = rel * np.maximum(np.abs(v), 1.0)
    f0 = f(v)
    g = np.empty(k)
    h = np.empty((k, k))
    for i in range(k):
        e_i = np.zeros(k)
        e_i[i] = hstep[i]
        fp, fm = f(v + e_i), f(v - e_i)
        g[i] = (fp - fm) / (2 * hstep[i])
        h[i, i] = (fp - 2 * f0 + fm) / hstep[i] ** 2
        for j in range(i):
            e_j = np.zeros(k)
            e_j[j] = hstep[j]
            h[i, j] = h[j, i] = (f(v + e_i + e_j) - f(v + e_i - e_j) - f(v - e_i + e_j)
                                 + f(v - e_i - e_j)) / (4 * hstep[i] * hstep[j])
    return g, h


def _fit_marginal(y, x, codes, names, n_cat):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    exog = pd.DataFrame(x, columns=names)
    model = OrderedModel(y, exog, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", disp=False, maxiter=2000, cov_type="cluster",
                        cov_kwds={"groups": codes})
    p = x.shape[1]
    params = np.asarray(res.params)
    theta = model.transform_threshold_params(params)[1:-1]
    # covariance of (beta, theta): thresholds are params[p] + cumulated exp(increments)
    jac = np.zeros((p + n_cat - 1, len(params)))
    jac[:p, :p] = np.eye(p)
    for j in range(n_cat - 1):
        jac[p + j, p] = 1.0
        for k in range(1, j + 1):
            jac[p + j, p + k] = np.exp(params[p + k])
    cov = jac @ np.asarray(res.cov_params()) @ jac.T
    return np.r_[params[:p], theta], cov, float(res.llf), res


def _probability(est, cov, x, names, pers, n_cat, high_index, cats, outcome, level):
    """Average change in P(rating >= high) for +1 of each predictor, typical athlete (u = 0)."""
    p = x.shape[1]

    def change(v: np.ndarray, k: int) -> tuple[float, float]:
        beta, theta = v[:p], v[p:p + n_cat - 1]
        eta = x @ beta
        base = special.expit(eta - theta[high_index])  # P(Y > cut) = 1 - F(theta - eta)
        moved = special.expit(eta + beta[k] - theta[high_index])
        return float(base.mean()), float((moved - base).mean())

    rows = []
    q = stats.norm.ppf(0.5 + level / 2)
    m = p + n_cat - 1
    for k in range(p):
        base, est_k = change(est[:m], k)
        grad = np.empty(m)
        for j in range(m):
            e = np.zeros(m)
            e[j] = 1e-6
            grad[j] = (change(est[:m] + e, k)[1] - change(est[:m] - e, k)[1]) / 2e-6
        se = float(np.sqrt(max(grad @ cov[:m, :m] @ grad, 0.0)))
        rows.append((names[k], pers[k], f"{outcome} >= {cats[high_index + 1]}", base, est_k,
                     est_k - q * se, est_k + q * se))
    return pd.DataFrame(rows, columns=["term", "per", "outcome", "baseline", "change", "ci_low",
                                       "ci_high"])


def _brant(y, x, codes, names, n_cat) -> tuple[pd.DataFrame, list[str]]:
    """Brant-type test of proportional odds with cluster-robust stacked covariance."""
    n, p = x.shape
    xa = np.column_stack([np.ones(n), x])
    fits, cuts_used, notes = [], [], []
    for j in range(n_cat - 1):
        yb = (y > j).astype(float)
        if min(yb.sum(), n - yb.sum()) < 5:
            continue
        b = np.zeros(p + 1)
        ok = False
        for _ in range(50):  # Newton-Raphson for the binary logit
            mu = special.expit(xa @ b)
            w = mu * (1 - mu)
            hess = xa.T @ (xa * w[:, None])
            try:
                step = np.linalg.solve(hess, xa.T @ (yb - mu))
            except np.linalg.LinAlgError:
                break
            b += step
            if np.max(np.abs(step)) < 1e-10:
                ok = np.max(np.abs(b)) < 30
                break
        if not ok:
            continue
        mu = special.expit(xa @ b)
        hess = xa.T @ (xa * (mu * (1 - mu))[:, None])
        scores = xa * (yb - mu)[:, None]
        fits.append((b, hess, scores))
        cuts_used.append(j)
    skipped = n_cat - 1 - len(cuts_used)
    if skipped:
        notes.append(f"Proportional-odds check: {skipped} cut(s) with fewer than 5 ratings on a "
                     "side or separated were left out.")
    cols = [f"cut_{j + 1}" for j in cuts_used]
    if len(fits) < 2:
        notes.append("Proportional-odds check not possible: fewer than 2 usable cuts.")
        return pd.DataFrame(columns=["term", "chi2", "df", "p_value", *cols]), notes
    n_g = int(codes.max()) + 1
    k = len(fits)
    # stacked sandwich: V = A^-1 B A^-1, A block-diagonal, B from athlete-summed scores
    a_inv = [np.linalg.inv(h) for _, h, _ in fits]
    summed = [np.vstack([np.bincount(codes, s[:, c], n_g) for c in range(p + 1)]).T
              for _, _, s in fits]
    infl = np.hstack([u @ ai for u, ai in zip(summed, a_inv, strict=True)])
    v_all = infl.T @ infl * n_g / max(n_g - 1, 1)
    slopes = np.r_[tuple(b[1:] for b, _, _ in fits)]
    sel = np.r_[tuple(np.arange(1, p + 1) + c * (p + 1) for c in range(k))]
    v = v_all[np.ix_(sel, sel)]
    rows = []

    def wald(terms: list[int]) -> tuple[float, int, float]:
        d = []
        for t in terms:
            for c in range(k - 1):
                r = np.zeros(k * p)
                r[c * p + t], r[(c + 1) * p + t] = 1.0, -1.0
                d.append(r)
        d = np.asarray(d)
        diff = d @ slopes
        mat = d @ v @ d.T
        chi2 = float(diff @ np.linalg.pinv(mat) @ diff)
        dof = int(np.linalg.matrix_rank(mat))
        return chi2, dof, float(stats.chi2.sf(chi2, dof))

    for t in range(p):
        chi2, dof, pv = wald([t])
        rows.append((names[t], chi2, dof, pv, *[slopes[c * p + t] for c in range(k)]))
    if p * (k - 1) < n_g - 1:
        chi2, dof, pv = wald(list(range(p)))
    else:  # a cluster-robust covariance has rank below the number of athletes
        chi2, dof, pv = np.nan, p * (k - 1), np.nan
        notes.append(f"Proportional-odds check: the joint test of all terms needs more than "
                     f"{p * (k - 1) + 1} athletes; only the per-term tests are given.")
    rows.append(("all", chi2, dof, pv, *[np.nan] * k))
    out = pd.DataFrame(rows, columns=["term", "chi2", "df", "p_value", *cols])
    bad = out.loc[(out["p_value"] < 0.05) & (out["term"] != "all"), "term"].tolist()
    if n_g < 20:
        notes.append(f"Proportional-odds check with {n_g} athletes: its cluster-robust tests "
                     "are approximate (too few athletes for their chi-square reference).")
    notes.append(
        "Proportional odds " + (f"doubtful for {bad} (Brant-type test p < 0.05): the effect "
                                "differs between cuts; read the cut-wise slopes in "
                                "proportional_odds." if bad else
                                "not rejected (Brant-type test, all p >= 0.05)."))
    return out, notes
