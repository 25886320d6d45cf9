"""Vectorised (RE)ML algebra of the linear mixed model, and lmerTest's Satterthwaite df.

For a model ``y = X b + Z u + e`` with ``u_i ~ N(0, sigma^2 Psi)`` per group, ``Psi = L L'``
(``L`` the relative Cholesky factor, lme4's ``theta``) and ``e ~ N(0, sigma^2 I)``, every
quantity below needs only per-group cross-products (``Z_i'Z_i``, ``Z_i'X_i``, ``Z_i'y_i``), by
Woodbury's identity: ``X'V^-1 X = X'X - sum_i X_i'Z_i L M_i^-1 L'Z_i'X_i`` with
``M_i = I + L'Z_i'Z_i L`` and ``log|V_i| = log|M_i|`` (lme4's formulation, Bates et al. 2015).

- :class:`GroupSums` holds those sums and evaluates the profiled criterion (for start values),
  the deviance as a function of ``(theta, sigma)`` and the fixed-effect covariance
  ``sigma^2 (X'V^-1 X)^-1`` (lme4's ``vcov``; it conditions on the variance parameters).
- :func:`satterthwaite_df` is lmerTest's method (Kuznetsova, Brockhoff & Christensen 2017,
  JSS 82(13)): for a contrast ``c``, ``df = 2 f^2 / (g' A g)`` with ``f = c' vcov c``, ``g`` its
  gradient in ``(theta, sigma)`` and ``A = 2 H^-1`` the asymptotic covariance of
  ``(theta, sigma)`` from the Hessian ``H`` of the deviance. Derivatives are central finite
  differences (lmerTest uses numDeriv's Richardson extrapolation); directions in which the
  deviance is flat or not convex (a variance at its boundary) are left out of ``A``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse
from statsmodels.regression.mixed_linear_model import MixedLMParams

__all__ = ["GroupSums", "Profiled", "profiled_fit", "satterthwaite_df", "theta_of"]


class GroupSums:
    """Per-group cross-products for the vectorised (RE)ML criterion (see the module docstring).

    ``theta`` holds the lower triangle of ``L`` row by row (``numpy.tril_indices``), or its
    diagonal when ``diagonal`` (uncorrelated random effects).
    """

    def __init__(self, y: np.ndarray, x: np.ndarray, z: np.ndarray, groups: np.ndarray) -> None:
        codes = np.unique(groups, return_inverse=True)[1].ravel()
        n, q = z.shape
        n_groups = int(codes.max()) + 1
        xy = np.column_stack([x, y])
        rows = np.arange(n)
        # Z_i'[X y] and Z_i'Z_i for all groups as sparse products: the indicator of the groups
        # weighted by one random-effect column at a time, O(n p q) without n x p temporaries.
        weighted = [
            sparse.csr_matrix((z[:, k], (codes, rows)), shape=(n_groups, n)) for k in range(q)
        ]
        self.ztxy = np.stack([np.asarray(w @ xy) for w in weighted], axis=1)
        self.ztz = np.stack([np.asarray(w @ z) for w in weighted], axis=1)
        self.xytxy = xy.T @ xy
        self.n, self.p = x.shape
        self.q = q

    def lower(self, theta: np.ndarray, diagonal: bool = False) -> np.ndarray:
        q = self.q
        lower = np.zeros((q, q))
        if diagonal:
            lower[np.diag_indices(q)] = theta
        else:
            lower[np.tril_indices(q)] = theta
        return lower

    def _solve(self, theta: np.ndarray, diagonal: bool):
        """log|V|, X'V^-1X, X'V^-1y, y'V^-1y (V relative to sigma^2)."""
        q, p = self.q, self.p
        lower = self.lower(theta, diagonal)
        m = np.swapaxes(self.ztz @ lower, 1, 2) @ lower + np.eye(q)  # L' Z'Z L + I per group
        chol = np.linalg.cholesky(m)
        logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum()
        rhs = np.swapaxes(lower, 0, 1) @ self.ztxy  # L' Z'[X y] per group
        sol = np.linalg.inv(m) @ rhs
        # sum over groups of rhs' M^-1 rhs as one matrix product (faster than an einsum)
        flat = rhs.shape[0] * q
        xyvxy = self.xytxy - rhs.reshape(flat, -1).T @ sol.reshape(flat, -1)
        return logdet, xyvxy[:p, :p], xyvxy[:p, p], xyvxy[p, p], lower

    def criterion(
        self, theta: np.ndarray, reml: bool, diagonal: bool = False
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """-2 log-likelihood profiled over beta and sigma^2; also beta and Psi = L L'."""
        p, n = self.p, self.n
        logdet, xvx, xvy, yvy, lower = self._solve(theta, diagonal)
        chol_x = np.linalg.cholesky(xvx)
        beta = np.linalg.solve(xvx, xvy)
        rss = yvy - xvy @ beta
        if rss <= 0:
            raise np.linalg.LinAlgError("non-positive residual sum of squares")
        dof = n - p if reml else n
        value = dof * np.log(2 * np.pi * rss / dof) + dof + logdet
        if reml:
            value += 2.0 * np.log(np.diag(chol_x)).sum()
        return float(value), beta, lower @ lower.T

    def deviance(self, varpar: np.ndarray, reml: bool, diagonal: bool = False) -> float:
        """-2 (restricted) log-likelihood at ``varpar = (theta, sigma)``, beta profiled."""
        theta, sigma = varpar[:-1], float(varpar[-1])
        p, n = self.p, self.n
        logdet, xvx, xvy, yvy, _ = self._solve(theta, diagonal)
        sign, logdet_x = np.linalg.slogdet(xvx)
        beta = np.linalg.solve(xvx, xvy)
        rss = yvy - xvy @ beta
        s2 = sigma**2
        if reml:
            return float((n - p) * np.log(2 * np.pi * s2) + logdet + logdet_x + rss / s2)
        return float(n * np.log(2 * np.pi * s2) + logdet + rss / s2)

    def vcov(self, varpar: np.ndarray, diagonal: bool = False) -> np.ndarray:
        """``sigma^2 (X'V^-1X)^-1``, the covariance of the fixed effects given ``varpar``."""
        theta, sigma = varpar[:-1], float(varpar[-1])
        xvx = self._solve(theta, diagonal)[1]
        return sigma**2 * np.linalg.inv(xvx)


    def blups(
        self, theta: np.ndarray, beta: np.ndarray, sigma2: float, diagonal: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted random effects and their conditional covariances, group by group.

        ``u_i = L M_i^-1 L' Z_i'(y_i - X_i b)`` and ``sigma^2 L M_i^-1 L'`` (lme4's ``ranef``
        and ``condVar``), groups in sorted order; arrays g x q and g x q x q.
        """
        q, p = self.q, self.p
        lower = self.lower(theta, diagonal)
        m = np.swapaxes(self.ztz @ lower, 1, 2) @ lower + np.eye(q)
        minv = np.linalg.inv(m)
        zt_resid = self.ztxy[:, :, p] - self.ztxy[:, :, :p] @ np.asarray(beta, dtype=float)
        means = (lower @ minv @ (lower.T @ zt_resid[:, :, None]))[:, :, 0]
        covs = sigma2 * (lower @ minv @ lower.T)
        return means, covs


@dataclass(frozen=True)
class Profiled:
    """Optimum of the vectorised profiled (RE)ML criterion on the standardised scale.

    Attributes
    ----------
    params : MixedLMParams
        Fixed effects and ``Psi`` (relative to ``sigma^2``), as statsmodels' start values.
    llf : float
        (Restricted) log-likelihood at the optimum.
    lower : numpy.ndarray
        Relative Cholesky factor ``L`` (``Psi = L L'``).
    theta, beta : numpy.ndarray
        lme4's ``theta`` and the fixed effects at the optimum.
    scale : float
        ``sigma^2`` at the optimum.
    sums : GroupSums
        The cross-products the criterion was evaluated on (reused for inference).
    converged : bool
        Newton's method from the quasi-Newton optimum ended with a positive definite Hessian of
        the criterion and a Newton decrement below ``NEWTON_TOL`` (the optimum is located to
        that precision in the deviance); False leaves the fit to statsmodels.
    newton_decrement : float
        ``g' H^-1 g`` of the last Newton step (deviance units).
    """

    params: MixedLMParams
    llf: float
    lower: np.ndarray
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    beta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: float = float("nan")
    sums: GroupSums | None = field(default=None, repr=False)
    converged: bool = False
    newton_decrement: float = float("inf")

    @property
    def singular(self) -> bool:
        """lme4's ``isSingular`` rule: a diagonal element of L below 1e-4."""
        return bool(np.any(np.abs(np.diag(self.lower)) < 1e-4))


#: Newton decrement (deviance units) below which the profiled optimum is accepted as the fit.
NEWTON_TOL = 1e-6


def profiled_fit(
    y: np.ndarray,
    x: np.ndarray,
    z: np.ndarray,
    groups: np.ndarray,
    *,
    reml: bool,
    diagonal: bool = False,
) -> Profiled | None:
    """Vectorised profiled (RE)ML fit: BFGS, then Newton's method to locate the optimum.

    BFGS on the criterion profiled over ``beta`` and ``sigma^2`` (numerical gradients) finds
    the neighbourhood of the optimum; Newton steps with a finite-difference Hessian (at most
    10, halving a step that does not lower the criterion) then locate it to ``NEWTON_TOL``.
    Returns None if the criterion cannot be evaluated.
    """
    try:
        sums = GroupSums(y, x, z, groups)
        q = z.shape[1]
        theta0 = np.ones(q) if diagonal else np.eye(q)[np.tril_indices(q)]

        def deviance(theta: np.ndarray) -> float:
            try:
                return sums.criterion(theta, reml, diagonal)[0]
            except np.linalg.LinAlgError:
                return np.inf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = optimize.minimize(
                lambda t: deviance(t) / sums.n, theta0, method="BFGS", jac="2-point",
                options={"gtol": 1e-6},
            )
        if not np.isfinite(opt.fun):
            return None
        theta, converged, decrement = _newton(deviance, np.asarray(opt.x, dtype=float))
        value, beta, psi = sums.criterion(theta, reml, diagonal)
        _, xvx, xvy, yvy, lower = sums._solve(theta, diagonal)
        rss = yvy - xvy @ beta
        scale = float(rss / (sums.n - sums.p if reml else sums.n))
        params = MixedLMParams.from_components(fe_params=beta, cov_re=psi)
        return Profiled(params=params, llf=-value / 2.0, lower=lower, theta=theta, beta=beta,
                        scale=scale, sums=sums, converged=converged, newton_decrement=decrement)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return None


def _newton(fun, theta: np.ndarray, max_iter: int = 10) -> tuple[np.ndarray, bool, float]:
    """Newton's method on ``fun`` from ``theta``: (theta, converged, last decrement)."""
    decrement = float("inf")
    f0 = fun(theta)
    for _ in range(max_iter):
        grad, hess = _gradient_hessian(fun, theta, f0)
        try:
            chol = np.linalg.cholesky((hess + hess.T) / 2)
        except np.linalg.LinAlgError:
            return theta, False, decrement  # not a strict minimum (e.g. a flat boundary)
        step = -np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
        decrement = float(-grad @ step)
        for _ in range(30):  # halve until the criterion does not rise
            f1 = fun(theta + step)
            if f1 <= f0 + 1e-12 * abs(f0):
                break
            step /= 2
        else:
            return theta, decrement < NEWTON_TOL, decrement
        theta, f0 = theta + step, f1
        if decrement < NEWTON_TOL:
            return theta, True, decrement
    return theta, False, decrement


def _gradient_hessian(
    fun, x: np.ndarray, f0: float, h: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian (default steps 1e-4 relative, at least 5e-6)."""
    k = x.size
    if h is None:
        h = 1e-4 * np.maximum(np.abs(x), 0.05)
    grad = np.empty(k)
    hess = np.empty((k, k))
    plus, minus = np.empty(k), np.empty(k)
    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        plus[i], minus[i] = fun(x + e), fun(x - e)
        grad[i] = (plus[i] - minus[i]) / (2 * h[i])
        hess[i, i] = (plus[i] - 2 * f0 + minus[i]) / h[i] ** 2
    for i in range(k):
        for j in range(i + 1, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            hess[i, j] = hess[j, i] = (
                fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej) + fun(x - ei - ej)
            ) / (4 * h[i] * h[j])
    return grad, hess


def theta_of(psi: np.ndarray, diagonal: bool = False) -> np.ndarray:
    """lme4's ``theta`` (lower Cholesky factor of ``Psi``, by rows) of a PSD matrix."""
    psi = np.asarray(psi, dtype=float)
    q = psi.shape[0]
    if diagonal:
        return np.sqrt(np.clip(np.diag(psi), 0, None))
    lower = np.zeros((q, q))
    for j in range(q):  # Cholesky that tolerates a singular (boundary) Psi
        s = psi[j, j] - lower[j, :j] @ lower[j, :j]
        lower[j, j] = np.sqrt(s) if s > 1e-14 * max(1.0, psi[j, j]) else 0.0
        for i in range(j + 1, q):
            r = psi[i, j] - lower[i, :j] @ lower[j, :j]
            lower[i, j] = r / lower[j, j] if lower[j, j] > 0 else 0.0
    return lower[np.tril_indices(q)]


def _hessian(fun, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    return _gradient_hessian(fun, x, fun(x), h)[1]


def satterthwaite_df(
    sums: GroupSums,
    varpar: np.ndarray,
    contrasts: np.ndarray,
    *,
    reml: bool = True,
    diagonal: bool = False,
) -> np.ndarray:
    """lmerTest's Satterthwaite denominator df for each row of ``contrasts``.

    Parameters
    ----------
    sums : GroupSums
    varpar : numpy.ndarray
        ``(theta, sigma)`` at the (RE)ML optimum.
    contrasts : numpy.ndarray
        k x p matrix, one contrast of the fixed effects per row.
    reml, diagonal : bool

    Returns
    -------
    numpy.ndarray
        k degrees of freedom (``nan`` where the variance of the contrast is 0).
    """
    varpar = np.asarray(varpar, dtype=float)
    h = 1e-4 * np.maximum(np.abs(varpar), 0.05)
    big = 4e-3 * np.maximum(np.abs(varpar), 0.05)
    with np.errstate(all="ignore"):
        # Richardson extrapolation of the O(h^2) central differences: the deviance is large
        # and its second differences lose digits at small steps (lmerTest uses numDeriv).
        dev = lambda v: sums.deviance(v, reml, diagonal)  # noqa: E731
        hess = (4 * _hessian(dev, varpar, big / 2) - _hessian(dev, varpar, big)) / 3
    vals, vecs = np.linalg.eigh((hess + hess.T) / 2)
    keep = vals > 1e-8 * max(vals.max(initial=0.0), 1e-300)
    a_cov = 2 * (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
    k = varpar.size
    grads = []
    for i in range(k):
        e = np.zeros(k)
        e[i] = h[i]
        grads.append((sums.vcov(varpar + e, diagonal) - sums.vcov(varpar - e, diagonal))
                     / (2 * h[i]))
    vc = sums.vcov(varpar, diagonal)
    out = []
    for c in np.atleast_2d(contrasts):
        f = float(c @ vc @ c)
        g = np.array([c @ gi @ c for gi in grads])
        den = float(g @ a_cov @ g)
        out.append(2 * f**2 / den if den > 0 and f > 0 else np.inf if f > 0 else np.nan)
    return np.asarray(out, dtype=float)


def kenward_roger(
    x: np.ndarray,
    z: np.ndarray,
    groups: np.ndarray,
    psi: np.ndarray,
    sigma2: float,
    contrasts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Kenward-Roger adjusted covariance of the fixed effects and denominator df.

    The marginal covariance ``V = sigma^2 (I + Z Psi Z')`` is written linearly in its
    parameters (the elements of ``sigma^2 Psi``, lower triangle, and ``sigma^2``), as in R's
    pbkrtest (Kenward & Roger 1997; Halekoh & Hojsgaard 2014, JSS 59(9)): with
    ``Phi = (X'V^-1X)^-1``, ``P_r = -X'V^-1 G_r V^-1 X``, ``Q_rs = X'V^-1 G_r V^-1 G_s V^-1 X``
    and ``W = 2 IE^-1``, ``IE_rs = tr(P_V G_r P_V G_s)``, the adjusted covariance is
    ``Phi_A = Phi + 2 Phi [sum_rs W_rs (Q_rs - P_r Phi P_s)] Phi`` and each one-dimensional
    contrast ``l`` gets pbkrtest's ``Lb_ddf`` degrees of freedom (lmerTest's
    ``ddf = "Kenward-Roger"`` reports ``sqrt(l' Phi_A l)`` with them). Every sum over the
    block-diagonal ``V`` is computed per group, vectorised.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``Phi_A`` (p x p) and one df per row of ``contrasts``.
    """
    codes = np.unique(np.asarray(groups), return_inverse=True)[1]
    order = np.argsort(codes, kind="stable")
    codes_s = codes[order]
    sizes = np.bincount(codes_s)
    n_g, nmax, p, q = sizes.size, int(sizes.max()), x.shape[1], z.shape[1]
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    idx = starts[:, None] + np.arange(nmax)[None, :]
    real = np.arange(nmax)[None, :] < sizes[:, None]
    idx = np.where(real, order[np.minimum(idx, len(order) - 1)], 0)
    xs = np.where(real[:, :, None], x[idx], 0.0)
    zs = np.where(real[:, :, None], z[idx], 0.0)
    v = sigma2 * (np.eye(nmax) + zs @ psi @ np.swapaxes(zs, 1, 2))
    v = np.where(real[:, :, None] & real[:, None, :], v, np.eye(nmax))
    vinv = np.linalg.inv(v)
    vinv = np.where(real[:, :, None] & real[:, None, :], vinv, 0.0)
    b = vinv @ xs  # V^-1 X
    a = vinv @ zs  # V^-1 Z
    c = np.swapaxes(zs, 1, 2) @ b  # Z'V^-1X, g x q x p
    d = np.swapaxes(zs, 1, 2) @ a  # Z'V^-1Z
    phi = np.linalg.inv(np.einsum("gia,gib->ab", xs, b))
    # parameters: elements (i, j), i >= j, of sigma^2 Psi, then sigma^2
    pairs = [(i, j) for i in range(q) for j in range(i + 1)]
    mats = []
    for i, j in pairs:
        e = np.zeros((q, q))
        e[i, j] = e[j, i] = 1.0
        mats.append(e)
    k = len(pairs) + 1
    p_r = np.empty((k, p, p))
    for r, e in enumerate(mats):
        p_r[r] = -np.einsum("gia,ij,gjb->ab", c, e, c)
    p_r[-1] = -np.einsum("gia,gib->ab", b, b)
    xv2z = np.einsum("gia,gib->gab", b, a)  # X'V^-2 Z, g x p x q
    q_rs = np.empty((k, k, p, p))
    t1 = np.empty((k, k))
    for r in range(k):
        for s in range(k):
            if r < k - 1 and s < k - 1:
                er, es = mats[r], mats[s]
                q_rs[r, s] = np.einsum("gia,ij,gjk,kl,glb->ab", c, er, d, es, c)
                t1[r, s] = np.einsum("ij,gjk,kl,gli->", er, d, es, d)
            elif r < k - 1:  # G_s = I
                q_rs[r, s] = np.einsum("gia,ij,gbj->ab", c, mats[r], xv2z)
                t1[r, s] = np.einsum("ij,gkj,gki->", mats[r], a, a)
            elif s < k - 1:
                q_rs[r, s] = np.einsum("gaj,jk,gkb->ab", xv2z, mats[s], c)
                t1[r, s] = np.einsum("ij,gkj,gki->", mats[s], a, a)
            else:
                q_rs[r, s] = np.einsum("gia,gij,gjb->ab", b, vinv, b)
                t1[r, s] = float((vinv**2).sum())
    ie = np.empty((k, k))
    for r in range(k):
        for s in range(k):
            ie[r, s] = (t1[r, s] - 2 * np.trace(phi @ q_rs[r, s])
                        + np.trace(phi @ p_r[r] @ phi @ p_r[s]))
    w = 2 * np.linalg.pinv(ie, rcond=1e-10)
    u = np.zeros((p, p))
    for r in range(k):
        for s in range(k):
            u += w[r, s] * (q_rs[r, s] - p_r[r] @ phi @ p_r[s])
    phi_a = phi + 2 * phi @ u @ phi
    dfs = []
    for l_vec in np.atleast_2d(contrasts):
        lv = l_vec[None, :]
        theta = lv.T @ np.linalg.solve(lv @ phi @ lv.T, lv)
        m = [theta @ phi @ p_r[r] @ phi for r in range(k)]
        a1 = sum(w[r, s] * np.trace(m[r]) * np.trace(m[s]) for r in range(k) for s in range(k))
        a2 = sum(w[r, s] * np.trace(m[r] @ m[s]) for r in range(k) for s in range(k))
        qd = 1.0
        bb = (a1 + 6 * a2) / (2 * qd)
        g = ((qd + 1) * a1 - (qd + 4) * a2) / ((qd + 2) * a2)
        den = 3 * qd + 2 * (1 - g)
        c1, c2, c3 = g / den, (qd - g) / den, (qd + 2 - g) / den
        e_star = 1 / (1 - a2 / qd)
        v_star = 2 / qd * (1 + c1 * bb) / ((1 - c2 * bb) ** 2 * (1 - c3 * bb))
        rho = v_star / (2 * e_star**2)
        dfs.append(4 + (qd + 2) / (qd * rho - 1))
    return phi_a, np.asarray(dfs, dtype=float)
